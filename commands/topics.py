"""!odj / !topic"""
from __future__ import annotations

from bot.richtext import Doc, b
from bot.services import Actor
from bot.services import sessions as session_svc
from bot.services import topics as svc
from commands.context import Context
from commands.registry import ORGANISERS_OR_OWNER, Arg, command
from bot.render import topic_line

LIST_LIMIT = 50  # a chat reply, not a report: the export has every topic


@command(fr="odj ajouter", en="topic add", args=(Arg("texte", "text", "text", max_len=500),),
         help_fr="ajoute un point à l'ordre du jour de la prochaine séance", help_en="add a topic to the next session's agenda",
         example_fr="!odj ajouter Trouver une salle pour janvier", example_en="!topic add Find a room for January")
def add(ctx: Context, text: str) -> Doc:
    t = svc.add(ctx.store, Actor(ctx.sender, ctx.is_organiser), ctx.now, text, ctx.room)
    session_svc.topic_added(ctx.store, ctx.backend, ctx.room, t.id)  # a session open here goes through it too
    return Doc().para(ctx.t("Point n°{n} ajouté à l'ordre du jour : ", "Topic #{n} added to the agenda: ", n=t.id), b(t.text))


@command(fr="odj liste", en="topic list",
         help_fr="les points de l'ordre du jour pas encore traités", help_en="the agenda topics not yet done",
         example_fr="!odj liste", example_en="!topic list")
def list_(ctx: Context) -> Doc:
    topics = svc.open_topics(ctx.store)
    if not topics:
        return Doc.text(ctx.t("L'ordre du jour est vide. Ajoutez un point : {ex}", "The agenda is empty. Add a topic: {ex}",
                              ex=ctx.prefix + ("topic add Find a room" if ctx.lang == "en" else "odj ajouter Trouver une salle")))
    doc = Doc().heading(ctx.t("Ordre du jour", "Agenda topics")).bullets([topic_line(t, ctx.lang) for t in topics[:LIST_LIMIT]])
    if len(topics) > LIST_LIMIT:
        doc.para(ctx.t("… et {k} autres (l'export les donne tous).", "… and {k} more (the export has them all).",
                       k=len(topics) - LIST_LIMIT))
    return doc


@command(fr="odj fait", en="topic done", args=(Arg("n", "n", "number"),), who=ORGANISERS_OR_OWNER,
         help_fr="marque un point comme traité (organisateurs ou son auteur)", help_en="mark a topic done (organisers or its author)",
         example_fr="!odj fait 1", example_en="!topic done 1")
def done(ctx: Context, n: int) -> Doc:
    t = svc.done(ctx.store, Actor(ctx.sender, ctx.is_organiser), ctx.now, n)
    return Doc().para(ctx.t("Point n°{n} traité : ", "Topic #{n} done: ", n=t.id), b(t.text))
