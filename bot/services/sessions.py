"""The session itself: its minutes (who was there, what was said under each topic, what was
decided), and the actions agreed, which are followed up until someone closes them.

A session is opened in one room by an organiser, who chairs it; it stays open in the
database (a restart loses nothing) until its chair or an organiser closes it, or until the
midnight after it opened, when the scheduler closes it by itself (`closes_at`).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.errors import Forbidden, NotFound, UserError
from bot.records import Action, Minutes, Note, Session, SessionTopic
from bot.services import Actor
from bot.services import bricks as brick_svc
from bot.services import rhythm as rhythm_svc
from bot.text import loose_key
from storage.store import Store

# What one session's minutes may grow to (notes and actions): the minutes are posted in the
# room at close, and a few hundred lines are already many messages (bench/bench_minutes.py).
MAX_ENTRIES = 300
# "!action moi ; …", "!présent moi": the sender.
ME = frozenset({"moi", "me", "myself", "moi-meme", "moimeme"})
# A late action's direct message, for an action due on a day: that morning after, not at midnight.
LATE_DAY_HOUR = time(9, 0)
# A late action's direct message is still worth sending this long after it fell due (the bot
# was down); after that, the agenda and the organisers' reminder still list it.
LATE_MESSAGE_USEFUL = timedelta(days=7)


# ---- when -----------------------------------------------------------------------------------

def closes_at(session: Session) -> datetime:
    """The midnight after the day it was opened, in its zone (UTC): it closes by itself then."""
    zone = ZoneInfo(session.tz)
    return datetime.combine(session.day + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(timezone.utc)


def late_from(due: datetime | date, tz: ZoneInfo) -> datetime:
    """The instant an action becomes late: its due time, or the midnight ending its due day."""
    if isinstance(due, datetime):
        return due.astimezone(timezone.utc)
    return datetime.combine(due + timedelta(days=1), time(0, 0), tzinfo=tz).astimezone(timezone.utc)


def late_message_at(action: Action, tz: ZoneInfo) -> datetime | None:
    """When its person is told that an action is late: at its due time, or at 09:00 the day
    after its due day."""
    if action.due is None:
        return None
    if isinstance(action.due, datetime):
        return action.due.astimezone(timezone.utc)
    return datetime.combine(action.due + timedelta(days=1), LATE_DAY_HOUR, tzinfo=tz).astimezone(timezone.utc)


# ---- who ------------------------------------------------------------------------------------

def may_lead(actor: Actor, session: Session) -> bool:
    return actor.is_organiser or actor.user == session.chair


def _check_lead(actor: Actor, session: Session, what_fr: str, what_en: str) -> None:
    if not may_lead(actor, session):
        raise Forbidden("Refusé : seuls les organisateurs et la personne qui préside la séance ({chair}) peuvent "
                        + what_fr + ".",
                        "Refused: only organisers and the session's chair ({chair}) may " + what_en + ".",
                        chair=session.chair)


def short_name(user: str) -> str:
    """How a chat id reads as a name: "@camille:example.org" -> "camille"."""
    return user.lstrip("@").split(":", 1)[0]


def same_person(name: str, user: str) -> bool:
    """Whether a name typed by a member names this chat user: the id itself, or its short
    name, compared as names are (case, accents and spacing aside)."""
    key = loose_key(name.lstrip("@"))
    return bool(key) and key in (loose_key(user.lstrip("@")), loose_key(short_name(user)))


def looks_like_id(text: str, backend: str) -> bool:
    """A chat id as members write one: "@camille:example.org" on Matrix, "@camille" on
    Rocket.Chat."""
    text = text.strip()
    if " " in text or not text.startswith("@") or len(text) < 2:
        return False
    if backend == "matrix":
        return ":" in text
    return backend == "rocketchat"


def resolve_person(store: Store, session: Session | None, actor: Actor, backend: str, typed: str) -> tuple[str, str | None]:
    """(how the person reads, their chat id if known). "moi" is the sender; a chat id is
    taken as typed; a name is the chat id of the one person present whose id it names."""
    if loose_key(typed) in ME:
        return actor.user, actor.user
    if looks_like_id(typed, backend):
        user = typed.strip()
        return user, (user.lstrip("@") if backend == "rocketchat" else user)
    people = [actor.user]
    if session is not None:
        people += [p.person for p in store.presence(session.id) if p.how != "named"]
    matches = sorted({p for p in people if same_person(typed, p)})
    if len(matches) == 1:
        return typed, matches[0]
    return typed, None


def is_theirs(action: Action, user: str) -> bool:
    return action.person_id == user or same_person(action.person, user)


# ---- opening and closing ----------------------------------------------------------------------

def open_in(store: Store, backend: str, room: str) -> Session | None:
    return store.open_session(backend, room)


def still_open(store: Store) -> list[Session]:
    """Every session not closed yet, in every room: the scheduler closes them at midnight."""
    return store.open_sessions()


def get(store: Store, n: int) -> Session:
    session = store.session(n)
    if session is None:
        raise NotFound("Pas de séance n°{n}.", "No session #{n}.", n=n)
    return session


def last_here(store: Store, backend: str, room: str) -> Session | None:
    """The session open in this room, else the last one closed here."""
    return store.open_session(backend, room) or store.last_closed_session(backend, room)


def held_on(store: Store, day: date) -> list[Session]:
    return store.sessions_on(day)


def open_session(store: Store, config: Config, actor: Actor, now: datetime, backend: str, room: str,
                 title: str | None, meeting_id: int | None) -> tuple[Session, list[SessionTopic]]:
    """Open the minutes in this room: for the meeting named, else for today's session of the
    rhythm if there is one (its place), else an ad-hoc session. The agenda topics not yet
    done are what a session goes through; a meeting starts with none (topics added while it
    is open join it)."""
    existing = store.open_session(backend, room)
    if existing is not None:
        raise UserError("Une séance est déjà ouverte dans ce salon (n°{n}, présidée par {chair}) : "
                        "close-la d'abord.",
                        "A session is already open in this room (#{n}, chaired by {chair}): close it first.",
                        n=existing.id, chair=existing.chair)
    tz = config.chambre.tz
    day = now.astimezone(tz).date()
    place, scheduled = None, None
    if meeting_id is not None:
        meeting = store.meeting(meeting_id)
        if meeting is None:
            raise NotFound("Pas de réunion n°{n}.", "No meeting #{n}.", n=meeting_id)
        if meeting.status == "cancelled":
            raise UserError("La réunion n°{n} est annulée.", "Meeting #{n} is cancelled.", n=meeting_id)
        title = title or meeting.title
        place = meeting.place
    else:
        rhythm = rhythm_svc.current(store, config)
        if rhythm is not None:
            start = datetime.combine(day, time(0, 0), tzinfo=tz)
            today = rhythm_svc.sessions(rhythm, start - timedelta(microseconds=1), before=start + timedelta(days=1))
            if today:
                scheduled, place = today[0], rhythm.place
    session = store.add_session(title, day, config.chambre.timezone, place, scheduled, meeting_id, backend, room,
                                actor.user, now)
    if meeting_id is None:
        for topic in store.topics():
            store.add_session_topic(session.id, topic.id)
    store.add_presence(session.id, actor.user, "chair", actor.user, now)
    store.log("session.opened", session.id, actor.user, now, title=title)
    return session, store.session_topics(session.id)


def close(store: Store, session: Session, by: str | None, at: datetime) -> Minutes:
    """Close the minutes (`by` None: it closed by itself at midnight). Topics not reached
    stay on the agenda: only those discussed were marked done."""
    store.close_session(session.id, by, at)
    store.log("session.closed", session.id, by or "chambre-bot", at, title=session.title, auto=by is None)
    return minutes(store, store.session(session.id))  # type: ignore[arg-type]


def close_by_itself(store: Store, session_id: int, at: datetime) -> Minutes | None:
    """The midnight close; None if someone closed it meanwhile."""
    session = store.session(session_id)
    if session is None or not session.is_open:
        return None
    return close(store, session, None, at)


def close_by(store: Store, actor: Actor, now: datetime, session: Session) -> Minutes:
    _check_lead(actor, session, "clore la séance", "close the session")
    return close(store, session, actor.user, now)


def minutes(store: Store, session: Session) -> Minutes:
    notes = store.notes(session.id)
    bricks = {}
    for note in notes:
        if note.brick_id is not None and note.brick_id not in bricks:
            brick = store.brick(note.brick_id)
            bricks[note.brick_id] = brick.name if brick else "?"
    meeting = store.meeting(session.meeting_id) if session.meeting_id else None
    return Minutes(session=session, topics=store.session_topics(session.id), present=store.presence(session.id),
                   notes=notes, actions=store.actions(session.id), bricks=bricks,
                   meeting_title=meeting.title if meeting else None)


# ---- during the session -------------------------------------------------------------------------

def heard(store: Store, backend: str, room: str, person: str, at: datetime) -> bool:
    """Someone said something in a room: present, if a session was open there then."""
    session = store.open_session(backend, room)
    if session is None or at < session.opened_at:
        return False
    return store.add_presence(session.id, person, "spoke", person, at)


def mark_present(store: Store, actor: Actor, now: datetime, session: Session, name: str | None) -> tuple[str, bool]:
    """Mark the sender (no name, or "moi") or someone in the room physically. Returns who
    and whether they were not already marked."""
    if name is None or loose_key(name) in ME:
        return actor.user, store.add_presence(session.id, actor.user, "self", actor.user, now)
    if same_person(name, actor.user):
        return actor.user, store.add_presence(session.id, actor.user, "self", actor.user, now)
    already = next((p.person for p in store.presence(session.id)
                    if loose_key(p.person) == loose_key(name) or (p.how != "named" and same_person(name, p.person))), None)
    if already is not None:
        return already, False
    return name, store.add_presence(session.id, name, "named", actor.user, now)


def move_to(store: Store, actor: Actor, now: datetime, session: Session, topic_id: int | None) -> SessionTopic | None:
    """Move to topic `topic_id`, or to the next one not yet discussed (None: none is left,
    and what follows is outside any topic). The topic is marked discussed, and done on the
    agenda."""
    _check_lead(actor, session, "changer de point", "change the topic")
    items = store.session_topics(session.id)
    chosen: SessionTopic | None
    if topic_id is None:
        current = next((it.position for it in items if it.topic_id == session.current_topic), 0)
        waiting = [it for it in items if it.discussed_at is None and it.topic_id != session.current_topic]
        after = [it for it in waiting if it.position > current]
        chosen = after[0] if after else waiting[0] if waiting else None
        if chosen is None:
            store.set_current_topic(session.id, None)
            return None
    else:
        chosen = next((it for it in items if it.topic_id == topic_id), None)
        if chosen is None:
            topic = store.topic(topic_id)
            if topic is None:
                raise NotFound("Pas de point n°{n}.", "No topic #{n}.", n=topic_id)
            if topic.done:
                raise UserError("Le point n°{n} est déjà traité.", "Topic #{n} is already done.", n=topic_id)
            store.add_session_topic(session.id, topic_id)
            chosen = next(it for it in store.session_topics(session.id) if it.topic_id == topic_id)
    store.set_current_topic(session.id, chosen.topic_id)
    store.mark_session_topic_discussed(session.id, chosen.topic_id, now)
    topic = store.topic(chosen.topic_id)
    if topic is not None and not topic.done:
        store.mark_topic_done(topic.id, actor.user, now)
        store.log("topic.done", topic.id, actor.user, now, text=topic.text, session=session.id)
    return chosen


def topic_added(store: Store, backend: str, room: str, topic_id: int) -> None:
    """A topic added to the agenda while a session is open in that room joins its agenda."""
    session = store.open_session(backend, room)
    if session is not None:
        store.add_session_topic(session.id, topic_id)


def _check_room(store: Store, session: Session) -> None:
    if store.count_session_entries(session.id) >= MAX_ENTRIES:
        raise UserError("Le compte rendu de cette séance a déjà {max} entrées, le plus qu'il puisse en garder : "
                        "close la séance et ouvres-en une autre.",
                        "These minutes already hold {max} entries, the most they can keep: close the session "
                        "and open another.", max=MAX_ENTRIES)


def add_info(store: Store, actor: Actor, now: datetime, session: Session, text: str) -> Note:
    _check_room(store, session)
    return store.add_note(session.id, session.current_topic, "info", text, None, actor.user, now)


def add_decision(store: Store, actor: Actor, now: datetime, session: Session, text: str,
                 brick_id: int | None = None) -> Note:
    """A decision in the minutes; under a brick, also in the brick's history."""
    _check_lead(actor, session, "noter une décision", "record a decision")
    _check_room(store, session)
    brick = brick_svc.get(store, brick_id) if brick_id is not None else None
    note = store.add_note(session.id, session.current_topic, "decision", text, brick_id, actor.user, now)
    if brick is not None:
        store.add_history(brick.id, actor.user, "decision", brick.status, text, now)
        store.update_brick(brick.id, now)
        store.log("brick.decision", brick.id, actor.user, now, name=brick.name, note=text, session=session.id)
    return note


