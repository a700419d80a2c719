"""!séance / !session, !présent, !point, !info, !décision, !action: the session's minutes and
the actions agreed in it (bot/services/sessions.py holds the rules)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.errors import UserError
from bot.minutes import action_details, minutes_doc, session_title
from bot.records import Action, Minutes, Session, SessionTopic
from bot.render import number
from bot.richtext import Doc, Span, b, code, i
from bot.services import Actor
from bot.services import bricks as brick_svc
from bot.services import sessions as svc
from commands.bricks import REF as BRICK_REF
from commands.context import Context
from commands.convert import record_number
from commands.registry import ORGANISERS, ORGANISERS_OR_CHAIR, ORGANISERS_OR_PERSON, Arg, command, fold

if TYPE_CHECKING:
    from bot.when import Event

LIST_LIMIT = 50  # a chat reply; the export has every action
# "!séance ouvrir réunion 3": the minutes of meeting n°3.
_MEETING = re.compile(r"^(?:reunion|meeting)\s+(.+)$")


def _minutes(ctx: Context, minutes: Minutes) -> Doc:
    """The minutes in this room's language, with the link to their page on the web board
    when it has a public address."""
    return minutes_doc(minutes, ctx.lang, ctx.tz, board=ctx.config.web.base_url if ctx.config.web else None)


def actor(ctx: Context) -> Actor:
    return Actor(ctx.sender, ctx.is_organiser)


def _cmd(ctx: Context, fr: str, en: str) -> str:
    return ctx.prefix + (en if ctx.lang == "en" else fr)


def _colon(ctx: Context) -> str:
    return ": " if ctx.lang == "en" else " : "


def open_here(ctx: Context) -> Session:
    """The session open in this room, or the refusal that says how to open one."""
    session = svc.open_in(ctx.store, ctx.backend, ctx.room)
    if session is None:
        raise UserError("Aucune séance n'est ouverte dans ce salon : un organisateur l'ouvre avec {cmd}.",
                        "No session is open in this room: an organiser opens one with {cmd}.",
                        cmd=_cmd(ctx, "séance ouvrir", "session start"))
    return session


def action_line(a: Action, ctx: Context) -> list[Span]:
    return [b("Action " + number(a.id, ctx.lang)), _colon(ctx), a.text, " — ",
            i(" — ".join(action_details(a, ctx.lang, ctx.tz, ctx.now)))]


# ---- opening, closing, reading ------------------------------------------------------------------

@command(fr="séance ouvrir", en="session start", args=(Arg("titre", "title", "text", optional=True, max_len=200),),
         who=ORGANISERS,
         help_fr="ouvre le compte rendu dans ce salon (la séance du jour, sinon une séance ad hoc ; "
                 "« réunion 3 » pour une réunion) et montre les points à traiter",
         help_en="open the minutes in this room (today's session, else an ad-hoc one; \"meeting 3\" for a meeting) "
                 "and show the topics to go through",
         example_fr="!séance ouvrir", example_en="!session start")
def open_(ctx: Context, title: str | None = None) -> Doc:
    meeting_id = None
    if title:
        found = _MEETING.match(fold(title))
        if found and record_number(found.group(1)) is not None:
            meeting_id = record_number(found.group(1))
            title = None
    session, topics = svc.open_session(ctx.store, ctx.config, actor(ctx), ctx.now, ctx.backend, ctx.room, title,
                                       meeting_id)
    doc = Doc().heading(ctx.t("Séance n°{n} ouverte : ", "Session #{n} open: ", n=session.id),
                        b(session_title(session, ctx.lang)))
    doc.para(ctx.t("Présidence : ", "Chair: "), session.chair, " — ", session.place or ctx.t("lieu non précisé", "place not given"))
    if topics:
        doc.para(b(ctx.t("Points à traiter :", "Topics to go through:")))
        doc.bullets([[b(number(t.topic_id, ctx.lang)), " ", t.text] for t in topics])
        doc.para(ctx.t("Commencer : ", "Start: "), code(_cmd(ctx, "point suivant", "topic next")))
    else:
        doc.para(i(ctx.t("Aucun point à l'ordre du jour : ", "No agenda topic: ")),
                 code(_cmd(ctx, "odj ajouter <texte>", "topic add <text>")), i(ctx.t(" en ajoute un.", " adds one.")))
    doc.para(ctx.t("Noter : ", "Record: "), code(_cmd(ctx, "info", "info")), ", ", code(_cmd(ctx, "décision", "agreed")), ", ",
             code(_cmd(ctx, "action", "action")), ctx.t(" ; finir : ", "; end: "), code(_cmd(ctx, "séance clore", "session end")))
    return doc


@command(fr="séance clore", en="session end", who=ORGANISERS_OR_CHAIR,
         help_fr="clôt la séance : le compte rendu est posté ici et gardé",
         help_en="close the session: the minutes are posted here and kept",
         example_fr="!séance clore", example_en="!session end")
def close(ctx: Context) -> Doc:
    session = svc.open_in(ctx.store, ctx.backend, ctx.room)
    if session is None:
        raise UserError("Aucune séance n'est ouverte dans ce salon : il n'y a rien à clore.",
                        "No session is open in this room: there is nothing to close.")
    minutes = svc.close_by(ctx.store, actor(ctx), ctx.now, session)
    return _minutes(ctx, minutes)


@command(fr="séance voir", en="session show", args=(Arg("date|n", "date|n", "text", optional=True, max_len=60, key="ref"),),
         help_fr="le compte rendu d'une séance (celle en cours ou la dernière, un numéro ou une date)",
         help_en="the minutes of a session (the open or last one, a number or a date)",
         example_fr="!séance voir 3/12", example_en="!session show 1")
def show(ctx: Context, ref: str | None = None) -> Doc:
    if ref is None:
        session = svc.last_here(ctx.store, ctx.backend, ctx.room)
        if session is None:
            return Doc.text(ctx.t("Aucune séance ici pour l'instant : {cmd} en ouvre une.",
                                  "No session here yet: {cmd} opens one.", cmd=_cmd(ctx, "séance ouvrir", "session start")))
        return _minutes(ctx, svc.minutes(ctx.store, session))
    n = record_number(ref)
    if n is not None:
        return _minutes(ctx, svc.minutes(ctx.store, svc.get(ctx.store, n)))
    from bot.when import WhenError, format_day, read_past_day

    try:
        day = read_past_day(ref, ctx.now, ctx.tz, ctx.lang)
    except WhenError as err:
        raise UserError("{why}", "{why}", why=err.explain(ctx.lang)) from None
    sessions = svc.held_on(ctx.store, day)
    if not sessions:
        return Doc.text(ctx.t("Pas de séance le {d}.", "No session on {d}.", d=format_day(day, ctx.lang)))
    if len(sessions) == 1:
        return _minutes(ctx, svc.minutes(ctx.store, sessions[0]))
    doc = Doc().para(ctx.t("Plusieurs séances le {d} : donnez le numéro.", "Several sessions on {d}: give the number.",
                           d=format_day(day, ctx.lang)))
    doc.bullets([[b(number(s.id, ctx.lang)), " ", session_title(s, ctx.lang)] for s in sessions])
    return doc


# ---- during the session --------------------------------------------------------------------------

@command(fr="présent", en="present", args=(Arg("nom", "name", "text", optional=True, max_len=100),),
         help_fr="vous marque présent·e (ou quelqu'un présent dans la salle) ; qui parle pendant la séance l'est aussi",
         help_en="mark yourself present (or someone in the room physically); whoever speaks during the session is too",
         example_fr="!présent Dominique", example_en="!present Dominique")
def present(ctx: Context, name: str | None = None) -> Doc:
    session = open_here(ctx)
    who, added = svc.mark_present(ctx.store, actor(ctx), ctx.now, session, name)
    if not added:
        return Doc.text(ctx.t("{who} est déjà noté·e présent·e.", "{who} is already marked present.", who=who))
    return Doc.text(ctx.t("Noté : {who} présent·e.", "Noted: {who} present.", who=who))


@command(fr="point suivant", en="topic next", who=ORGANISERS_OR_CHAIR,
         help_fr="passe au point suivant de l'ordre du jour : la suite est notée sous ce point",
         help_en="move to the next agenda topic: what follows is filed under it",
         example_fr="!point suivant", example_en="!topic next")
def next_topic(ctx: Context) -> Doc:
    return _moved(ctx, svc.move_to(ctx.store, actor(ctx), ctx.now, open_here(ctx), None))


@command(fr="point", en="topic", args=(Arg("n", "n", "text", max_len=20, key="ref"),), who=ORGANISERS_OR_CHAIR,
         help_fr="passe au point n de l'ordre du jour", help_en="move to agenda topic n",
         example_fr="!point 2", example_en="!topic 2")
def to_topic(ctx: Context, ref: str) -> Doc:
    n = record_number(ref)
    if not n:  # "!point machin": not a topic number, perhaps a subcommand mistyped
        from commands.dispatcher import usage_error
        from commands.registry import REGISTRY

        cmd = REGISTRY.lookup(["point", "1"])[0]
        assert cmd is not None  # this very command
        raise usage_error(ctx, cmd, "« {v} » n'est pas un numéro de point ({nxt} passe au suivant).",
                          "\"{v}\" is not a topic number ({nxt} moves to the next one).", v=ref,
                          nxt=_cmd(ctx, "point suivant", "topic next"))
    return _moved(ctx, svc.move_to(ctx.store, actor(ctx), ctx.now, open_here(ctx), n))


def _moved(ctx: Context, topic: SessionTopic | None) -> Doc:
    if topic is None:
        return Doc.text(ctx.t("Plus de point à traiter : la suite est notée hors des points.",
                              "No topic left: what follows is filed outside the topics."))
    return Doc().para(ctx.t("Point ", "Topic "), b(number(topic.topic_id, ctx.lang)), _colon(ctx), b(topic.text),
                      ctx.t(" — la suite est notée sous ce point.", " — what follows is filed under it."))


@command(fr="info", en="info", args=(Arg("texte", "text", "text", max_len=1000),),
         help_fr="une note dans le compte rendu, sous le point en cours", help_en="a note in the minutes, under the current topic",
         example_fr="!info La salle est libre le 12 janvier", example_en="!info The room is free on 12 January")
def info(ctx: Context, text: str) -> Doc:
    session = open_here(ctx)
    svc.add_info(ctx.store, actor(ctx), ctx.now, session, text)
    return Doc.text(ctx.t("Info notée.", "Info noted."))


@command(fr="décision", en="agreed", args=(Arg("texte", "text", "text", max_len=1000),), who=ORGANISERS_OR_CHAIR,
         help_fr="une décision dans le compte rendu", help_en="a decision in the minutes",
         example_fr="!décision On réserve la salle du 12 janvier", example_en="!agreed We book the room for 12 January")
def decision(ctx: Context, text: str) -> Doc:
    session = open_here(ctx)
    svc.add_decision(ctx.store, actor(ctx), ctx.now, session, text)
    return Doc.text(ctx.t("Décision notée.", "Decision noted."))


@command(fr="décision brique", en="agreed brick", args=(BRICK_REF, Arg("texte", "text", "text", max_len=1000)),
         who=ORGANISERS_OR_CHAIR,
         help_fr="une décision sur une brique : dans le compte rendu et dans l'historique de la brique",
         help_en="a decision about a brick: in the minutes and in the brick's history",
         example_fr="!décision brique 2 ; On lance la recette en janvier", example_en="!agreed brick 2 ; We start the recipe in January")
def brick_decision(ctx: Context, brick: int, text: str) -> Doc:
    session = open_here(ctx)
    svc.add_decision(ctx.store, actor(ctx), ctx.now, session, text, brick)
    name = brick_svc.get(ctx.store, brick).name
    return Doc().para(ctx.t("Décision notée, et dans l'historique de la brique ", "Decision noted, and in the history of brick "),
                      b(name), ".")


# ---- actions --------------------------------------------------------------------------------------

@command(fr="action", en="action",
         args=(Arg("personne", "person", "text", max_len=100), Arg("texte", "text", "text", max_len=1000),
               Arg("échéance", "due", "when", optional=True, max_len=200)),
         help_fr="une action pour quelqu'un (« moi » pour soi), avec une échéance si on veut",
         help_en="an action for someone (\"me\" for yourself), with a due date if wanted",
         example_fr="!action Camille ; réserver la salle ; vendredi", example_en="!action Camille ; book the room ; friday")
def action(ctx: Context, person: str, text: str, due: Event | None = None) -> Doc:
    session = svc.open_in(ctx.store, ctx.backend, ctx.room)
    a = svc.add_action(ctx.store, ctx.config, actor(ctx), ctx.now, ctx.backend, session, person, text,
                       due.start if due is not None else None)
    doc = Doc().para(*action_line(a, ctx))
    if session is None:
        doc.para(i(ctx.t("(hors séance : dans aucun compte rendu, mais suivie comme les autres)",
                         "(outside a session: in no minutes, but followed up like the others)")))
    if a.due is not None and a.person_id is None:
        doc.para(i(ctx.t("{p} n'est pas un membre du chat que je reconnais : pas de message privé en cas de retard "
                         "(« moi », ou son identifiant, le permettent).",
                         "{p} is not a chat member I recognise: no direct message if it is late (\"me\", or their "
                         "chat id, allow it).", p=a.person)))
    return doc


@command(fr="action liste", en="action list", args=(Arg("personne", "person", "text", optional=True, max_len=100),),
         help_fr="les actions en cours, en retard d'abord", help_en="open actions, overdue first",
         example_fr="!action liste Camille", example_en="!action list")
def list_(ctx: Context, person: str | None = None) -> Doc:
    actions = svc.open_actions(ctx.store, person)
    if not actions:
        return Doc.text(ctx.t("Aucune action en cours", "No open action") + (f" ({person})." if person else "."))
    doc = Doc().heading(ctx.t("Actions en cours", "Open actions") + (f" — {person}" if person else ""))
    doc.bullets([action_line(a, ctx) for a in actions[:LIST_LIMIT]])
    if len(actions) > LIST_LIMIT:
        doc.para(ctx.t("… et {k} autres (l'export les donne toutes).", "… and {k} more (the export has them all).",
                       k=len(actions) - LIST_LIMIT))
    return doc


@command(fr="action fait", en="action done", args=(Arg("n", "n", "number"), Arg("note", "note", "text", optional=True, max_len=500)),
         who=ORGANISERS_OR_PERSON,
         help_fr="clôt une action (sa personne ou les organisateurs)", help_en="close an action (its person or organisers)",
         example_fr="!action fait 1 ; salle réservée", example_en="!action done 1 ; room booked")
def done(ctx: Context, n: int, note: str | None = None) -> Doc:
    a = svc.done(ctx.store, actor(ctx), ctx.now, n, note)
    doc = Doc().para(ctx.t("Action {n} faite : ", "Action {n} done: ", n=number(a.id, ctx.lang)), b(a.text),
                     " — ", a.person)
    if note:
        doc.para(ctx.t("Note : ", "Note: "), i(note))
    return doc
