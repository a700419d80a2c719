"""What the bot posts by itself, as documents: the session agenda, the organisers' reminders
and the weekly digest. These are rules about the group's rhythm (what an agenda holds, what
an organiser is reminded of), so they sit with the services; how each record reads is
bot/render.py. The same builders answer `!agenda` and `!digest`, so a member sees exactly
what is posted.

Every builder takes `now`, the instant the post speaks from (its due instant when posted on
time), and reads the records as they are; `late` adds a line saying the bot was down at the
post's hour."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Callable, Sequence, TypeVar

from bot.config import Config
from bot.records import JournalEntry, Meeting, Rhythm
from bot.render import (STATUS, bar, instant, meeting_line, number, permanence_occurrence_line, topic_line, tr,
                        when_text, word)
from bot.richtext import Doc, Span, b, code, i, link
from bot.services import meetings as meeting_svc
from bot.services import permanences as permanence_svc
from bot.services import pledge_posts
from bot.services import poll_posts
from bot.services import polls as poll_svc
from bot.services import rhythm as rhythm_svc
from bot.services import sessions as session_svc
from bot.services import topics as topic_svc
from storage.store import Store

T = TypeVar("T")
TWO_WEEKS = timedelta(days=14)
WAITING_TOO_LONG = timedelta(days=3)
# The journal is read over (since, until]: an entry made at the very instant a post is due
# belongs to that post, and two consecutive windows neither overlap nor leave a gap.
_TICK = timedelta(microseconds=1)


def _t(lang: str, fr: str, en: str, **values: object) -> str:
    return tr(lang, fr, en).format(**values)


def _colon(lang: str) -> str:
    return ": " if lang == "en" else " : "


def _journal(store: Store, since: datetime, until: datetime, kinds: tuple[str, ...] | None = None) -> list[JournalEntry]:
    return store.journal(since + _TICK, until + _TICK, kinds)


def _late_note(doc: Doc, lang: str) -> None:
    doc.para(i(_t(lang, "(posté en retard : le bot était arrêté à l'heure prévue)",
                  "(posted late: the bot was stopped at the planned time)")))


def _age(since: datetime, now: datetime, lang: str) -> str:
    days = max((now - since).days, 0)
    if days == 0:
        return _t(lang, "aujourd'hui", "today")
    if days == 1:
        return _t(lang, "il y a 1 jour", "1 day ago")
    return _t(lang, "il y a {d} jours", "{d} days ago", d=days)


# ---- shared sections ------------------------------------------------------------------------

# A post is read in a chat window (and Matrix refuses events over 64 KB): each list shows its
# first entries and says how many more there are and where to see them.
LIST_LIMIT = 15


def _listed(doc: Doc, items: Sequence[T], render: Callable[[T], list[Span]], lang: str, more_fr: str = "", more_en: str = "",
            total: int | None = None) -> None:
    doc.bullets([render(item) for item in items[:LIST_LIMIT]])
    hidden = (len(items) if total is None else total) - LIST_LIMIT
    if hidden > 0:
        doc.para(i(_t(lang, "… et {k} de plus", "… and {k} more", k=hidden)
                   + (_t(lang, " : " + more_fr, ": " + more_en) if more_fr else "")))


def coming(store: Store, config: Config, now: datetime, lang: str, doc: Doc) -> None:
    """Meetings and permanence occurrences of the coming two weeks."""
    tz = config.chambre.tz
    until = now + TWO_WEEKS
    meetings = meeting_svc.between(store, now, until)
    doc.heading(_t(lang, "Réunions des deux semaines à venir", "Meetings in the next two weeks"))
    if meetings:
        _listed(doc, meetings, lambda m: meeting_line(m, lang, tz), lang,
                f"{config.chambre.prefix}réunion liste", f"{config.chambre.prefix}meeting list")
    else:
        doc.para(i(_t(lang, "aucune", "none")))
    occurrences = permanence_svc.between(store, now, until)
    doc.heading(_t(lang, "Permanences des deux semaines à venir", "Permanences in the next two weeks"))
    if occurrences:
        _listed(doc, occurrences, lambda pw: permanence_occurrence_line(pw[0], pw[1], lang, tz), lang,
                f"{config.chambre.prefix}permanence liste", f"{config.chambre.prefix}permanence list")
    else:
        doc.para(i(_t(lang, "aucune", "none")))


def _waiting_line(m: Meeting, now: datetime, lang: str, tz: tzinfo) -> list[Span]:
    return [*meeting_line(m, lang, tz), " — ", _t(lang, "proposée ", "proposed "), _age(m.created_at, now, lang),
            _t(lang, " par ", " by "), m.proposed_by]


def _pending(store: Store, config: Config, now: datetime, lang: str, doc: Doc) -> None:
    """Proposals awaiting confirmation and meetings still to organise."""
    tz = config.chambre.tz
    waiting = meeting_svc.waiting(store, now, limit=LIST_LIMIT)
    if waiting:
        doc.heading(_t(lang, "Propositions à confirmer", "Proposals awaiting confirmation"))
        _listed(doc, waiting, lambda m: _waiting_line(m, now, lang, tz), lang,
                f"{config.chambre.prefix}réunion liste", f"{config.chambre.prefix}meeting list",
                total=meeting_svc.waiting_count(store, now))
    polls = poll_svc.under_way(store)
    if polls:
        doc.heading(_t(lang, "Sondages de dates en cours", "Date polls under way"))
        _listed(doc, polls, lambda poll: poll_posts.summary_line(poll, store.meeting(poll.meeting_id), lang, tz), lang,
                f"{config.chambre.prefix}sondage liste", f"{config.chambre.prefix}poll list")
    unplanned = meeting_svc.to_organise(store)
    if unplanned:
        doc.heading(_t(lang, "Réunions à organiser", "Meetings to organise"))
        _listed(doc, unplanned, lambda m: [b(number(m.id, lang)), " ", b(m.title), " — ",
                                           _t(lang, "proposée par ", "proposed by "), m.proposed_by], lang,
                f"{config.chambre.prefix}réunion liste", f"{config.chambre.prefix}meeting list")


def _brick_move(entry: JournalEntry, lang: str) -> list[Span]:
    data = entry.data
    status = data.get("status", "")
    row: list[Span] = [b(data.get("name", "?")), _colon(lang), word(STATUS, data.get("before", ""), lang), " → ",
                       b(word(STATUS, status, lang)), "  ", bar(status, lang).split(" ")[0], " (", entry.by, ")"]
    if data.get("note"):
        row += [" — ", i(data["note"])]
    return row


def brick_moves(store: Store, since: datetime, until: datetime) -> list[JournalEntry]:
    """Status changes of bricks in (since, until]."""
    return _journal(store, since, until, ("brick.status",))


def _actions(store: Store, config: Config, now: datetime, lang: str, doc: Doc, late_only: bool = False) -> None:
    """The actions agreed in sessions and not done yet, late ones first, each with its person."""
    from bot.minutes import action_details

    actions = session_svc.late_actions(store, now) if late_only else session_svc.open_actions(store)
    if late_only and not actions:
        return
    doc.heading(_t(lang, "Actions en retard", "Late actions") if late_only else _t(lang, "Actions en cours", "Open actions"))
    if not actions:
        doc.para(i(_t(lang, "aucune", "none")))
        return
    tz = config.chambre.tz
    _listed(doc, actions, lambda a: [b("Action " + number(a.id, lang)), _colon(lang), a.text, " — ",
                                     i(" — ".join(action_details(a, lang, tz, now)))], lang,
            f"{config.chambre.prefix}action liste", f"{config.chambre.prefix}action list")


def _session_heading(doc: Doc, rhythm: Rhythm | None, session: datetime, lang: str, tz: tzinfo, label_fr: str, label_en: str) -> None:
    place = rhythm.place if rhythm and rhythm.place else _t(lang, "lieu à préciser", "place to be decided")
    doc.heading(_t(lang, label_fr, label_en), instant(session, lang, tz), " — ", place)


# ---- the agenda -------------------------------------------------------------------------------

def build_agenda(store: Store, config: Config, now: datetime, lang: str, session: datetime | None = None,
                 late: bool = False) -> Doc:
    """The agenda of the next session (or of `session`): its date and place, its topics, the
    coming two weeks, what awaits confirmation or organising, and the bricks that moved
    since the previous session."""
    tz = config.chambre.tz
    rhythm = rhythm_svc.current(store, config)
    if session is None:
        session = rhythm_svc.next_session(rhythm, now)
    doc = Doc()
    if session is not None:
        _session_heading(doc, rhythm, session, lang, tz, "Prochaine séance : ", "Next session: ")
    else:
        doc.heading(_t(lang, "Agenda", "Agenda"))
        doc.para(i(_t(lang, "Pas de séance prévue : réglez le rythme avec {p}rythme régler.",
                      "No session planned: set the rhythm with {p}rhythm set.", p=config.chambre.prefix)))
    if late:
        _late_note(doc, lang)
    topics = topic_svc.open_topics(store)
    doc.heading(_t(lang, "Ordre du jour", "Topics"))
    if topics:
        _listed(doc, topics, lambda t: topic_line(t, lang), lang,
                f"{config.chambre.prefix}odj liste", f"{config.chambre.prefix}topic list")
    else:
        doc.para(i(_t(lang, "vide pour l'instant : {p}odj ajouter <texte>", "empty so far: {p}topic add <text>",
                      p=config.chambre.prefix)))
    _actions(store, config, now, lang, doc)
    coming(store, config, now, lang, doc)
    _pending(store, config, now, lang, doc)
    previous = None
    if rhythm is not None and session is not None:
        before = rhythm_svc.sessions(rhythm, session - timedelta(days=120), before=session)
        previous = before[-1] if before else None
    since = previous if previous is not None and previous < now else now - TWO_WEEKS
    moves = brick_moves(store, since, now)
    doc.heading(_t(lang, "Briques qui ont bougé depuis la dernière séance", "Bricks that moved since the last session"))
    if moves:
        _listed(doc, moves, lambda entry: _brick_move(entry, lang), lang)
    else:
        doc.para(i(_t(lang, "aucune", "none")))
    pledge_posts.agenda_section(store, config, now, lang, doc)
    addresses = config.web.addresses(lang) if config.web is not None else None
    if addresses:  # the web board (bot/web/): everything above, and a calendar to subscribe to
        doc.para(_t(lang, "Le tableau : ", "The board: "), link(addresses[0]),
                 _t(lang, " — le calendrier à ajouter au vôtre : ", " — the calendar to add to yours: "), link(addresses[1]))
    return doc


# ---- the organisers' reminders ----------------------------------------------------------------

@dataclass(frozen=True)
class Occasion:
    """What an organiser reminder is about: a session, a confirmed meeting or a permanence
    occurrence, by its start (and its record's number)."""

    kind: str  # "session" | "meeting" | "permanence"
    start: datetime
    record_id: int | None = None


def build_reminder(store: Store, config: Config, now: datetime, lang: str, occasion: Occasion, late: bool = False) -> Doc:
    """A direct message to an organiser before an occasion: what it is, and what is still
    missing (a place, a host, topics, confirmations)."""
    tz = config.chambre.tz
    p = config.chambre.prefix
    doc = Doc()
    missing: list[list[Span]] = []
    if occasion.kind == "session":
        rhythm = rhythm_svc.current(store, config)
        _session_heading(doc, rhythm, occasion.start, lang, tz, "Rappel — séance du ", "Reminder — session on ")
        topics = topic_svc.open_topics(store)
        if not (rhythm and rhythm.place):
            missing.append([_t(lang, "pas de lieu : ", "no place: "),
                            code(_t(lang, "{p}rythme régler <récurrence> ; <lieu>", "{p}rhythm set <recurrence> ; <place>", p=p))])
        if not topics:
            missing.append([_t(lang, "ordre du jour vide : ", "empty agenda: "),
                            code(_t(lang, "{p}odj ajouter <texte>", "{p}topic add <text>", p=p))])
        else:
            doc.para(_t(lang, "{n} point(s) à l'ordre du jour.", "{n} topic(s) on the agenda.", n=len(topics)))
        _actions(store, config, now, lang, doc, late_only=True)
    elif occasion.kind == "meeting":
        meeting = store.meeting(occasion.record_id or 0)
        if meeting is None:
            return doc.para(_t(lang, "Réunion introuvable.", "Meeting not found."))
        doc.heading(_t(lang, "Rappel — réunion ", "Reminder — meeting "), b(number(meeting.id, lang)), " ", b(meeting.title))
        doc.para(when_text(meeting.start, meeting.end, lang, tz), " — ",
                 meeting.place or i(_t(lang, "lieu à préciser", "place to be decided")))
        yes, maybe = len(meeting.rsvp["yes"]), len(meeting.rsvp["maybe"])
        doc.para(_t(lang, "Réponses : {y} oui, {m} peut-être.", "Answers: {y} yes, {m} maybe.", y=yes, m=maybe))
        if not meeting.place:
            missing.append([_t(lang, "pas de lieu : ", "no place: "),
                            code(_t(lang, "{p}réunion lieu {n} ; <lieu>", "{p}meeting place {n} ; <place>", p=p, n=meeting.id))])
    else:
        perm = store.permanence(occasion.record_id or 0)
        if perm is None:
            return doc.para(_t(lang, "Permanence introuvable.", "Permanence not found."))
        doc.heading(_t(lang, "Rappel — ", "Reminder — "), *permanence_occurrence_line(perm, occasion.start, lang, tz))
        hosts = next((h for occ, h in perm.hosts.items() if occ == occasion.start), [])
        local = occasion.start.astimezone(tz)
        if not hosts:
            missing.append([_t(lang, "personne pour la tenir : ", "no host: "),
                            code(_t(lang, "{p}permanence tenir {n} ; {d}", "{p}permanence host {n} ; {d}",
                                    p=p, n=perm.id, d=f"{local.day}/{local.month}"))])
        if not perm.place:
            missing.append([_t(lang, "pas de lieu", "no place")])
    if late:
        _late_note(doc, lang)
    # A date poll that ended on a tie waits for an organiser to choose.
    for poll in poll_svc.tied(store):
        missing.append([_t(lang, "à départager, ", "to settle, "),
                        *poll_posts.summary_line(poll, store.meeting(poll.meeting_id), lang, tz), _colon(lang),
                        code(_t(lang, "{p}sondage clore {n} ; <option>", "{p}poll close {n} ; <option>", p=p, n=poll.id))])
    # Only the proposals that can show are read and rendered; the others are counted.
    total = len(missing) + meeting_svc.waiting_count(store, now, older_than=WAITING_TOO_LONG)
    for m in meeting_svc.waiting(store, now, older_than=WAITING_TOO_LONG, limit=LIST_LIMIT - len(missing)):
        missing.append([_t(lang, "à confirmer, ", "to confirm, "), *_waiting_line(m, now, lang, tz), _colon(lang),
                        code(_t(lang, "{p}réunion confirmer {n}", "{p}meeting confirm {n}", p=p, n=m.id))])
    doc.heading(_t(lang, "Ce qui manque", "What is missing"))
    if missing:
        _listed(doc, missing, lambda row: row, lang, total=total)
    else:
        doc.para(_t(lang, "Rien : tout est prêt.", "Nothing: all is ready."))
    return doc


# ---- the weekly digest ------------------------------------------------------------------------

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
    "brick.decision": ("décision en séance sur une brique", "session decision on a brick"),
    "session.opened": ("séance ouverte", "session opened"),
    "session.closed": ("compte rendu de séance", "session minutes"),
    "action.added": ("action", "action"),
    "action.done": ("action faite", "action done"),
}

