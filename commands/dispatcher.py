"""From a line of chat to a reply: find the command, check who may, parse the arguments,
run the handler in a savepoint, and always answer something."""
from __future__ import annotations

import difflib
import logging
import unicodedata
from typing import Any

from bot.errors import UserError
from bot.richtext import Doc, code
from bot.text import is_blank
from commands import registry as reg
from commands.context import Context

log = logging.getLogger(__name__)

MAX_LINE = 4000
# Characters that could hide, reorder or break what the bot shows back: C0/C1 controls
# (newlines and tabs are allowed in the line, not in a single argument), bidi overrides.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def has_control(text: str, allow_newline: bool = False) -> bool:
    for ch in text:
        if ch in _BIDI:
            return True
        if unicodedata.category(ch) == "Cc" and not (allow_newline and ch in "\n\t"):
            return True
    return False


def is_command(text: str, prefix: str) -> bool:
    """A line addressed to the bot: the prefix followed by a letter (not "!!!" or "! ")."""
    text = text.lstrip()
    return text.startswith(prefix) and len(text) > len(prefix) and text[len(prefix)].isalpha()


def needs_organiser(text: str, prefix: str) -> bool:
    """Whether `text` names a command that may be refused to a member who is not an
    organiser (organisers only, or organisers and the record's author): the core then asks
    the backend for a fresh answer before refusing (Backend.refresh_organiser)."""
    if not is_command(text, prefix):
        return False
    cmd, _ = reg.REGISTRY.lookup(text.strip()[len(prefix):].partition("\n")[0].split()[:2])
    return cmd is not None and cmd.who != reg.ALL


class Usage(UserError):
    pass


def usage_error(ctx: Context, cmd: reg.Command, fr: str, en: str, **values: object) -> UserError:
    p = ctx.prefix
    return Usage(fr + "\nUsage : {usage}\nExemple : {example}", en + "\nUsage: {usage}\nExample: {example}",
                 usage=cmd.usage(ctx.lang, p), example=cmd.example(ctx.lang, p), **values)


def split_args(cmd: reg.Command, raw: str) -> list[str]:
    raw = raw.strip()
    pieces = [p.strip() for p in raw.split(";")] if raw else []
    if cmd.spaced_choice and len(pieces) == 1 and " " in pieces[0]:
        from commands.convert import split_number

        # "3 oui", and "n° 3 oui" too: the number may hold a space.
        first, rest = split_number(pieces[0]) or pieces[0].split(None, 1)
        pieces = [first, rest.strip()] if rest.strip() else [first]
    if len(pieces) > len(cmd.args) and cmd.args and cmd.args[-1].kind == "text":
        # A member's text may itself hold " ; ": keep it whole in the last text argument.
        keep = len(cmd.args) - 1
        pieces = pieces[:keep] + [" ; ".join(pieces[keep:])]
    return pieces


def convert(ctx: Context, cmd: reg.Command, arg: reg.Arg, value: str) -> Any:
    from commands import convert as conv

    name = arg.en if ctx.lang == "en" else arg.fr
    if has_control(value):
        raise UserError("Le texte de {arg} contient des caractères de contrôle ; retapez-le sans eux.",
                        "The text of {arg} holds control characters; please type it again without them.",
                        arg=f"<{name}>")
    if len(value) > arg.max_len:
        raise UserError("{arg} est trop long : {n} caractères, {max} au plus.",
                        "{arg} is too long: {n} characters, {max} at most.",
                        arg=f"<{name}>", n=len(value), max=arg.max_len)
    return conv.CONVERTERS[arg.kind](ctx, cmd, arg, value)


def unknown_command(ctx: Context, words: list[str]) -> Doc:
    registry = reg.REGISTRY
    typed = reg.fold(" ".join(words[:2]))
    first = reg.fold(words[0]) if words else ""
    p = ctx.prefix
    group = registry.groups().get(first)
    doc = Doc()
    if group:
        doc.para(ctx.t("Je ne connais pas « {t} ». Les commandes {g} :", "I don't know \"{t}\". The {g} commands:",
                       t=" ".join(words[:2]), g=p + words[0]))
        doc.bullets([[code(c.usage(ctx.lang, p))] for c in group])
        return doc
    names = {reg.fold(c.name(ctx.lang)): c for c in registry.commands}
    names.update({reg.fold(c.words(ctx.lang)[0]): c for c in registry.commands})
    close = difflib.get_close_matches(typed, list(names), n=3, cutoff=0.5) or difflib.get_close_matches(first, list(names), n=3, cutoff=0.5)
    shown: list[str] = []
    for name in close:
        usage = names[name].usage(ctx.lang, p) if " " in name else p + names[name].words(ctx.lang)[0]
        if usage not in shown:
            shown.append(usage)
    if shown:
        doc.para(ctx.t("Commande inconnue : {t}. Vouliez-vous dire :", "Unknown command: {t}. Did you mean:",
                       t=p + " ".join(words[:2])))
        doc.bullets([[code(s)] for s in shown])
    else:
        doc.para(ctx.t("Commande inconnue : {t}.", "Unknown command: {t}.", t=p + " ".join(words[:2])))
    doc.para(ctx.t("{aide} donne la liste des commandes.", "{aide} lists the commands.",
                   aide=p + ("help" if ctx.lang == "en" else "aide")))
    return doc


