"""The group's records, as the services see them: no SQL, no chat."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

BRICK_PATH = ("idea", "described", "recipe", "building", "exists")  # the path, for progress bars
BRICK_CATEGORIES = ("brick", "infrastructure", "topic")
RSVP_ANSWERS = ("yes", "no", "maybe")


def progress(status: str) -> float | None:
    """How far a brick of this status is along the path idea → exists (None for paused and
    dropped, which are off the path)."""
    if status not in BRICK_PATH:
        return None
    return BRICK_PATH.index(status) / (len(BRICK_PATH) - 1)


@dataclass
class Meeting:
    id: int
    title: str
    start: datetime | date | None  # None: still to organise ("à organiser")
    end: datetime | None
    place: str | None
    status: str
    proposed_by: str
    room: str
    cancel_reason: str | None
    created_at: datetime
    rsvp: dict[str, list[str]] = field(default_factory=lambda: {answer: [] for answer in RSVP_ANSWERS})
    updated_at: datetime | None = None
    # Where it came from: None (a command), "conversation" (listening), "seed" (the group's
    # page); the message's id and address in its chat.
    source: str | None = None
    source_message: str | None = None
    source_link: str | None = None
    sequence: int = 0  # iCalendar's SEQUENCE: raised when its time or status changes


@dataclass
class Permanence:
    id: int
    title: str
    place: str | None
    rrule: str
    dtstart: datetime  # aware, local: the first occurrence
    tz: str
    duration_minutes: int | None
    active: bool
    created_by: str
    room: str
    cancelled: list[datetime] = field(default_factory=list)  # occurrence starts, aware
    hosts: dict[datetime, list[str]] = field(default_factory=dict)
    source: str | None = None  # as for a meeting
    source_message: str | None = None
    source_link: str | None = None


@dataclass
class Link:
    url: str
    label: str | None


@dataclass
class HistoryEntry:
    at: datetime
    by: str
    change: str
    status: str | None
    note: str | None


@dataclass
class Brick:
    id: int
    name: str
    category: str
    status: str
    description: str
    lead: str | None
    links: list[Link] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)


@dataclass
class Topic:
    id: int
    text: str
    added_by: str
    room: str
    created_at: datetime
    done: bool


@dataclass
class Rhythm:
    rrule: str
    dtstart: datetime
    tz: str
    duration_minutes: int | None
    place: str | None
    text: str
    set_by: str
    set_at: datetime | None = None
    sequence: int = 0  # iCalendar's SEQUENCE: raised when the rule changes


@dataclass
class JournalEntry:
    id: int
    at: datetime
    kind: str  # meeting.proposed, meeting.confirmed, brick.status, topic.added, ...
    record_id: int | None
    by: str
    data: dict[str, Any]  # what the change was, as journalled (JSON)


@dataclass
class Heard:
    """A message listening noticed, and what it made of it (see storage 0010_listening)."""
    backend: str
    message: str  # the message's event id
    room: str
    author: str
    thread: str  # where the bot speaks about it
    link: str | None
    lang: str
    kind: str  # "meeting" or "permanence"
    proposal: dict[str, Any]  # what it proposes (bot.services.listening reads it back)
    state: str  # "suggested", "recorded", "duplicate", "dropped"
    record_id: int | None
    written_at: datetime | None
    at: datetime


PLEDGE_VISIBILITIES = ("named", "anonymous", "public")  # name shown, amount hidden / neither / both


@dataclass
class Pledge:
    """A member's commitment to give an amount every month for a number of months. The bot
    records it; it never handles money. A replaced or stopped commitment stays, ended."""

    id: int
    person: str
    room: str
    amount_cents: int  # exact: integer cents, never a float
    currency: str  # ISO 4217, the group's currency when it was made
    months: int
    brick_id: int | None
    visibility: str  # one of PLEDGE_VISIBILITIES
    started_at: datetime  # aware, UTC
    since: datetime  # aware, UTC: when its pledger began giving without a break (a replacement continues)
    ends_at: datetime  # aware, UTC: local midnight of the first day it no longer runs
    tz: str  # the zone its days are counted in
    lang: str  # the language of the room it was made in: its direct messages speak it
    reminders: bool
    stopped_at: datetime | None = None
    end_reason: str | None = None  # "stopped" | "replaced"
    replaces: int | None = None

    def runs_at(self, at: datetime) -> bool:
        return self.started_at <= at < self.ends_at and (self.stopped_at is None or at < self.stopped_at)


@dataclass
class Session:
    """A session's minutes: open while `closed_at` is None, in one room, led by its chair."""

    id: int
    title: str | None  # None: titled by its date, in the reader's language
    day: date  # the local date it was held
    tz: str
    place: str | None
    scheduled: datetime | None  # the rhythm's session it is, if it is one
    meeting_id: int | None
    backend: str
    room: str
    chair: str
    opened_at: datetime
    closed_at: datetime | None
    closed_by: str | None  # None once closed: it closed by itself at midnight
    current_topic: int | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass
class SessionTopic:
    """An agenda topic as a session goes through it."""

    topic_id: int
    text: str
    position: int
    discussed_at: datetime | None


@dataclass
class Presence:
    person: str
    how: str  # chair, self (!présent), named (!présent <nom>), spoke (said something)
    by: str
    at: datetime


@dataclass
class Note:
    """An info or a decision in the minutes, under a topic (or outside any)."""

    id: int
    session_id: int
    topic_id: int | None
    kind: str  # info | decision
    text: str
    brick_id: int | None
    by: str
    at: datetime


@dataclass
class Action:
    id: int
    session_id: int | None
    topic_id: int | None
    person: str
    person_id: str | None  # the chat id, when known
    backend: str
    text: str
    due: datetime | date | None
    overdue_at: datetime | None
    created_by: str
    created_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None
    done_note: str | None = None

    def overdue(self, now: datetime) -> bool:
        return self.done_at is None and self.overdue_at is not None and now >= self.overdue_at


@dataclass
class Minutes:
    """Everything a session's minutes show, read at once."""

    session: Session
    topics: list[SessionTopic]
    present: list[Presence]
    notes: list[Note]
    actions: list[Action]
    bricks: dict[int, str]  # names of the bricks decisions were filed under
    meeting_title: str | None = None


POLL_STATUSES = ("open", "tied", "closed")


@dataclass
class PollOption:
    position: int  # 1, 2, 3…: what a member votes for
    start: datetime | date  # a day for an all-day option
    end: datetime | None


@dataclass
class Poll:
    """A date poll for a meeting: the group picks among its options; each member's latest
    answer counts (`answers`: person -> the positions they chose, empty when withdrawn)."""

    id: int
    meeting_id: int
    backend: str
    room: str
    lang: str
    created_by: str
    created_at: datetime
    closes_at: datetime  # aware, UTC
    status: str  # one of POLL_STATUSES
    options: list[PollOption] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)
    start_key: str | None = None
    chosen: int | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
