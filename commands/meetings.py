"""!réunion / !meeting"""
from __future__ import annotations

from typing import TYPE_CHECKING

from bot.richtext import Doc, Span, b
from bot.services import Actor
from bot.services import meetings as svc
from commands.context import Context
from commands.registry import ALL, ORGANISERS, ORGANISERS_OR_OWNER, Arg, command
from bot.render import RSVP, STATUS, meeting_line, tr, when_text, word

if TYPE_CHECKING:
    from bot.when import Event

N = Arg("n", "n", "number")
LIST_LIMIT = 50  # a chat message, not a report: the export has everything
WHEN = Arg("quand", "when", "when", max_len=200)
TITLE = Arg("titre", "title", "text", max_len=200)
PLACE = Arg("lieu", "place", "text", optional=True, max_len=200)


def actor(ctx: Context) -> Actor:
    return Actor(ctx.sender, ctx.is_organiser)


@command(fr="réunion proposer", en="meeting propose", args=(WHEN, TITLE, PLACE), who=ALL,
         help_fr="propose une réunion ; « ? » pour une réunion encore à organiser",
         help_en="propose a meeting; \"?\" for a meeting still to organise",
         example_fr="!réunion proposer vendredi 19h ; Atelier briques ; MESHS",
         example_en="!meeting propose friday 7pm ; Bricks workshop ; MESHS")
def propose(ctx: Context, when: Event | None, title: str, place: str | None = None) -> Doc:
    m = svc.propose(ctx.store, actor(ctx), ctx.now, when, title, place, ctx.room)
    doc = Doc().para(ctx.t("Réunion n°{n} proposée : ", "Meeting #{n} proposed: ", n=m.id), b(m.title))
    doc.para(ctx.t("Quand : ", "When: "), b(when_text(m.start, m.end, ctx.lang, ctx.tz)))
    if m.place:
        doc.para(ctx.t("Lieu : ", "Place: "), m.place)
    doc.para(ctx.t("Un·e organisateur·rice la confirme avec {c}.", "An organiser confirms it with {c}.",
                   c=f"{ctx.prefix}{tr(ctx.lang, 'réunion confirmer', 'meeting confirm')} {m.id}"))
    return doc


@command(fr="réunion liste", en="meeting list",
         args=(Arg("toutes", "all", "choice", optional=True, choices=(("all", "toutes", "all"),), key="which"),),
         help_fr="les réunions à venir et à organiser ; « toutes » ajoute les passées et annulées",
         help_en="upcoming and still-to-organise meetings; \"all\" adds past and cancelled ones",
         example_fr="!réunion liste", example_en="!meeting list")
def list_(ctx: Context, which: str | None = None) -> Doc:
    shown, total = svc.upcoming(ctx.store, ctx.now, include_all=which == "all", limit=LIST_LIMIT)
    if not shown:
        return Doc.text(ctx.t("Aucune réunion à venir. Proposez-en une : {ex}", "No upcoming meeting. Propose one: {ex}",
                              ex=ctx.prefix + tr(ctx.lang, "réunion proposer vendredi 19h ; Atelier", "meeting propose friday 7pm ; Workshop")))
    doc = Doc().heading(ctx.t("Réunions", "Meetings") + (ctx.t(" (toutes)", " (all)") if which else ""))
    doc.bullets([meeting_line(m, ctx.lang, ctx.tz) for m in shown])
    if total > len(shown):
        doc.para(ctx.t("… et {k} autres (l'export les donne toutes).", "… and {k} more (the export has them all).",
                       k=total - len(shown)))
    return doc


@command(fr="réunion voir", en="meeting show", args=(N,),
         help_fr="une réunion en détail, avec qui vient", help_en="one meeting in full, with who comes",
         example_fr="!réunion voir 1", example_en="!meeting show 1")
def show(ctx: Context, n: int) -> Doc:
    m = svc.get(ctx.store, n)
    doc = Doc().heading(ctx.t("Réunion n°{n} : ", "Meeting #{n}: ", n=m.id), m.title)
    rows: list[list[Span]] = [
        [ctx.t("Quand : ", "When: "), b(when_text(m.start, m.end, ctx.lang, ctx.tz))],
        [ctx.t("Lieu : ", "Place: "), m.place or ctx.t("pas encore de lieu", "no place yet")],
        [ctx.t("Statut : ", "Status: "), word(STATUS, m.status, ctx.lang),
         *([" — ", m.cancel_reason] if m.cancel_reason else [])],
        [ctx.t("Proposée par ", "Proposed by "), m.proposed_by],
    ]
    rows += [[word(RSVP, a, ctx.lang), " : " if ctx.lang != "en" else ": ", ", ".join(m.rsvp[a]) or "—"] for a in ("yes", "maybe", "no")]
    doc.bullets(rows)
    return doc


