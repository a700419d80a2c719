"""The one interface every chat backend implements.

A backend turns its chat's events into `Incoming` events and hands them to the core, and
sends `Outgoing` messages (and reactions) the core takes from the outbox. Nothing above
this module knows which chat it is in: a backend also says which configured rooms and
people it serves.

Contract, so that nothing is lost and nothing happens twice:
- `run(deliver)` connects, catches up on what was said while the bot was away, then
  delivers live messages until `stop()`. It awaits `deliver(msg)` for each new message
  and only then moves its own cursor (sync token, high-water mark) forward. The core
  deduplicates on `(backend, event_id)` in the same transaction as the command's effect,
  so delivering the same event twice is harmless; never delivering it is not. When
  `deliver` raises, the cursor stays where it is and the backend tries again after the
  shared backoff (`bot.backoff`); the core gives up a message it failed to take five times.
  A command older than the chat's `max_command_age` is skipped (`CommandAge`).
- `send(out)` posts one message and returns once the chat server accepted it. It must be
  idempotent on `out.send_key` (Matrix transaction id, Rocket.Chat client `_id`): the
  outbox resends after a crash with the same key. A failure is classified, so that one
  delivery policy holds for every chat:
  - `Refused`: the chat will never take this message (forbidden, too large, unknown room).
    The outbox gives it up at once, with a log line, and sends the next one.
  - `RetryLater`: the chat cannot take it now (rate limit, server away, network). The
    outbox keeps it, and everything queued behind it, and tries again after the delay the
    chat asked for or the backoff; the count of tries is kept in the outbox, in the database.
  Anything else is a bug: retried like `RetryLater`, and given up after five tries.
- Events beyond text. Besides a message (`MESSAGE`), a backend delivers what happens to one
  afterwards, through the same `deliver`, with the same guarantees (catch-up after downtime,
  the cursor moved only after `deliver` returned, `CommandAge` on the event's own time):
  - `EDIT`: `target` was edited by `sender`; `text` is its new text; `event_id` is the
    edit's own id (Matrix: the `m.replace` event; Rocket.Chat: `<message id>:edit:<editedAt>`).
  - `REACTION`: `sender` reacted to `target` with `text`, an emoji as a Unicode character
    ("✅"); `event_id` is the reaction's id (Matrix: the `m.reaction` event; Rocket.Chat:
    `<message id>:react:<emoji name>:<username>`).
  - `REMOVAL`: `target` is gone: a message deleted (Matrix redaction; Rocket.Chat delete, soft
    or hard) or a reaction taken back (Matrix: the reaction's redaction; Rocket.Chat: its
    name gone from the message's reactions). `event_id` is the removal's own id. A chat
    cannot always say which one was removed (a Matrix redaction names an event id only):
    the core knows, from the reactions it was given (`Store.add_reaction`).
  The core marks edits and removals handled like messages; a reaction is handled once per
  (message, emoji, person) while it stands, so a Rocket.Chat backend that sees the same
  reactions again after a restart may deliver them again. The bot's own events are never
  delivered. Every event says whether its room is a direct-message room with the bot
  (`is_direct`) and whether the chat marks its sender as a bot or an integration
  (`from_bot`): the core reads conversation in neither.
- Date polls (issue 12). `POLL_ANSWER`: `sender` answered the native poll `target` (the id
  the chat gave the poll's own message) with `choices`, the ids of the options, in full
  (empty: no option); `event_id` is the answer's own id (Matrix: the poll response event,
  unstable `org.matrix.msc3381.poll.response` or stable `m.poll.response`). Handled once
  by id, like a message. A chat without native polls (`polls_by_reaction`) answers by
  reactions on the poll's message: the core gives it its option reactions (1️⃣ 2️⃣ …) once
  it is sent, and reads members' REACTION / REMOVAL of those as answers.
- `REACTIONS`: every reaction `target` carries now, in full (`text`: a JSON list of
  [emoji, person]), from a chat that cannot tell a reaction taken back while the bot was
  away (Rocket.Chat, after a restart, for each message it catches up on); `event_id` is its
  own (Rocket.Chat: `<message id>:reactions:<_updatedAt>`). The core drops the reactions it
  knew that are no longer there (a poll answer withdrawn while the bot was down).
- `Outgoing.poll`: the message is a poll's own message (`{"start": {"question", "answers":
  [{"id", "text"}], "max_selections"}}`) or its end (`{"end": {"text", "results"}}`, with
  `reply_to` the poll's message); `body` is the text any chat can show. A chat with native
  polls sends the poll (Matrix: MSC3381's unstable events); the others send `body`. `send`
  returns the id the chat gave the message (or None): a poll's id is how answers find it.
- `Outgoing.reaction`: the message is a reaction with that emoji on `reply_to`, sent under
  its send key like a message (Matrix: an `m.reaction` annotation with the key as
  transaction id; Rocket.Chat: `chat.react` with `shouldReact: true`, idempotent by itself).
  A reply with `thread` set goes in that thread (Matrix thread relation; Rocket.Chat `tmid`).
- `link(room, event_id)` gives the address of a message for a person (kept with what the
  bot records from it), or None; `names(room)` the other names the configuration may give
  a room (Rocket.Chat: `rocketchat:<channel>` for a room id), for per-room settings.
- `fits(out)` says whether the chat takes `out` as one message (its size limit, measured
  as the chat measures it). The outbox splits a message that does not fit into several that
  do, in order, each under a send key derived from the original one.
- `serves(target)` and `dm_user(person)` say whether a configured room name (an
  `announce_rooms` entry) or organiser id is this chat's, and as what; `default_rooms()`
  names the rooms it listens in, where posts go when none is configured.
- `status()` says how the link to the chat is (connected, the last sign of life from its
  server), for the web board's `/healthz`.
- Backend-private state (tokens, cursors, DM rooms) goes through `BackendState`, which
  lives in the bot's database.
"""
from __future__ import annotations

