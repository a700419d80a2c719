"""What the bot posts by itself, as documents: the session agenda and the weekly digest.
The same builders answer `!agenda` and `!digest`, so a member sees exactly what is posted."""
from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Config
from bot.richtext import Doc, Span, b, i
from bot.services import meetings as meeting_svc
from bot.services import permanences as permanence_svc
from bot.services import rhythm as rhythm_svc
from commands.render import STATUS, bar, instant, meeting_line, permanence_occurrence_line, topic_line, tr, word
from storage.store import Store

TWO_WEEKS = timedelta(days=14)


def _t(lang: str, fr: str, en: str, **values: object) -> str:
    return tr(lang, fr, en).format(**values)


def coming(store: Store, config: Config, now: datetime, lang: str, doc: Doc, until: datetime | None = None) -> None:
    """Meetings and permanence occurrences of the coming two weeks."""
    tz = config.chambre.tz
    until = until or now + TWO_WEEKS
    meetings = meeting_svc.between(store, now, until)
    doc.heading(_t(lang, "Réunions des deux semaines à venir", "Meetings in the next two weeks"))
    if meetings:
        doc.bullets([meeting_line(m, lang, tz) for m in meetings])
    else:
        doc.para(i(_t(lang, "aucune", "none")))
    occurrences = permanence_svc.between(store, now, until)
    doc.heading(_t(lang, "Permanences des deux semaines à venir", "Permanences in the next two weeks"))
    if occurrences:
        doc.bullets([permanence_occurrence_line(p, w, lang, tz) for p, w in occurrences])
    else:
        doc.para(i(_t(lang, "aucune", "none")))


def brick_moves(store: Store, since: datetime, until: datetime, lang: str) -> list[list[Span]]:
    rows = []
    for entry in store.journal(since, until):
        if entry.kind == "brick.status":
            row: list[Span] = [b(entry.data.get("name", "?")), " : " if lang != "en" else ": ",
                               word(STATUS, entry.data.get("before", ""), lang), " → ",
                               b(word(STATUS, entry.data.get("status", ""), lang)), "  ", bar(entry.data.get("status", ""), lang),
                               " (", entry.by, ")"]
            if entry.data.get("note"):
                row += [" — ", i(entry.data["note"])]
            rows.append(row)
    return rows


def build_agenda(store: Store, config: Config, now: datetime, lang: str, session: datetime | None = None,
                 late: bool = False) -> Doc:
    """The agenda of the next session (or of `session`)."""
    tz = config.chambre.tz
    rhythm = rhythm_svc.current(store, config, now)
    if session is None:
        session = rhythm_svc.next_session(rhythm, now)
    doc = Doc()
    if session is not None:
        place = rhythm.place if rhythm and rhythm.place else _t(lang, "lieu à préciser", "place to be decided")
        doc.heading(_t(lang, "Prochaine séance : ", "Next session: "), instant(session, lang, tz), " — ", place)
    else:
        doc.heading(_t(lang, "Agenda", "Agenda"))
        doc.para(i(_t(lang, "Pas de séance prévue : réglez le rythme avec !rythme régler.",
                      "No session planned: set the rhythm with !rhythm set.")))
    if late:
        doc.para(i(_t(lang, "(posté en retard : le bot était arrêté à l'heure prévue)",
                      "(posted late: the bot was stopped at the planned time)")))
    topics = store.topics()
    doc.heading(_t(lang, "Ordre du jour", "Topics"))
    if topics:
        doc.bullets([topic_line(t, lang) for t in topics])
    else:
        doc.para(i(_t(lang, "vide pour l'instant : !odj ajouter <texte>", "empty so far: !topic add <text>")))
    coming(store, config, now, lang, doc)
    waiting = meeting_svc.waiting(store, now)
    if waiting:
        doc.heading(_t(lang, "Propositions à confirmer", "Proposals awaiting confirmation"))
        doc.bullets([meeting_line(m, lang, tz) for m in waiting])
    unplanned = meeting_svc.to_organise(store)
    if unplanned:
        doc.heading(_t(lang, "Réunions à organiser", "Meetings to organise"))
        doc.bullets([[b(f"n°{m.id} " if lang != "en" else f"#{m.id} "), m.title] for m in unplanned])
    previous = None
    if rhythm is not None and session is not None:
        before = rhythm_svc.recurrence_of(rhythm).occurrences(session - timedelta(days=120), before=session)
        previous = before[-1] if before else None
    since = previous or now - TWO_WEEKS
    moves = brick_moves(store, since, now, lang)
    doc.heading(_t(lang, "Briques qui ont bougé depuis la dernière séance", "Bricks that moved since the last session"))
    if moves:
        doc.bullets(moves)
    else:
        doc.para(i(_t(lang, "aucune", "none")))
    return doc


