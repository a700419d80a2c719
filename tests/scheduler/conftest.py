"""A recording chat for the scheduler tests: a fake backend whose server, like Matrix or
Rocket.Chat, shows one message per send key however often it is sent."""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.backends.base import Backend, Deliver, Incoming, Outgoing
from bot.clock import ManualClock
from bot.config import Config, parse_config

PARIS = ZoneInfo("Europe/Paris")
ANNOUNCE = "!announce:example.org"
DIGEST = "!digest:example.org"
CAMILLE = "@camille:example.org"
DOMINIQUE = "@dominique:example.org"
ORGANISERS = [CAMILLE, DOMINIQUE]


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@dataclass
class Shown:
    """A message as the chat shows it."""

    at: datetime
    send_key: str
    room: str | None
    dm_user: str | None
    reply_to: str | None
    text: str

    @property
    def target(self) -> str:
        return self.dm_user or self.room or ""

    @property
    def kind(self) -> str:
        first = self.text.splitlines()[0]
        if first.startswith("Rappel"):
            return "reminder"
        if first.startswith("La semaine"):
            return "digest"
        if first.startswith("Prochaine séance"):
            return "agenda"
        return "other"


class FakeChat:
    """The server side: dedupes on the send key, as Matrix transaction ids do."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.shown: list[Shown] = []
        self.received = 0
        self._keys: set[str] = set()
        self.arrived = asyncio.Event()

    def accept(self, out: Outgoing) -> None:
        self.received += 1
        if out.send_key not in self._keys:
            self._keys.add(out.send_key)
            self.shown.append(Shown(self.clock.now(), out.send_key, out.room, out.dm_user, out.reply_to, out.body.plain()))
        self.arrived.set()

    @property
    def posts(self) -> list[Shown]:
        """What the bot posted by itself (not replies to commands)."""
        return [s for s in self.shown if s.reply_to is None]


class FakeBackend(Backend):
    """A Matrix-like backend in memory. With `hang_after_accept`, a send reaches the server
    and then never returns: the process "dies" before marking it sent."""

    name = "matrix"

    def __init__(self, chat: FakeChat, hang_after_accept: bool = False) -> None:
        self.chat = chat
        self.hang_after_accept = hang_after_accept
        self._stopped = asyncio.Event()
        self._ids = itertools.count(1)

    async def run(self, deliver: Deliver) -> None:
        await self._stopped.wait()

    async def send(self, out: Outgoing) -> None:
        self.chat.accept(out)
        if self.hang_after_accept:
            await asyncio.Event().wait()

    def serves(self, target: str) -> str | None:
        return target  # every configured room is one of its rooms

    def dm_user(self, person: str) -> str | None:
        return person

    async def stop(self) -> None:
        self._stopped.set()


def make_config(**rhythm: object) -> Config:
    return parse_config({
        "chambre": {"timezone": "Europe/Paris", "language": "fr", "organisers": ORGANISERS},
        "rhythm": {"rule": "un jeudi sur deux à 18h à partir du 7 janvier 2027", "place": "MESHS",
                   "announce_rooms": [ANNOUNCE], **rhythm},
        "digest": {"rooms": [DIGEST]},
    }, env={})


class Harness:
    """One run of the bot on a database file; `restart` is a new process on the same file."""

    def __init__(self, db: Path, clock: ManualClock, chat: FakeChat, config: Config) -> None:
        self.db, self.clock, self.chat, self.config = db, clock, chat, config
        self.app: App | None = None
        self._events = itertools.count(1)

    async def start(self, hang_after_accept: bool = False) -> App:
        self.app = App(self.config, clock=self.clock, backends=[FakeBackend(self.chat, hang_after_accept)],
                       db_path=str(self.db))
        await self.app.start()
        return self.app

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def say(self, text: str, sender: str = CAMILLE, room: str = ANNOUNCE) -> None:
        assert self.app is not None
        await self.app.deliver(Incoming(backend="matrix", room=room, sender=sender, text=text,
                                        event_id=f"$ev{next(self._events)}", sent_at=self.clock.now()))
        await self.app.drained("matrix")

    async def settle(self) -> None:
        assert self.app is not None
        await self.app.scheduler.catch_up()
        await self.app.drained("matrix")

    async def run_until(self, until: datetime, step: timedelta = timedelta(hours=1)) -> None:
        """Move the clock forward step by step, letting the scheduler post as it goes."""
        while self.clock.now() < until:
            self.clock.set(min(self.clock.now() + step, until))
            await self.settle()

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        import sqlite3

        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@pytest.fixture
async def harness(tmp_path: Path):
    holder: list[Harness] = []

    def make(start: datetime, config: Config | None = None) -> Harness:
        clock = ManualClock(start)
        h = Harness(tmp_path / "chambre.db", clock, FakeChat(clock), config or make_config())
        holder.append(h)
        return h

    yield make
    for h in holder:
        await h.stop()