def dispatch(ctx: Context, text: str) -> Doc | None:
    """The reply to `text`, or None when the line is not addressed to the bot."""
    if not is_command(text, ctx.prefix):
        return None
    try:
        reply = _dispatch(ctx, text)
        ctx.outcome = ctx.outcome or "done"
        return reply
    except UserError as err:
        ctx.outcome = "refused"
        ctx.private.clear()  # a refused command sends nothing else either
        return Doc.text(err.message(ctx.lang))
    except Exception:
        ctx.outcome = "failed"
        ctx.private.clear()
        # The command's name, not the member's text (a pledge's amount, say): a log is kept,
        # and read by others.
        log.exception("command %s failed", ctx.command or "?")
        return Doc.text(ctx.t("Désolé, quelque chose s'est mal passé de mon côté ; rien n'a été modifié.",
                              "Sorry, something went wrong on my side; nothing was changed."))


def unreadable_notice(lang: str) -> Doc:
    """What the room is told when the bot could not decrypt a message (its key never came)."""
    if lang == "en":
        return Doc.text("I could not read this encrypted message: its key was not shared with my device. "
                        "If it was a command, send it again.")
    return Doc.text("Je n'ai pas pu lire ce message chiffré : sa clé n'a pas été partagée avec mon appareil. "
                    "Si c'était une commande, renvoyez-la.")


def _dispatch(ctx: Context, text: str) -> Doc:
    if len(text) > MAX_LINE:
        raise UserError("Message trop long ({n} caractères, {max} au plus) : rien n'a été fait.",
                        "Message too long ({n} characters, {max} at most): nothing was done.",
                        n=len(text), max=MAX_LINE)
    body = text.strip()[len(ctx.prefix):]
    first_line, _, more = body.partition("\n")
    words = first_line.split()
    cmd, used = reg.REGISTRY.lookup(words)
    if cmd is None or (used == 1 and not cmd.args and len(words) > 1
                       and len(reg.REGISTRY.groups().get(reg.fold(words[0]), [])) > 1):
        # "!mécénat machin": a subcommand mistyped, not arguments to "!mécénat".
        ctx.command, ctx.outcome = "?", "unknown"
        return unknown_command(ctx, words)
    ctx.command = cmd.name("en")
    # The arguments: what follows the command words on the line (and the lines after it).
    parts = first_line.split(None, used)
    rest = parts[used] if len(parts) > used else ""
    if more.strip():
        rest = (rest + "\n" + more).strip()
    # Commands open to organisers and the record's author are checked by their service,
    # which knows the author.
    if cmd.who == reg.ORGANISERS and not ctx.is_organiser:
        raise UserError("Refusé : seuls les organisateurs peuvent utiliser {cmd}.", "Refused: only organisers may use {cmd}.",
                        cmd=ctx.prefix + cmd.name(ctx.lang))
    pieces = split_args(cmd, rest)
    if len(pieces) > len(cmd.args):
        raise usage_error(ctx, cmd, "Trop d'arguments.", "Too many arguments.")
    values: dict[str, Any] = {}
    for i, arg in enumerate(cmd.args):
        if i >= len(pieces) or is_blank(pieces[i]):  # zero-width characters alone are no text
            if arg.optional:
                continue
            raise usage_error(ctx, cmd, "Il manque {arg}.", "{arg} is missing.", arg=arg.label(ctx.lang))
        values[arg.kwarg] = convert(ctx, cmd, arg, pieces[i])
    # A savepoint inside the caller's transaction: a refusal raised halfway undoes the handler's writes.
    with ctx.store.atomic():
        return cmd.handler(ctx, **values)