JOURNAL_LABELS = {
    "meeting.proposed": ("réunion proposée", "meeting proposed"),
    "meeting.confirmed": ("réunion confirmée", "meeting confirmed"),
    "meeting.cancelled": ("réunion annulée", "meeting cancelled"),
    "meeting.moved": ("réunion déplacée", "meeting moved"),
    "meeting.place": ("lieu de réunion", "meeting place"),
    "permanence.added": ("permanence ajoutée", "permanence added"),
    "permanence.cancelled": ("permanence annulée ce jour-là", "permanence occurrence cancelled"),
    "permanence.removed": ("permanence arrêtée", "permanence ended"),
    "permanence.host": ("permanence tenue", "permanence host"),
    "brick.added": ("brique ajoutée", "brick added"),
    "brick.described": ("brique décrite", "brick described"),
    "brick.note": ("note sur une brique", "brick note"),
    "brick.link": ("lien sur une brique", "brick link"),
    "brick.lead": ("référent·e de brique", "brick lead"),
    "topic.added": ("point à l'ordre du jour", "agenda topic"),
    "topic.done": ("point traité", "topic done"),
    "rhythm.set": ("rythme réglé", "rhythm set"),
}


def build_digest(store: Store, config: Config, now: datetime, lang: str, late: bool = False) -> Doc:
    """Last week's changes and what comes in the next two weeks."""
    tz = config.chambre.tz
    week_ago = now - timedelta(days=7)
    doc = Doc().heading(_t(lang, "La semaine de la Chambre — ", "The Chambre's week — "), instant(now, lang, tz))
    if late:
        doc.para(i(_t(lang, "(posté en retard : le bot était arrêté à l'heure prévue)",
                      "(posted late: the bot was stopped at the planned time)")))
    doc.heading(_t(lang, "Ce qui a changé en sept jours", "What changed in the last seven days"))
    rows: list[list[Span]] = []
    for entry in store.journal(week_ago, now):
        if entry.kind == "brick.status":
            continue
        label = word(JOURNAL_LABELS, entry.kind, lang)
        what = entry.data.get("title") or entry.data.get("name") or entry.data.get("text") or ""
        row: list[Span] = [label, " : " if lang != "en" else ": ", b(what) if what else ""]
        if entry.record_id and entry.kind.startswith(("meeting", "permanence")):
            row.append(f" (n°{entry.record_id})" if lang != "en" else f" (#{entry.record_id})")
        if entry.data.get("reason"):
            row += [" — ", i(entry.data["reason"])]
        if entry.data.get("note"):
            row += [" — ", i(entry.data["note"])]
        row += [" — ", entry.by]
        rows.append(row)
    moves = brick_moves(store, week_ago, now, lang)
    if rows or moves:
        doc.bullets(rows + moves)
    else:
        doc.para(i(_t(lang, "rien de neuf", "nothing new")))
    rhythm = rhythm_svc.current(store, config, now)
    session = rhythm_svc.next_session(rhythm, now)
    if session is not None:
        doc.heading(_t(lang, "Prochaine séance : ", "Next session: "), instant(session, lang, tz),
                    *([" — ", rhythm.place] if rhythm and rhythm.place else []))
    coming(store, config, now, lang, doc)
    return doc