# ---- actions --------------------------------------------------------------------------------------

def add_action(store: Store, config: Config, actor: Actor, now: datetime, backend: str, session: Session | None,
               person: str, text: str, due: datetime | date | None) -> Action:
    """An action for someone, in the open session's minutes (or on its own outside one),
    with an optional due date: a day, or a moment (aware)."""
    if due is not None and late_from(due, config.chambre.tz) <= now:
        raise UserError("L'échéance est déjà passée : donnez une date à venir.",
                        "The due date has already passed: give one ahead.")
    if session is not None:
        _check_room(store, session)
    shown, person_id = resolve_person(store, session, actor, backend, person)
    overdue_at = late_from(due, config.chambre.tz) if due is not None else None
    if isinstance(due, datetime):
        due = due.astimezone(timezone.utc)
    action = store.add_action(session.id if session else None, session.current_topic if session else None, shown,
                              person_id, backend, text, due, overdue_at, actor.user, now)
    store.log("action.added", action.id, actor.user, now, text=text, person=shown)
    return action


def get_action(store: Store, n: int) -> Action:
    action = store.action(n)
    if action is None:
        raise NotFound("Pas d'action n°{n}.", "No action #{n}.", n=n)
    return action


def done(store: Store, actor: Actor, now: datetime, n: int, note: str | None) -> Action:
    action = get_action(store, n)
    if not (actor.is_organiser or is_theirs(action, actor.user)):
        raise Forbidden("Refusé : seuls les organisateurs et la personne qui a l'action n°{n} ({who}) peuvent la clore.",
                        "Refused: only organisers and the person action #{n} is for ({who}) may close it.",
                        n=n, who=action.person)
    if action.done_at is not None:
        raise UserError("L'action n°{n} est déjà faite.", "Action #{n} is already done.", n=n)
    store.mark_action_done(n, actor.user, note, now)
    store.log("action.done", n, actor.user, now, text=action.text, person=action.person, note=note)
    return get_action(store, n)


def open_actions(store: Store, person: str | None = None) -> list[Action]:
    """Actions not done, late ones first; only those of `person` when named."""
    actions = store.open_actions()
    if person:
        actions = [a for a in actions if same_person(person, a.person) or
                   (a.person_id is not None and same_person(person, a.person_id))]
    return actions


def late_actions(store: Store, now: datetime) -> list[Action]:
    return store.open_actions_late_by(now)
