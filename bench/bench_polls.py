"""What date polls cost the running bot (bot/poll_chat.py, bot/services/polls.py): a poll
answer (a Matrix poll response) through App.deliver, for 500 members and again when each
changes their mind; a reaction on an ordinary message (what the poll lookup adds to every
reaction); `!sondage voir` and the close of a poll with 500 answers. A chat in memory takes
the sends; the database is a real SQLite file. Wall-clock per event.

    python -m bench.bench_polls        or        python bench/bench_polls.py
"""
from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App  # noqa: E402
from bot.backends.base import POLL_ANSWER, REACTION, Incoming  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bench.null_chat import NullChat  # noqa: E402
from storage.store import Store  # noqa: E402

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
MEMBERS = 500


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def timed(app: App, events: list[Incoming]) -> list[float]:
    wall = []
    for msg in events:
        t = time.perf_counter()
        await app.deliver(msg)
        wall.append((time.perf_counter() - t) * 1000)
    return wall


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({}, env={})
        chat = NullChat()
        clock = ManualClock(NOW)
        app = App(config, clock=clock, backends=[chat], db_path=str(Path(tmp) / "bench.db"))
        app.schedule = False
        await app.start()
        ids = itertools.count(1)

        def said(text: str, sender: str = "@a:x") -> Incoming:
            return Incoming(backend="matrix", room="!r:x", sender=sender, text=text, event_id=f"$e{next(ids)}",
                            sent_at=clock.now())

        try:
            await app.deliver(said("!sondage 1 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h ; "
                                   "samedi 12 décembre 10h ; lundi 14 décembre 18h"))
            await asyncio.wait_for(app.drained("matrix"), 60)
            poll_event = await app.db.run(lambda d: Store(d).poll_message_id(1))
            assert poll_event, "the poll's id was not kept"

            def answers(round_: int) -> list[Incoming]:
                """Each member chooses one or two of the four dates, differently each round."""
                out = []
                for k in range(MEMBERS):
                    first = 1 + (k + round_) % 4
                    chosen = (str(first),) if k % 2 or first == 4 else (str(first), str(first + 1))
                    out.append(Incoming(backend="matrix", room="!r:x", sender=f"@m{k}:x", text="",
                                        event_id=f"$a{next(ids)}", sent_at=NOW + timedelta(minutes=round_),
                                        kind=POLL_ANSWER, target=poll_event, choices=chosen))
                return out

            wall = await timed(app, answers(0))
            print(f"poll answer, App.deliver: p50 {pct(wall, .5):.2f} ms, p99 {pct(wall, .99):.2f} ms, {len(wall)} members")
            wall = await timed(app, answers(1))
            print(f"changed answer, App.deliver: p50 {pct(wall, .5):.2f} ms, p99 {pct(wall, .99):.2f} ms, {len(wall)} members")
            reactions = [Incoming(backend="matrix", room="!r:x", sender=f"@m{k}:x", text="👍", event_id=f"$r{next(ids)}",
                                  sent_at=NOW, kind=REACTION, target=f"$ordinary{k}") for k in range(MEMBERS)]
            wall = await timed(app, reactions)
            print(f"reaction on an ordinary message, App.deliver: p50 {pct(wall, .5):.2f} ms, p99 {pct(wall, .99):.2f} ms")
            wall = await timed(app, [said("!sondage voir 1") for _ in range(20)])
            print(f"!sondage voir with {MEMBERS} answers: p50 {pct(wall, .5):.1f} ms")
            t = time.perf_counter()
            await app.deliver(said("!sondage clore 1 ; 2"))
            print(f"close by hand with {MEMBERS} answers (date set, RSVPs written, result queued): "
                  f"{(time.perf_counter() - t) * 1000:.1f} ms")
            await asyncio.wait_for(app.drained("matrix"), 60)
            meeting = await app.db.run(lambda d: Store(d).meeting(1))
            print(f"meeting 1: {len(meeting.rsvp['yes'])} yes; sent {chat.sent} messages")
        finally:
            await app.stop()


if __name__ == "__main__":
    asyncio.run(main())
