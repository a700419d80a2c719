"""!sondage / !poll and !vote: a date poll for a meeting, answered on each chat's own poll
mechanism or by command, closed at its deadline or by hand (bot/services/polls.py)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.errors import UserError
from bot.richtext import Doc, b
from bot.services import Actor
from bot.services import poll_posts as posts
from bot.services import polls as svc
from commands.context import Context
from commands.registry import ALL, ORGANISERS_OR_OWNER, Arg, command, fold

if TYPE_CHECKING:
    from bot.when import Event

N = Arg("n", "n", "number")
DATES = Arg("dates", "dates", "text", max_len=2000,
            shown=("<date> ; <date> ; … ; [clôture <quand>]", "<when> ; <when> ; … ; [closes <when>]"))
CLOSING_WORDS = ("cloture", "clotures", "closes", "closing", "close", "fin")
LIST_LIMIT = 30  # a chat message, not a report
NONE_WORDS = {"aucune", "aucun", "rien", "none", "nothing", "0"}
_CHOICES = re.compile(r"\d{1,3}")
_SEPARATORS = re.compile(r"[\s,;]+|\bet\b|\band\b")


def _read_date(ctx: Context, k: int, text: str) -> Event:
    from bot.when import WhenError, read_event

    try:
        return read_event(text, ctx.now, ctx.tz, ctx.lang)
    except WhenError as err:
        raise UserError("Date {k} (« {v} ») : {why}", "Date {k} (\"{v}\"): {why}", k=k, v=text,
                        why=err.explain(ctx.lang)) from None


def _closing(piece: str) -> str | None:
    """The deadline's text when `piece` is "clôture <quand>" (or "closes <when>")."""
    first, _, rest = piece.partition(" ")
    if fold(first).rstrip(":") in CLOSING_WORDS and rest.strip():
        return rest.strip().lstrip(":").strip()
    return None


@command(fr="sondage", en="poll", args=(N, DATES), who=ALL,
         help_fr="ouvre un sondage de dates pour la réunion n (2 à 10 dates) ; clôture par défaut dans 3 jours",
         help_en="open a date poll for meeting n (2 to 10 dates); closes in 3 days by default",
         example_fr="!sondage 3 ; jeudi 10 décembre 18h-20h ; 12/12 10h ; clôture lundi 18h",
         example_en="!poll 3 ; thursday 10 december 6pm-8pm ; 12/12 10am ; closes monday 6pm")
def open_(ctx: Context, n: int, dates: str) -> Doc:
    pieces = [" ".join(p.split()) for p in dates.split(";")]
    pieces = [p for p in pieces if p]
    closes = None
    if pieces and _closing(pieces[-1]) is not None:
        text = _closing(pieces.pop()) or ""
        from bot.when import WhenError, read_event

        try:
            closes = read_event(text, ctx.now, ctx.tz, ctx.lang)
        except WhenError as err:
            raise UserError("Clôture (« {v} ») : {why}", "Closing (\"{v}\"): {why}", v=text,
                            why=err.explain(ctx.lang)) from None
    if len(pieces) > svc.MAX_OPTIONS:
        raise UserError("Un sondage propose de {lo} à {hi} dates ; vous en donnez {k}.",
                        "A poll offers {lo} to {hi} dates; you give {k}.", lo=svc.MIN_OPTIONS, hi=svc.MAX_OPTIONS,
                        k=len(pieces))
    events = [_read_date(ctx, k, text) for k, text in enumerate(pieces, 1)]
    poll = svc.open_poll(ctx.store, Actor(ctx.sender, ctx.is_organiser), ctx.now, ctx.tz, n, events, closes,
                         ctx.backend, ctx.room, ctx.lang)
    meeting = ctx.store.meeting(poll.meeting_id)
    assert meeting is not None
    ctx.poll_message = poll.id
    ctx.reply_poll = posts.native_start(poll, meeting, ctx.lang, ctx.tz)
    return posts.poll_doc(poll, meeting, ctx.lang, ctx.tz, ctx.prefix)


def read_choices(ctx: Context, text: str) -> list[int]:
    """"1 3", "1, 3", "1 et 3": the options chosen; "aucune" (none): no option."""
    if fold(text).strip() in NONE_WORDS:
        return []
    words = [w for w in _SEPARATORS.split(fold(text)) if w]
    if not words or any(not _CHOICES.fullmatch(w) for w in words):
        raise UserError("« {v} » : donnez les numéros des options (« 1 3 »), ou « aucune » pour retirer votre réponse.",
                        "\"{v}\": give the options' numbers (\"1 3\"), or \"none\" to withdraw your answer.", v=text)
    return sorted({int(w) for w in words})


