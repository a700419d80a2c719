"""The outbox as a member sees it: replies arrive in order, a transient failure is waited
out, a message the chat keeps refusing does not hold back the ones behind it, and a reply
left unsent by a crash is sent once by the next start."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

from bot.app import App
from bot.backends.base import Backend, Incoming, Outgoing, RetryLater
from bot.clock import ManualClock
from bot.config import Config
from tests.support import wait_until

NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)


class Chat(Backend):
    """A chat server double: dedups on send_key like Matrix and Rocket.Chat do."""

    name = "fake"

    def __init__(self) -> None:
        self.posted: dict[str, str] = {}
        self.refuse: set[str] = set()  # texts this chat refuses for good
        self.busy_once: set[str] = set()  # texts that get one rate-limit answer first
        self.attempts: dict[str, int] = {}

    async def run(self, deliver) -> None:
        await asyncio.Event().wait()

    async def send(self, out: Outgoing) -> None:
        text = out.body.plain()
        self.attempts[text] = self.attempts.get(text, 0) + 1
        if any(r in text for r in self.refuse):
            raise RuntimeError("M_FORBIDDEN: not in that room")
        busy = next((t for t in self.busy_once if t in text), None)
        if busy:
            self.busy_once.discard(busy)
            raise RetryLater("rate limited", 0.01)
        self.posted.setdefault(out.send_key, text)

    async def stop(self) -> None:
        pass

    def texts(self) -> list[str]:
        return list(self.posted.values())


def command(n: int, text: str) -> Incoming:
    return Incoming(backend="fake", room="!room", sender="alice", text=text, event_id=f"$ev{n}", sent_at=NOW)


async def test_a_refused_reply_does_not_hold_back_the_others(tmp_path: Path):
    chat = Chat()
    app = App(Config(), clock=ManualClock(NOW), backends=[chat], db_path=str(tmp_path / "o.db"))
    app.send_backoff = 0.01
    await app.start()
    try:
        chat.refuse.add("Atelier interdit")
        chat.busy_once.add("Atelier lent")
        await app.deliver(command(1, "!odj ajouter Atelier interdit"))
        await app.deliver(command(2, "!odj ajouter Atelier lent"))
        await app.deliver(command(3, "!odj ajouter Atelier normal"))
        await wait_until(lambda: len(chat.texts()) == 2, message=lambda: f"shown: {chat.texts()}")
        texts = chat.texts()
        assert "Atelier lent" in texts[0] and "Atelier normal" in texts[1]  # in order, the slow one waited out
        assert chat.attempts[next(t for t in chat.attempts if "interdit" in t)] == 6  # then given up
        await app.deliver(command(1, "!odj ajouter Atelier interdit"))  # a redelivery changes nothing
        await app.drained("fake")
        assert len(chat.texts()) == 2 and chat.attempts[next(t for t in chat.attempts if "interdit" in t)] == 6
    finally:
        await app.stop()


async def test_a_reply_left_unsent_by_a_crash_is_sent_once_at_the_next_start(tmp_path: Path):
    db = str(tmp_path / "c.db")
    first = App(Config(), clock=ManualClock(NOW), backends=[], db_path=db)
    await first.db.open()
    # The command was applied and its reply written, then the process died before sending.
    await first.db.run(lambda d: first._handle(d, command(7, "!odj ajouter Salle pour janvier")))
    await asyncio.to_thread(first.db.close)

    chat = Chat()
    second = App(Config(), clock=ManualClock(NOW), backends=[chat], db_path=db)
    await second.start()
    try:
        await second.drained("fake")
        await second.deliver(command(7, "!odj ajouter Salle pour janvier"))  # the chat delivers it again
        await second.drained("fake")
        assert len(chat.texts()) == 1 and "Point n°1" in chat.texts()[0]
        topics = await second.db.run(lambda d: d.execute("SELECT count(*) FROM topics").fetchone()[0])
        assert topics == 1
    finally:
        await second.stop()
