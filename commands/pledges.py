"""!mécénat / !pledge: commit to give every month, see the collective, see your own pledge (by
direct message), stop, and the monthly reminder on or off.

A member's own amount is never said in a room unless they made it public: the reply in the
room says what was recorded, and the details go to them alone (`ctx.private`)."""
from __future__ import annotations

import re
from typing import Any

from bot.errors import UserError
from bot.money import per_month, read_amount
from bot.richtext import Doc, b, code
from bot.services import pledge_posts as posts
from bot.services import pledges as svc
from commands.context import Context
from commands.convert import record_number
from commands.registry import Arg, command, fold

OPTIONS = Arg("options", "options", "text", optional=True, max_len=400,
              shown=("[pendant <durée>] ; [pour <brique>] ; [anonyme|montant public]",
                     "[for <duration>] ; [to <brick>] ; [anonymous|public amount]"))
AMOUNT = Arg("montant", "amount", "text", max_len=80, shown=("<montant> par mois", "<amount> a month"))

VISIBILITY_WORDS = {
    "anonyme": "anonymous", "anonymous": "anonymous", "anon": "anonymous",
    "montant public": "public", "public amount": "public", "public": "public", "montant affiche": "public",
    "nomme": "named", "nommee": "named", "nomme·e": "named", "named": "named", "nom affiche": "named",
    "name shown": "named", "montant prive": "named", "private amount": "named",
}
NO_BRICK = {"sans brique", "no brick", "aucune brique"}
DURATION_WORDS = {"pendant", "durant", "during"}
BRICK_WORDS = {"to", "towards", "vers"}
EITHER_WORDS = {"pour", "for", "sur"}  # "pour 6 mois" is a length, "pour 7" a brick
_YEARS = re.compile(r"(\S+)\s+(?:an|ans|annee|annees|year|years)")
_MONTHS = re.compile(r"(\d{1,9})\s*(?:mois|months?)")


def _example(ctx: Context) -> str:
    return ctx.prefix + ctx.t("mécénat engager 50 par mois ; pendant 12 mois ; pour Redistribution vers les collectifs",
                              "pledge commit 50 a month ; for 12 months ; to Redistribution vers les collectifs")


def _with_example(ctx: Context, err: UserError) -> UserError:
    return UserError(err.fr + "\nExemple : {example}", err.en + "\nExample: {example}",
                     **{**err.values, "example": _example(ctx)})


class NotMonths(UserError):
    """A length read, but in days or weeks."""


def read_months(text: str) -> int:
    """A pledge's length in whole months: "6 mois", "six months", "1 an", "2 years"."""
    from bot.when import WhenError
    from bot.when.grammar import Reader
    from bot.when.tokens import tokenize
    from bot.when.lexicon import NUMBER_WORDS
    from bot.when.scan import detect_language

    folded = fold(text).strip()
    digits = _MONTHS.fullmatch(folded)
    if digits:  # the service says how many months a pledge may last
        return int(digits.group(1))
    years = _YEARS.fullmatch(folded)
    if years:
        count = years.group(1)
        n = int(count) if count.isdigit() else NUMBER_WORDS.get(count)
        if n:
            return n * 12
    tokens = tokenize(text)
    got = None
    if tokens:
        try:
            got = Reader(tokens, text, "duration", detect_language(tokens)).read_length(0)
        except WhenError:
            got = None
    if got is None or got[1] != len(tokens):
        raise UserError("« {v} » n'est pas une durée en mois.", "\"{v}\" is not a length in months.", v=text)
    length = got[0]
    if length.days or length.exact:
        raise NotMonths("« {v} » : un engagement se compte en mois.", "\"{v}\": a pledge is counted in months.", v=text)
    return length.months


def _brick(ctx: Context, value: str) -> int:
    from commands import convert

    return convert.brick(ctx, None, None, value)  # type: ignore[arg-type]


