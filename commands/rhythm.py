"""!rythme / !rhythm"""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.records import Rhythm
from bot.richtext import Doc, Span, b
from bot.services import Actor
from bot.services import rhythm as svc
from commands.context import Context
from commands.registry import ORGANISERS, Arg, command
from bot.render import instant

if TYPE_CHECKING:
    from bot.when import Recurrence


def _describe(ctx: Context, rhythm: Rhythm) -> list[Span]:
    from bot.when import describe_recurrence

    spans: list[Span] = [describe_recurrence(svc.recurrence_of(rhythm), ctx.lang)]
    if rhythm.place:
        spans += [" — ", rhythm.place]
    return spans


@command(fr="rythme", en="rhythm",
         help_fr="le rythme des séances et la prochaine séance", help_en="the session rhythm and the next session",
         example_fr="!rythme", example_en="!rhythm")
def show(ctx: Context) -> Doc:
    rhythm = svc.current(ctx.store, ctx.config)
    if rhythm is None:
        return Doc.text(ctx.t("Pas encore de rythme. Un·e organisateur·rice le règle : {ex}",
                              "No rhythm yet. An organiser sets it: {ex}",
                              ex=ctx.prefix + ("rhythm set every other thursday at 6pm ; MESHS" if ctx.lang == "en"
                                               else "rythme régler un jeudi sur deux à 18h ; MESHS")))
    doc = Doc().para(ctx.t("Séances : ", "Sessions: "), *_describe(ctx, rhythm))
    upcoming = svc.sessions(rhythm, ctx.now, count=3)
    if upcoming:
        doc.para(ctx.t("Prochaine séance : ", "Next session: "), b(instant(upcoming[0], ctx.lang, ctx.tz)))
        if len(upcoming) > 1:
            doc.para(ctx.t("Puis : ", "Then: "), "; ".join(instant(s, ctx.lang, ctx.tz) for s in upcoming[1:]))
    else:
        doc.para(ctx.t("Plus aucune séance prévue.", "No session left."))
    return doc


@command(fr="rythme régler", en="rhythm set",
         args=(Arg("récurrence", "recurrence", "recurrence", max_len=200, key="rec"), Arg("lieu", "place", "text", optional=True)),
         who=ORGANISERS,
         help_fr="règle le rythme des séances", help_en="set the session rhythm",
         example_fr="!rythme régler un jeudi sur deux à 18h à partir du 3 décembre ; MESHS",
         example_en="!rhythm set every other thursday at 6pm ; MESHS")
def set_(ctx: Context, rec: Recurrence, place: str | None = None) -> Doc:
    rhythm = svc.set_rhythm(ctx.store, Actor(ctx.sender, ctx.is_organiser), ctx.now, rec, rec_text(rec, ctx), place)
    doc = Doc().para(ctx.t("Rythme réglé : ", "Rhythm set: "), *_describe(ctx, rhythm))
    upcoming = svc.sessions(rhythm, ctx.now, count=3)
    if upcoming:
        doc.para(ctx.t("Prochaines séances : ", "Next sessions: "), "; ".join(instant(s, ctx.lang, ctx.tz) for s in upcoming))
    return doc


def rec_text(rec: Recurrence, ctx: Context) -> str:
    from bot.when import describe_recurrence

    return describe_recurrence(rec, ctx.lang)
