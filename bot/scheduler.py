"""The rhythm: the posts the bot makes by itself, each once, at its local hour.

- the agenda, `[rhythm] agenda_before` before each session, in each announcement room;
- a reminder, `[reminders] organisers_before` before each session, confirmed meeting and
  permanence occurrence, to each organiser by direct message;
- the digest, at each occurrence of `[digest] rule`, in each digest room;
- a session's minutes, when it is still open at the midnight after it opened: it closes by
  itself and the minutes are posted in its room;
- a direct message to the person of an action, when it falls late (once per action);
- to each pledger by direct message, the monthly reminder on `[pledges] reminder_day` and
  the notice a week before their commitment ends (bot/services/pledges.py).

Every post has a name (kind, occurrence, room or person) kept in the `posts` table with its
outcome, written in the same transaction as its outbox row; the outbox sends it under a key
derived from that name. So a post is made once, whatever restarts or crashes happen.

Down or running: the scheduler remembers the last instant it processed (`processed_until`).
A post falling due while it runs is posted on time, with content as of its due instant, even
when a manual clock jumps days ahead. A post that fell due before this run started (the bot
was down) is posted late, saying so, while it is still useful (before the event it announces;
the digest within a day), and skipped with a log line after that.

All times are computed in local time from their rules: a lead time is taken on the wall
clock, so the agenda of an 18:00 session is at 18:00 two days before, summer time or not.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Mapping, Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Config
from bot.services.posts import Occasion, build_agenda, build_digest, build_late_action, build_reminder
from bot.richtext import Doc
from bot.services import meetings as meeting_svc
from bot.services import permanences as permanence_svc
from bot.services import pledge_posts
from bot.services import pledges as pledge_svc
from bot.services.polls import next_close
from bot.services import rhythm as rhythm_svc
from bot.services import sessions as session_svc
from storage.db import ChambreDatabase, DatabaseThread
from storage.store import Store, iso, parse_instant

if TYPE_CHECKING:
    from bot.backends.base import Backend
    from bot.when import Recurrence

log = logging.getLogger(__name__)

STATE = "scheduler"  # its namespace in backend_state
PROCESSED_UNTIL = "processed_until"
DIGEST_RULE = "digest_rule"
# How far back a restarted bot looks for posts it missed; older ones are past any use.
LOOKBACK = timedelta(days=8)
# The longest single sleep: the wall clock may jump (a suspended host), so look again hourly.
MAX_SLEEP = timedelta(hours=1)
AFTER_ERROR = timedelta(minutes=1)
DIGEST_USEFUL = timedelta(days=1)
# An all-day meeting is reminded of as if it started at this local hour.
ALL_DAY_HOUR = time(9, 0)
_TICK = timedelta(microseconds=1)
KIND_ORDER = {"digest": 0, "agenda": 1, "reminder": 2, pledge_svc.REMINDER: 3, pledge_svc.ENDING: 4,
              "late-action": 5, "close": 6}
# A session is closed whenever the bot finds it open past its midnight, however long it was down.
ALWAYS = datetime.max.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Due:
    """One post to make: its name, when, where, and until when it is worth making late."""

    name: str
    kind: str  # "agenda" | "reminder" | "digest" | pledges.REMINDER | pledges.ENDING | "close" (a session's) | "late-action"
    due: datetime  # aware, UTC
    target: str  # a configured room, or a person for a direct message
    dm: bool
    useful_until: datetime
    occasion: Occasion | None = field(default=None, compare=False)
    record_id: int | None = field(default=None, compare=False)  # the session or action it is about
    # (backend, room) when the post goes back where something was said, not to a configured room
    where: tuple[str, str] | None = field(default=None, compare=False)

    @property
    def order(self) -> tuple[datetime, int, str]:
        return self.due, KIND_ORDER[self.kind], self.name


def before_local(start: datetime, lead: timedelta, tz: ZoneInfo) -> datetime:
    """`lead` before `start` on the local wall clock, in UTC. A wall time skipped in spring
    moves forward by the gap (as the recurrences do)."""
    naive = start.astimezone(tz).replace(tzinfo=None) - lead
    return naive.replace(tzinfo=tz).astimezone(timezone.utc)


def _stamp(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).isoformat(timespec="minutes")


def digest_recurrence(store: Store, rule: str, tz: str, reference: datetime) -> Recurrence:
    """The digest's rule, read once and kept, so that "un lundi sur deux" keeps its weeks
    whenever the bot restarts; read again when the configured text changes."""
    from bot.when import Recurrence, read_recurrence

    raw = store.state_get(STATE, DIGEST_RULE)
    if raw:
        kept = json.loads(raw)
        if kept.get("text") == rule and kept.get("tz") == tz:
            return Recurrence.from_parts(kept["rrule"], datetime.fromisoformat(kept["dtstart"]), kept["duration_minutes"], tz)
    rec = read_recurrence(rule, reference, tz)
    store.state_set(STATE, DIGEST_RULE, json.dumps({"text": rule, "tz": tz, "rrule": rec.rrule,
                                                    "dtstart": rec.dtstart.isoformat(),
                                                    "duration_minutes": rec.duration_minutes}))
    return rec


def plan(store: Store, config: Config, lo: datetime, hi: datetime, announce_rooms: list[str], digest_rooms: list[str],
         organisers: list[str]) -> list[Due]:
    """Every post due in (lo, hi], in due order, from the records as they are now."""
    tz = config.chambre.tz
    agenda_lead = config.rhythm.agenda_before
    reminder_lead = config.reminders.organisers_before
    # Events whose posts may fall in the window start up to the longest lead after it (plus
    # a day of margin for the wall-clock arithmetic around a change of time).
    horizon = hi + max(agenda_lead, reminder_lead) + timedelta(days=1)
    out: list[Due] = []

    def remind(key: str, start: datetime, occasion: Occasion, zone: ZoneInfo) -> None:
        due = before_local(start, reminder_lead, zone)
        if lo < due <= hi:
            for person in organisers:
                out.append(Due(f"reminder/{key}/{person}", "reminder", due, person, True, start, occasion))

    rhythm = rhythm_svc.current(store, config)
    if rhythm is not None:
        zone = ZoneInfo(rhythm.tz)
        for session in rhythm_svc.sessions(rhythm, lo, before=horizon):
            stamp = _stamp(session, zone)
            due = before_local(session, agenda_lead, zone)
            if lo < due <= hi:
                for room in announce_rooms:
                    out.append(Due(f"agenda/{stamp}/{room}", "agenda", due, room, False, session,
                                   Occasion("session", session)))
            remind(f"session/{stamp}", session, Occasion("session", session), zone)

    for meeting in meeting_svc.confirmed_between(store, lo, horizon):
        start = meeting.start
        if start is None:  # not dated: confirmed_between gives none of these
            continue
        if not isinstance(start, datetime):  # all day
            start = datetime.combine(start, ALL_DAY_HOUR, tzinfo=tz)
        remind(f"meeting/{meeting.id}/{_stamp(start, tz)}", start, Occasion("meeting", start, meeting.id), tz)

    for perm, start in permanence_svc.between(store, lo, horizon):
        zone = ZoneInfo(perm.tz)
        remind(f"permanence/{perm.id}/{_stamp(start, zone)}", start, Occasion("permanence", start, perm.id), zone)

    for held in session_svc.still_open(store):
        closes = session_svc.closes_at(held)
        if closes <= hi:  # whatever `lo`: an open session past its midnight is closed at the next look
            out.append(Due(f"close/session/{held.id}", "close", closes, held.room, False, ALWAYS,
                           record_id=held.id, where=(held.backend, held.room)))

    for action in session_svc.late_actions(store, hi):
        at = session_svc.late_message_at(action, tz)
        if action.person_id is not None and at is not None and lo < at <= hi:
            out.append(Due(f"late-action/{action.id}", "late-action", at, person_target(action.backend, action.person_id),
                           True, at + session_svc.LATE_MESSAGE_USEFUL, record_id=action.id))

    if config.digest.rule and digest_rooms:
        rec = digest_recurrence(store, config.digest.rule, config.chambre.timezone, lo)
        zone = ZoneInfo(rec.tz)
        for when in rec.occurrences(lo, before=hi + _TICK, inclusive=False):
            for room in digest_rooms:
                out.append(Due(f"digest/{_stamp(when, zone)}/{room}", "digest", when.astimezone(timezone.utc), room,
                               False, when + DIGEST_USEFUL))

    for m in pledge_svc.messages_due(store, config.pledges, tz, lo, hi):
        out.append(Due(m.name, m.kind, m.due, m.person, True, m.useful_until, Occasion(m.kind, m.due, m.pledge_id)))
    return sorted(out, key=lambda d: d.order)


def person_target(backend: str, user: str) -> str:
    """A chat user as the backends' `dm_user` reads a person: Rocket.Chat's with its prefix."""
    return f"rocketchat:{user}" if backend == "rocketchat" else user


class Host(Protocol):
    """What the scheduler uses of the App that runs it (bot/app.py), named here because the
    app imports the scheduler, not the other way round."""

    @property
    def config(self) -> Config: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def db(self) -> DatabaseThread: ...
    @property
    def backends(self) -> Mapping[str, Backend]: ...

    def notify(self, backend: str | None = None) -> None: ...
    def destination(self, target: str, dm: bool = False) -> tuple[str, str] | None: ...
    def language(self, backend: str, room: str) -> str: ...
    def enqueue_post(self, store: Store, name: str, body: Doc, destination: tuple[str, str], now: datetime,
                     dm: bool = False) -> bool: ...
    def send_key(self, *parts: str) -> str: ...


class Scheduler:
    """Makes the posts as they fall due: `run()` sleeps until the next one (or until `wake()`);
    `catch_up()` makes every post due up to now and returns."""

    def __init__(self, app: Host) -> None:
        self.app = app
        # Posts due before this instant and not yet made were missed while the bot was down.
        self.started_at: datetime = app.clock.now()
        self._wake = asyncio.Event()
        self._stopped = False
        self._lock = asyncio.Lock()

    # ---- where posts go ---------------------------------------------------------------------

    def _default_rooms(self) -> list[str]:
        """Every room the bot listens in: used when no room is configured for a post."""
        return [room for backend in self.app.backends.values() for room in backend.default_rooms()]

    def announce_rooms(self) -> list[str]:
        return self.app.config.rhythm.announce_rooms or self._default_rooms()

    def digest_rooms(self) -> list[str]:
        return self.app.config.digest.rooms or self._default_rooms()

    def organisers(self) -> list[str]:
        """The configured organisers, and those a backend makes (the console's own user)."""
        people = list(self.app.config.chambre.organisers)
        for backend in self.app.backends.values():
            people += [person for person in backend.organisers() if person not in people]
        return people

    def _plan(self, store: Store, lo: datetime, hi: datetime) -> list[Due]:
        return plan(store, self.app.config, lo, hi, self.announce_rooms(), self.digest_rooms(), self.organisers())

    # ---- the loop ---------------------------------------------------------------------------

    async def run(self) -> None:
        clock = self.app.clock
        while not self._stopped:
            self._wake.clear()
            try:
                processed = await self._catch_up()
                next_due = await self.app.db.run(lambda db: self._next_due(db, processed))
                limit = processed + MAX_SLEEP
                until = min(next_due, limit) if next_due is not None else limit
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler: processing failed; trying again shortly")
                until = clock.now() + AFTER_ERROR
            if self._stopped:
                break
            await clock.sleep_until(until, self._wake)

    async def catch_up(self) -> None:
        """Make every post due up to now (on time or late), then return."""
        await self._catch_up()

    async def _catch_up(self) -> datetime:
        async with self._lock:
            now = self.app.clock.now()
            backends = await self.app.db.run(lambda db: self._process(db, now))
        for backend in backends:
            self.app.notify(backend)
        return now

    def wake(self) -> None:
        """The records changed: look again at what is due next."""
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    # ---- on the database thread ---------------------------------------------------------------

    def _next_due(self, db: ChambreDatabase, now: datetime) -> datetime | None:
        """The first post not yet made due in (now, now + MAX_SLEEP]. If the clock has moved
        past it meanwhile, the sleep returns at once and the loop catches up."""
        store = Store(db)
        with db.atomic():
            poll_deadline = next_close(store, now, self.started_at)
            for due in self._plan(store, now, now + MAX_SLEEP):
                # (a session's close may be planned in the past: the next catch-up makes it)
                if due.due > now and not store.post_done(due.name):
                    return min(due.due, poll_deadline) if poll_deadline else due.due
        return poll_deadline

    def _process(self, db: ChambreDatabase, now: datetime) -> set[str]:
        store = Store(db)
        kept = store.state_get(STATE, PROCESSED_UNTIL)
        # A fresh install owes nothing from before it started; the instant it starts counts.
        lo = parse_instant(kept) if kept else self.started_at - _TICK
        # While down, only the last few days are worth looking at; while running, everything is.
        oldest = self.started_at - LOOKBACK
        if lo < oldest:
            log.warning("scheduler: last ran %s; posts due before %s are not looked at", kept, iso(oldest))
            lo = oldest
        if lo >= now:
            return set()
        with db.atomic():
            due_posts = self._plan(store, lo, now)
        backends: set[str] = set()
        for due in due_posts:
            try:
                with db.atomic():
                    backend = self._post(store, due, now)
            except Exception:
                # One post that cannot be built must not hold up the others, nor come back
                # at every turn: it is logged and recorded as skipped.
                log.exception("scheduler: post %s failed; skipped", due.name)
                with db.atomic():
                    if not store.post_done(due.name):
                        store.record_post(due.name, due.kind, due.due, now, "skipped")
                continue
            if backend:
                backends.add(backend)
        backends |= self._close_polls(store, now)
        with db.atomic():
            store.state_set(STATE, PROCESSED_UNTIL, iso(now))
        return backends

    def _close_polls(self, store: Store, now: datetime) -> set[str]:
        """Date polls whose deadline has come close, each with its result (bot/poll_chat.py).
        Their state is their mark, so each closes once, however long the bot was down."""
        from bot.poll_chat import close_due

        config = self.app.config
        try:
            with store.atomic():
                return close_due(store, now, config.chambre.tz, config.chambre.prefix, self.app.send_key,
                                 self.started_at)
        except Exception:
            log.exception("scheduler: closing the polls due failed; trying again at the next turn")
            return set()

    def _post(self, store: Store, due: Due, now: datetime) -> str | None:
        """Make one post, in the caller's transaction: its record and its outbox row together."""
        if store.post_done(due.name):
            return None
        late = due.due < self.started_at
        if late and now >= due.useful_until:
            log.warning("scheduler: skipped %s (due %s; the bot was down, and it is no use now)", due.name, iso(due.due))
            store.record_post(due.name, due.kind, due.due, now, "skipped")
            return None
        app = self.app
        if due.kind == "close":
            return self._close(store, due, now, late)
        routed = app.destination(due.target, due.dm)
        if routed is None:
            log.warning("scheduler: no backend for %s; post %s skipped", due.target, due.name)
            store.record_post(due.name, due.kind, due.due, now, "skipped")
            return None
        lang = app.language(*routed)
        at = now if late else due.due  # content as of the instant it speaks from
        body = self._body(store, due, at, lang, late)
        if body is None:  # what it was about is gone (a pledge stopped while the bot was down)
            log.info("scheduler: skipped %s (nothing left to say)", due.name)
            store.record_post(due.name, due.kind, due.due, now, "skipped")
            return None
        app.enqueue_post(store, due.name, body, routed, now, dm=due.dm)
        store.record_post(due.name, due.kind, due.due, now, "late" if late else "posted")
        if late:
            log.info("scheduler: posted %s late (due %s)", due.name, iso(due.due))
        return routed[0]

    def _close(self, store: Store, due: Due, now: datetime, late: bool) -> str | None:
        """Close a session left open at midnight, and post its minutes where it was held."""
        from bot.minutes import minutes_doc

        minutes = session_svc.close_by_itself(store, due.record_id or 0, due.due)
        if due.where is not None and due.where[0] in self.app.backends:
            routed: tuple[str, str] | None = due.where
        else:  # its chat is not running: only a backend that serves the room (the console shows every post)
            routed = self.app.destination(due.target)
        if minutes is None or routed is None:
            if minutes is not None:
                log.warning("scheduler: session %s closed at midnight; no running backend serves its room %s",
                            due.record_id, due.where)
            store.record_post(due.name, due.kind, due.due, now, "skipped")
            return None
        web = self.app.config.web
        body = minutes_doc(minutes, self.app.language(*routed), self.app.config.chambre.tz, late=late,
                           board=web.base_url if web else None)
        self.app.enqueue_post(store, due.name, body, routed, now)
        store.record_post(due.name, due.kind, due.due, now, "late" if late else "posted")
        return routed[0]

    def _body(self, store: Store, due: Due, at: datetime, lang: str, late: bool) -> Doc | None:
        config = self.app.config
        if due.kind == "late-action":
            return build_late_action(store, config, at, lang, due.record_id or 0, late=late)
        if due.kind in (pledge_svc.REMINDER, pledge_svc.ENDING):
            assert due.occasion is not None and due.occasion.record_id is not None
            pledge = pledge_svc.subject(store, due.kind, due.occasion.record_id, at)
            if pledge is None:
                return None
            build = pledge_posts.reminder_doc if due.kind == pledge_svc.REMINDER else pledge_posts.ending_doc
            return build(store, config, pledge, at, pledge.lang, late=late)  # in the language they pledged in
        if due.kind == "digest":
            return build_digest(store, config, at, lang, late=late)
        if due.occasion is None:  # plan() gives every agenda and reminder its occasion
            raise ValueError(f"{due.name}: no occasion to post about")
        if due.kind == "agenda":
            return build_agenda(store, config, at, lang, session=due.occasion.start, late=late)
        return build_reminder(store, config, at, lang, due.occasion, late=late)