def read_options(ctx: Context, text: str | None) -> dict[str, Any]:
    """The optional parts, in any order, each said by its word: "pendant 6 mois", "pour
    Redistribution", "anonyme" / "montant public"."""
    found: dict[str, Any] = {}  # months: int, brick: int | None, visibility: str

    def once(key: str, value: object, piece: str) -> None:
        if key in found:
            raise UserError("« {p} » : {what} plus haut.", "\"{p}\": {what_en} is given twice.", p=piece,
                            what={"months": "la durée est déjà donnée", "brick": "la brique est déjà donnée",
                                  "visibility": "l'affichage est déjà donné"}[key],
                            what_en={"months": "the length", "brick": "the brick", "visibility": "the visibility"}[key])
        found[key] = value

    for piece in (text or "").split(";"):
        piece = " ".join(piece.split())
        if not piece:
            continue
        folded = fold(piece)
        if folded in VISIBILITY_WORDS:
            once("visibility", VISIBILITY_WORDS[folded], piece)
            continue
        if folded in NO_BRICK:
            once("brick", None, piece)
            continue
        first, _, rest = piece.partition(" ")
        word = fold(first)
        if word in DURATION_WORDS and rest:
            once("months", read_months(rest), piece)
        elif word in BRICK_WORDS and rest:
            once("brick", _brick(ctx, rest), piece)
        elif word in EITHER_WORDS and rest:
            try:
                months = read_months(rest)
            except NotMonths:
                raise
            except UserError:
                try:
                    brick = _brick(ctx, rest)
                except UserError as err:
                    if record_number(rest) is not None:
                        raise
                    raise UserError("« {v} » : ni une durée en mois, ni une brique ({why})",
                                    "\"{v}\": neither a length in months nor a brick ({why_en})", v=rest,
                                    why=err.message("fr").rstrip("."), why_en=err.message("en").rstrip(".")) from None
                once("brick", brick, piece)
            else:
                once("months", months, piece)
        else:
            try:
                once("months", read_months(piece), piece)
            except UserError:
                raise UserError("« {p} » : je ne sais pas ce que c'est. Après le montant viennent, dans n'importe quel "
                                "ordre : pendant <durée>, pour <brique>, anonyme ou montant public.",
                                "\"{p}\": I don't know what that is. After the amount come, in any order: "
                                "for <duration>, to <brick>, anonymous or public amount.", p=piece) from None
    return found


@command(fr="mécénat", en="pledge",
         help_fr="le collectif : combien donnent, combien par mois, qui est nommé, pour quoi",
         help_en="the collective: how many give, how much a month, who is named, what for",
         example_fr="!mécénat", example_en="!pledge")
def show(ctx: Context) -> Doc:
    return posts.collective_doc(ctx.store, ctx.config, ctx.now, ctx.lang)


@command(fr="mécénat engager", en="pledge commit", args=(AMOUNT, OPTIONS),
         help_fr="donner chaque mois (12 mois et montant privé par défaut)",
         help_en="give every month (12 months and amount private by default)",
         example_fr="!mécénat engager 50 par mois ; pour redistribution",
         example_en="!pledge commit 50 a month ; to redistribution")