# The digest's sections, in the order a member reads them (the web board's too).
DIGEST_GROUPS = (
    ("meeting", "Réunions", "Meetings"),
    ("permanence", "Permanences", "Permanences"),
    ("brick", "Briques", "Bricks"),
    ("topic", "Ordre du jour", "Topics"),
    ("session", "Séances", "Sessions"),
    ("action", "Actions", "Actions"),
    ("rhythm", "Rythme", "Rhythm"),
)


def journal_line(entry: JournalEntry, lang: str, tz: tzinfo) -> list[Span]:
    """One journal entry as the digest lists it (the web board's week of changes shows the
    same lines)."""
    if entry.kind == "brick.status":
        return _brick_move(entry, lang)
    data = entry.data
    what = data.get("title") or data.get("name") or data.get("text") or ""
    row: list[Span] = [word(JOURNAL_LABELS, entry.kind, lang), _colon(lang)]
    if entry.record_id and entry.kind.startswith(("meeting", "permanence", "session", "action")):
        row += [b(number(entry.record_id, lang))] + ([" "] if what else [])
    if what:
        row.append(b(what))
    if data.get("occurrence"):
        row += [" — ", instant(datetime.fromisoformat(data["occurrence"]), lang, tz)]
    for key in ("person", "place", "lead", "reason", "note"):
        if data.get(key):
            row += [" — ", i(data[key])]
    row += [" (", entry.by, ")"]
    return row