@command(fr="réunion confirmer", en="meeting confirm", args=(N,), who=ORGANISERS,
         help_fr="confirme une réunion proposée", help_en="confirm a proposed meeting",
         example_fr="!réunion confirmer 1", example_en="!meeting confirm 1")
def confirm(ctx: Context, n: int) -> Doc:
    m = svc.confirm(ctx.store, actor(ctx), ctx.now, n)
    return Doc().para(ctx.t("Réunion n°{n} confirmée : ", "Meeting #{n} confirmed: ", n=m.id), b(m.title), " — ",
                      b(when_text(m.start, m.end, ctx.lang, ctx.tz)))


@command(fr="réunion annuler", en="meeting cancel", args=(N, Arg("raison", "reason", "text", optional=True, max_len=500)),
         who=ORGANISERS_OR_OWNER,
         help_fr="annule une réunion (organisateurs ou la personne qui l'a proposée)",
         help_en="cancel a meeting (organisers or its proposer)",
         example_fr="!réunion annuler 1 ; salle indisponible", example_en="!meeting cancel 1 ; room unavailable")
def cancel(ctx: Context, n: int, reason: str | None = None) -> Doc:
    m = svc.cancel(ctx.store, actor(ctx), ctx.now, n, reason)
    doc = Doc().para(ctx.t("Réunion n°{n} annulée : ", "Meeting #{n} cancelled: ", n=m.id), b(m.title))
    if reason:
        doc.para(ctx.t("Raison : ", "Reason: "), reason)
    return doc


@command(fr="réunion déplacer", en="meeting move", args=(N, WHEN), who=ORGANISERS_OR_OWNER,
         help_fr="change la date (ou en donne une à une réunion à organiser) ; une réunion confirmée redevient proposée",
         help_en="change the date (or give one to a meeting still to organise); a confirmed meeting goes back to proposed",
         example_fr="!réunion déplacer 1 ; jeudi 18h-20h", example_en="!meeting move 1 ; thursday 6pm-8pm")
def move(ctx: Context, n: int, when: Event | None) -> Doc:
    m, moved = svc.move(ctx.store, actor(ctx), ctx.now, n, when)
    if not moved:
        return Doc().para(ctx.t("Réunion n°{n} : déjà le ", "Meeting #{n}: already on ", n=m.id),
                          b(when_text(m.start, m.end, ctx.lang, ctx.tz)),
                          ctx.t(" ; rien n'a changé (statut : ", "; nothing changed (status: "), word(STATUS, m.status, ctx.lang), ").")
    return Doc().para(ctx.t("Réunion n°{n} déplacée : ", "Meeting #{n} moved: ", n=m.id), b(m.title), " — ",
                      b(when_text(m.start, m.end, ctx.lang, ctx.tz)), " (", ctx.t("statut : ", "status: "),
                      word(STATUS, m.status, ctx.lang), ")")


@command(fr="réunion lieu", en="meeting place", args=(N, Arg("lieu", "place", "text", max_len=200)), who=ORGANISERS_OR_OWNER,
         help_fr="donne ou change le lieu", help_en="set or change the place",
         example_fr="!réunion lieu 1 ; MESHS, salle 2", example_en="!meeting place 1 ; MESHS, room 2")
def place(ctx: Context, n: int, place: str) -> Doc:
    m = svc.set_place(ctx.store, actor(ctx), ctx.now, n, place)
    return Doc().para(ctx.t("Réunion n°{n} : lieu ", "Meeting #{n}: place ", n=m.id), b(place))


@command(fr="réunion participe", en="meeting rsvp",
         args=(N, Arg("réponse", "answer", "choice", optional=True,
                      choices=(("yes", "oui", "yes"), ("no", "non", "no"), ("maybe", "peut-être", "maybe")))),
         spaced_choice=True,
         help_fr="dites si vous venez (oui par défaut)", help_en="say whether you come (yes by default)",
         example_fr="!réunion participe 1 peut-être", example_en="!meeting rsvp 1 maybe")
def rsvp(ctx: Context, n: int, answer: str | None = None) -> Doc:
    answer = answer or "yes"
    m = svc.rsvp(ctx.store, actor(ctx), ctx.now, n, answer)
    return Doc().para(ctx.t("Noté : {a} pour la réunion n°{n} ", "Noted: {a} for meeting #{n} ", a=word(RSVP, answer, ctx.lang), n=m.id),
                      b(m.title), ctx.t(" ({y} oui, {p} peut-être, {no} non).", " ({y} yes, {p} maybe, {no} no).",
                                        y=len(m.rsvp["yes"]), p=len(m.rsvp["maybe"]), no=len(m.rsvp["no"])))
