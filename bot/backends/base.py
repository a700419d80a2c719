"""The one interface every chat backend implements.

A backend turns its chat's events into `Incoming` messages and hands them to the core,
and sends `Outgoing` messages the core takes from the outbox. Nothing above this module
knows which chat it is in.

Contract, so that nothing is lost and nothing happens twice:
- `run(deliver)` connects, catches up on what was said while the bot was away, then
  delivers live messages until `stop()`. It awaits `deliver(msg)` for each new message
  and only then moves its own cursor (sync token, high-water mark) forward. The core
  deduplicates on `(backend, event_id)` in the same transaction as the command's effect,
  so delivering the same event twice is harmless; never delivering it is not.
- `send(out)` posts one message and returns once the chat server accepted it. It must be
  idempotent on `out.send_key` (Matrix transaction id, Rocket.Chat client `_id`): the
  outbox resends after a crash with the same key. Raise `RetryLater` for a transient
  failure (rate limit, server away); the outbox keeps the message and tries again.
- `fits(out)` says whether the chat takes `out` as one message (its size limit, measured
  as the chat measures it). The outbox splits a message that does not fit into several that
  do, in order, each under a send key derived from the original one.
- Backend-private state (tokens, cursors, DM rooms) goes through `BackendState`, which
  lives in the bot's database.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable, Protocol

from bot.richtext import Doc


@dataclass(frozen=True)
class Incoming:
    """A message a person typed in a room, normalised."""

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
    is_direct: bool = False


@dataclass(frozen=True)
class Outgoing:
    """A message to post. Exactly one of `room` and `dm_user` is set."""

    send_key: str  # idempotency key derived from what caused the message
    body: Doc
    room: str | None = None
    dm_user: str | None = None  # a direct message to this user (the backend finds or creates the room)
    reply_to: str | None = None  # the event id of the command this answers
    thread: str | None = None
    meta: dict = field(default_factory=dict)


Deliver = Callable[[Incoming], Awaitable[None]]


@dataclass(frozen=True)
class BackendStatus:
    """A backend's own account of its link to the chat, for /healthz."""

    connected: bool
    # The last sign of life from the chat server (Matrix: a sync answered; Rocket.Chat: a
    # stream event), by the backend's clock; None when it does not keep one.
    last_event: datetime | None = None


class RetryLater(Exception):
    """A transient send failure: keep the message, try again after `delay` seconds."""

    def __init__(self, reason: str, delay: float = 1.0) -> None:
        super().__init__(reason)
        self.delay = delay


class BackendState(Protocol):
    """Small key/value store in the bot's database, namespaced per backend."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class BackendConfigError(Exception):
    """The backend cannot work with its configuration (a refused login, an address that is
    not the chat's server): it stops, and the message, one sentence saying what to fix, is
    all the operator sees. Retrying would not help, so `run` exits with status 1."""


class Backend(abc.ABC):
    name: str
    # The outbox rows this instance sends: None, every row of its name; else the replies to
    # event ids starting with this prefix, and the posts. Two console processes on one
    # database each show their own replies.
    replies_to: str | None = None

    @abc.abstractmethod
    async def run(self, deliver: Deliver) -> None:
        """Connect, catch up, deliver messages until stop() is called."""

    @abc.abstractmethod
    async def send(self, out: Outgoing) -> None:
        """Post `out`, idempotent on out.send_key; raise RetryLater on a transient failure."""

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop delivering and release connections."""

    async def refresh_organiser(self, msg: Incoming) -> bool:
        """Asked by the core just before it would refuse `msg` for want of organiser rights:
        is its sender an organiser by the chat's own rules, asked afresh? A backend whose
        answer may come from a stale cache reads it again here (Rocket.Chat: a server that
        hides system messages never announces a new moderator); the others keep the
        answer the message came with."""
        return msg.sender_is_organiser

    def status(self) -> BackendStatus:
        """How the link to the chat is. A backend with no server to lose (the console) is
        connected while it runs; the core reports one whose run() has ended as down."""
        return BackendStatus(connected=True)

    def fits(self, out: Outgoing) -> bool:
        """Whether the chat accepts `out` as one message. A chat without a limit (the console)
        keeps this default."""
        return True