import abc
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Protocol

from bot.clock import Clock
from bot.richtext import Doc

log = logging.getLogger(__name__)


# What an incoming event is (Incoming.kind): see the contract above.
MESSAGE, EDIT, REACTION, REMOVAL = "message", "edit", "reaction", "removal"
POLL_ANSWER, REACTIONS = "poll-answer", "reactions"


@dataclass(frozen=True)
class Incoming:
    """Something a person did in a room, normalised: a message they typed (`MESSAGE`), or an
    edit, a reaction or a removal of an earlier one (`target`)."""

    backend: str  # "console", "matrix", "rocketchat"
    room: str  # the backend's own room id
    sender: str  # the chat's user id: "@alice:example.org", a Rocket.Chat username, the console user
    text: str
    event_id: str  # unique within the backend
    sent_at: datetime  # aware
    thread: str | None = None  # thread root to answer in (Rocket.Chat tmid, Matrix thread root)
    # Elevation the chat itself grants (Matrix power level, Rocket.Chat room owner/moderator);
    # configured organisers are added by the core.
    sender_is_organiser: bool = False
    # In a direct-message room with the bot: what is said to the sender alone (their own
    # pledge amount) may be said right there (commands/context.py `direct`); listening reads
    # no direct message.
    is_direct: bool = False
    from_bot: bool = False  # the chat says another bot or an integration sent it
    kind: str = MESSAGE
    target: str | None = None  # the message an edit, reaction or removal is about
    choices: tuple[str, ...] = ()  # POLL_ANSWER: the option ids chosen
    # Set when the chat could not decrypt the message (Matrix, without its room key): `text` is
    # empty and the core tells the room, once per value of this key (the sender and session).
    unreadable: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """A message to post. Exactly one of `room` and `dm_user` is set."""

    send_key: str  # idempotency key derived from what caused the message
    body: Doc
    room: str | None = None
    dm_user: str | None = None  # a direct message to this user (the backend finds or creates the room)
    reply_to: str | None = None  # the event id of the command this answers (or reacts to)
    thread: str | None = None
    reaction: str | None = None  # an emoji to put on `reply_to`, instead of a message (`body` is empty)
    poll: dict[str, Any] | None = None  # a native poll's start or end (see the contract above)


Deliver = Callable[[Incoming], Awaitable[None]]
Settle = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class BackendStatus:
    """A backend's own account of its link to the chat, for /healthz."""

    connected: bool
    # The last sign of life from the chat server (Matrix: a sync answered; Rocket.Chat: a
    # stream event), by the backend's clock; None when it does not keep one.
    last_event: datetime | None = None