def commit(ctx: Context, amount: str, options: str | None = None) -> Doc:
    settings = ctx.config.pledges
    try:
        cents = read_amount(amount, settings.currency)
        chosen = read_options(ctx, options)
        terms = svc.Terms(amount_cents=cents, months=chosen.get("months", svc.DEFAULT_MONTHS),
                          brick_id=chosen.get("brick"), no_brick="brick" in chosen and chosen["brick"] is None,
                          visibility=chosen.get("visibility"))
        done = svc.commit(ctx.store, settings, ctx.sender, ctx.room, ctx.now, ctx.config.chambre.timezone, ctx.lang, terms)
    except UserError as err:
        raise _with_example(ctx, err) from None
    p = done.pledge
    details = Doc().para(ctx.t("Merci ! ", "Thank you! "),
                         ctx.t("Engagement remplacé (l'ancien reste dans l'historique)." if done.replaced else "Engagement enregistré.",
                               "Pledge replaced (the old one stays in the history)." if done.replaced else "Pledge recorded."))
    details.blocks += posts.mine_doc(ctx.store, ctx.config, ctx.sender, ctx.now, ctx.lang).blocks
    if ctx.direct:
        return details
    ctx.private.append(details)
    room = Doc()
    if p.visibility == "public":
        room.para(ctx.t("Merci ! ", "Thank you! "), ctx.t("Engagement remplacé : " if done.replaced else "Engagement enregistré : ",
                                                            "Pledge replaced: " if done.replaced else "Pledge recorded: "),
                  b(per_month(p.amount_cents, p.currency, ctx.lang)), ctx.t(" pendant ", " for "), posts.runs_text(p, ctx.lang), ".")
    else:
        room.para(ctx.t("Merci ! ", "Thank you! "), ctx.t("Engagement remplacé, " if done.replaced else "Engagement enregistré, ",
                                                            "Pledge replaced, " if done.replaced else "Pledge recorded, "),
                  ctx.t("pour ", "for "), posts.runs_text(p, ctx.lang), ".")
    room.para(posts.visibility_text(p.visibility, ctx.lang).capitalize(), ". ",
              ctx.t("Le détail vous est envoyé en message privé.", "The details are sent to you by direct message."))
    return room


@command(fr="mécénat moi", en="pledge mine",
         help_fr="votre engagement, en message privé", help_en="your pledge, by direct message",
         example_fr="!mécénat moi", example_en="!pledge mine")
def mine(ctx: Context) -> Doc:
    doc = posts.mine_doc(ctx.store, ctx.config, ctx.sender, ctx.now, ctx.lang)
    if ctx.direct:
        return doc
    ctx.private.append(doc)
    return Doc.text(ctx.t("Je vous réponds en message privé.", "I am answering you by direct message."))


@command(fr="mécénat arrêter", en="pledge stop",
         help_fr="arrêter votre engagement (gardé dans l'historique)", help_en="stop your pledge (kept in the history)",
         example_fr="!mécénat arrêter", example_en="!pledge stop")
def stop(ctx: Context) -> Doc:
    try:
        svc.stop(ctx.store, ctx.sender, ctx.now)
    except UserError as err:
        raise UserError(err.fr + " S'engager : {example}", err.en + " To pledge: {example}",
                        example=ctx.prefix + ctx.t("mécénat engager 50 par mois", "pledge commit 50 a month")) from None
    return Doc().para(ctx.t("Votre engagement est arrêté à partir de maintenant ; il reste dans l'historique. Merci pour ce que vous avez donné !",
                            "Your pledge is stopped from now; it stays in the history. Thank you for what you gave!"))


@command(fr="mécénat rappel", en="pledge reminder",
         args=(Arg("oui|non", "yes|no", "choice", choices=(("off", "non", "no"), ("on", "oui", "yes")), key="answer"),),
         help_fr="le rappel mensuel en message privé, ou non", help_en="the monthly reminder by direct message, or not",
         example_fr="!mécénat rappel non", example_en="!pledge reminder no")
def reminder(ctx: Context, answer: str) -> Doc:
    try:
        svc.set_reminders(ctx.store, ctx.sender, ctx.now, answer == "on")
    except UserError as err:
        raise UserError(err.fr + " S'engager : {example}", err.en + " To pledge: {example}",
                        example=ctx.prefix + ctx.t("mécénat engager 50 par mois", "pledge commit 50 a month")) from None
    day = ctx.config.pledges.reminder_day
    if answer == "on":
        return Doc().para(ctx.t("Rappel mensuel repris : un message privé le {d} de chaque mois.",
                                "Monthly reminder back on: a direct message on day {d} of each month.",
                                d="1er" if day == 1 and ctx.lang != "en" else day))
    return Doc().para(ctx.t("Plus de rappel mensuel. Pour le reprendre : ", "No more monthly reminder. To have it again: "),
                      code(ctx.prefix + ctx.t("mécénat rappel oui", "pledge reminder yes")))