@command(fr="vote", en="vote", args=(N, Arg("options", "options", "text", max_len=100)), spaced_choice=True,
         help_fr="répond au sondage n : les numéros des dates qui vous conviennent ; « aucune » retire votre réponse",
         help_en="answer poll n: the numbers of the dates that suit you; \"none\" withdraws your answer",
         example_fr="!vote 1 1 3", example_en="!vote 1 1 3")
def vote(ctx: Context, n: int, options: str) -> Doc:
    choices = read_choices(ctx, options)
    poll = svc.vote(ctx.store, ctx.sender, ctx.now, n, choices)
    if not choices:
        return Doc().para(ctx.t("Réponse retirée du sondage n°{n}.", "Answer withdrawn from poll #{n}.", n=poll.id))
    return Doc().para(ctx.t("Noté pour le sondage n°{n} : ", "Noted for poll #{n}: ", n=poll.id),
                      b(" ; ".join(posts.option_text(poll, k, ctx.lang, ctx.tz) for k in choices)),
                      ctx.t(" ({r} en tout).", " ({r} in all).", r=svc.respondents(poll)))


@command(fr="sondage voir", en="poll show", args=(N,),
         help_fr="le décompte : chaque date avec ses voix et qui l'a choisie, celle en tête",
         help_en="the tally: each date with its count and who chose it, the leading one",
         example_fr="!sondage voir 1", example_en="!poll show 1")
def show(ctx: Context, n: int) -> Doc:
    poll = svc.get(ctx.store, n)
    return posts.tally_doc(poll, ctx.store.meeting(poll.meeting_id), ctx.lang, ctx.tz, ctx.prefix)


@command(fr="sondage clore", en="poll close",
         args=(N, Arg("option", "option", "text", optional=True, max_len=20)), who=ORGANISERS_OR_OWNER,
         help_fr="clôt le sondage maintenant, en choisissant l'option si besoin (nécessaire en cas d'égalité)",
         help_en="close the poll now, choosing the option if need be (needed on a tie)",
         example_fr="!sondage clore 1 ; 2", example_en="!poll close 1 ; 2")
def close(ctx: Context, n: int, option: str | None = None) -> Doc:
    chosen = None
    if option is not None:
        picked = read_choices(ctx, option)
        if len(picked) != 1:
            raise UserError("Donnez une seule option, par son numéro.", "Give one option, by its number.")
        chosen = picked[0]
    # A poll that ended on a tie has had its end already (a chat's native poll is closed to
    # answers): the organiser's choice is a plain message.
    was_open = svc.get(ctx.store, n).status == "open"
    closed = svc.close(ctx.store, Actor(ctx.sender, ctx.is_organiser), ctx.now, n, chosen)
    poll = closed.poll
    result = posts.result_doc(closed, poll.lang, ctx.tz, ctx.prefix)
    end = {**posts.native_end(closed, poll.lang, ctx.tz), "poll": poll.id} if was_open else None
    if (ctx.backend, ctx.room) == (poll.backend, poll.room):
        ctx.reply_poll = end
        return result
    ctx.posts.append((f"poll-result/{poll.id}", poll.backend, poll.room, result, end))
    return Doc().para(ctx.t("Sondage n°{n} clos ; le résultat est posté là où il a été ouvert.",
                            "Poll #{n} closed; the result is posted where it was opened.", n=poll.id))


@command(fr="sondage liste", en="poll list",
         help_fr="les sondages ouverts, avec leur clôture et la date en tête",
         help_en="open polls with their deadline and leading date",
         example_fr="!sondage liste", example_en="!poll list")
def list_(ctx: Context) -> Doc:
    polls = svc.under_way(ctx.store)
    if not polls:
        return Doc.text(ctx.t("Aucun sondage en cours. Ouvrez-en un : {ex}", "No poll under way. Open one: {ex}",
                              ex=ctx.prefix + ctx.t("sondage 3 ; jeudi 18h ; vendredi 18h", "poll 3 ; thursday 6pm ; friday 6pm")))
    doc = Doc().heading(ctx.t("Sondages en cours", "Polls under way"))
    doc.bullets([posts.summary_line(p, ctx.store.meeting(p.meeting_id), ctx.lang, ctx.tz) for p in polls[:LIST_LIMIT]])
    if len(polls) > LIST_LIMIT:
        doc.para(ctx.t("… et {k} autres (l'export les donne tous).", "… and {k} more (the export has them all).",
                       k=len(polls) - LIST_LIMIT))
    return doc