def build_digest(store: Store, config: Config, now: datetime, lang: str, late: bool = False) -> Doc:
    """Last week's changes, section by section, and what comes in the next two weeks."""
    tz = config.chambre.tz
    week_ago = now - timedelta(days=7)
    doc = Doc().heading(_t(lang, "La semaine de la Chambre — ", "The Chambre's week — "), instant(now, lang, tz))
    if late:
        _late_note(doc, lang)
    doc.heading(_t(lang, "Ce qui a changé en sept jours", "What changed in the last seven days"))
    groups: dict[str, list[JournalEntry]] = {}
    for entry in _journal(store, week_ago, now):
        groups.setdefault(entry.kind.split(".")[0], []).append(entry)
    pledges = pledge_posts.digest_line(store, now, lang)
    if not groups and pledges is None:
        doc.para(i(_t(lang, "rien de neuf", "nothing new")))
    for key, fr, en in DIGEST_GROUPS:
        if groups.get(key):
            doc.para(b(_t(lang, fr, en)))
            _listed(doc, groups[key], lambda entry: journal_line(entry, lang, tz), lang)
    if pledges is not None:
        doc.para(*pledges)
    rhythm = rhythm_svc.current(store, config)
    session = rhythm_svc.next_session(rhythm, now)
    if session is not None:
        _session_heading(doc, rhythm, session, lang, tz, "Prochaine séance : ", "Next session: ")
        topics = topic_svc.open_topics(store)
        doc.para(_t(lang, "{n} point(s) à l'ordre du jour.", "{n} topic(s) on the agenda.", n=len(topics)) if topics
                 else i(_t(lang, "Ordre du jour vide pour l'instant : {p}odj ajouter <texte>",
                           "No topics yet: {p}topic add <text>", p=config.chambre.prefix)))
    _actions(store, config, now, lang, doc)
    coming(store, config, now, lang, doc)
    _pending(store, config, now, lang, doc)
    return doc


def build_late_action(store: Store, config: Config, now: datetime, lang: str, action_id: int, late: bool = False) -> Doc:
    """The direct message to the person of an action now late, once."""
    from bot.minutes import due_text

    action = session_svc.get_action(store, action_id)
    p = config.chambre.prefix
    doc = Doc().heading(_t(lang, "Action {n} en retard", "Action {n} is late", n=number(action.id, lang)))
    doc.para(b(action.text))
    if action.due is not None:
        doc.para(_t(lang, "Échéance : ", "Due: "), due_text(action.due, lang, config.chambre.tz))
    if late:
        _late_note(doc, lang)
    doc.para(_t(lang, "Quand c'est fait : ", "When it is done: "),
             code(_t(lang, "{p}action fait {n}", "{p}action done {n}", p=p, n=action.id)))
    return doc