class RetryLater(Exception):
    """A transient send failure: keep the message, try again after `delay` seconds (what the
    chat asked for, as after a rate limit), or after the outbox's backoff when None."""

    def __init__(self, reason: str, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class Refused(Exception):
    """The chat refuses this message for good (forbidden, too large, unknown room): sending
    it again would get the same answer, so the outbox gives it up at once."""


class BackendState(Protocol):
    """Small key/value store in the bot's database, namespaced per backend."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class BackendConfigError(Exception):
    """The backend cannot work with its configuration (a refused login, an address that is
    not the chat's server): it stops, and the message, one sentence saying what to fix, is
    all the operator sees. Retrying would not help, so `run` exits with status 1."""


class CommandAge:
    """`max_command_age`, the same for every chat: a command typed longer ago than this
    (while the bot was down, say) is skipped with a log line rather than answered late."""

    def __init__(self, backend: str, max_age: timedelta, clock: Clock) -> None:
        self.backend, self.max_age, self.clock = backend, max_age, clock

    def cutoff(self) -> datetime:
        """Commands sent before this instant are too old."""
        return self.clock.now() - self.max_age

    def too_old(self, sent_at: datetime, event_id: str, sender: str, room: str) -> bool:
        if sent_at >= self.cutoff():
            return False
        log.info("%s: skipping %s from %s in %s: sent %s, older than max_command_age (%s)",
                 self.backend, event_id, sender, room, sent_at.isoformat(), self.max_age)
        return True


class Backend(abc.ABC):
    name: str
    # The outbox rows this instance sends: None, every row of its name; else the replies to
    # event ids starting with this prefix, and the posts. Two console processes on one
    # database each show their own replies.
    replies_to: str | None = None
    # Set by the core before run(): returns once every reply queued so far is sent and every
    # post due by now is made. A backend that shows one exchange at a time (the console)
    # awaits it after each message; a chat need not.
    settle: Settle | None = None
    # No native polls: a poll is answered by reactions on its message (Rocket.Chat).
    polls_by_reaction: bool = False

    @abc.abstractmethod
    async def run(self, deliver: Deliver) -> None:
        """Connect, catch up, deliver messages until stop() is called."""

    @abc.abstractmethod
    async def send(self, out: Outgoing) -> str | None:
        """Post `out`, idempotent on out.send_key; raise Refused or RetryLater when it fails.
        Returns the id the chat gave the message, when it has one."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop delivering and release connections."""

    def serves(self, target: str) -> str | None:
        """The room this chat posts to for `target`, a room named in the configuration
        (`announce_rooms`, `digest.rooms`), or None when it is another chat's."""
        return None

    def dm_user(self, person: str) -> str | None:
        """The user a direct message to `person` (an id from `[chambre] organisers`) goes to
        on this chat, or None when the person is another chat's."""
        return None

    def default_rooms(self) -> list[str]:
        """The rooms this chat listens in, as the configuration names them (each one served
        by `serves`): where posts go when no room is configured for them."""
        return []

    def organisers(self) -> list[str]:
        """People this backend itself makes organisers, beyond `[chambre] organisers`, who
        get the organisers' reminders too (the console's own user)."""
        return []

    async def refresh_organiser(self, msg: Incoming) -> bool:
        """Asked by the core just before it would refuse `msg` for want of organiser rights:
        is its sender an organiser by the chat's own rules, asked afresh? A backend whose
        answer may come from a stale cache reads it again here (Rocket.Chat: a server that
        hides system messages never announces a new moderator); the others keep the
        answer the message came with."""
        return msg.sender_is_organiser

    def link(self, room: str, event_id: str) -> str | None:
        """The address of a message for a person (a matrix.to link, a Rocket.Chat permalink),
        or None when the chat has none (the console)."""
        return None

    def names(self, room: str) -> list[str]:
        """Other names the configuration may give `room` (a Rocket.Chat room id is
        `rocketchat:<channel>` there; a Matrix room, its configured alias): per-room settings
        (`room_languages`, `listen_rooms`) are looked up under each."""
        return []

    def status(self) -> BackendStatus:
        """How the link to the chat is. A backend with no server to lose (the console) is
        connected while it runs; the core reports one whose run() has ended as down."""
        return BackendStatus(connected=True)

    def fits(self, out: Outgoing) -> bool:
        """Whether the chat accepts `out` as one message. A chat without a limit (the console)
        keeps this default."""
        return True
