"""The session's costs: what a chat message pays to be noted present, and what the largest
minutes cost to close, split for each chat, and write as files.

    .venv/bin/python bench/bench_minutes.py [--repeats 20]

- `note_speaker`: a message that is not a command, in a room with no open session (nearly
  every message: one read, no write lock) and in a room with one (a write);
- the largest minutes a session can hold (300 entries: infos of 1,000 heavy characters by
  20 people over 10 topics): `!séance clore` (close and build the minutes), splitting them
  for Matrix and Rocket.Chat (`message_parts`, as the outbox does, with the number of
  parts), and `minutes_markdown` / `minutes_html`;
- the same minutes' page on the web board (`/seances/1`, over HTTP from the real server).

Reported, no bar: closing happens once a session.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_split import matrix_fits, rocketchat_fits  # noqa: E402
from bot.app import message_parts  # noqa: E402
from bot.backends.base import Incoming, Outgoing  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.minutes import minutes_doc, minutes_html, minutes_markdown  # noqa: E402
from bot.presence import note_speaker  # noqa: E402
from bot.services import sessions as svc  # noqa: E402
from commands.context import Context  # noqa: E402
from commands.dispatcher import dispatch  # noqa: E402
from storage.db import DatabaseThread, connect  # noqa: E402
from storage.store import Store  # noqa: E402

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)
HEAVY = "Décision prise & notée 🧱 <b>ok</b> " * 30  # ~1,000 characters, heavy in bytes and in HTML


def ms(samples: list[float]) -> str:
    samples = sorted(samples)
    return f"median {statistics.median(samples) * 1000:.2f} ms, p99 {samples[int(len(samples) * 0.99) - 1] * 1000:.2f} ms"


def say(db, store: Store, config: Config, text: str, sender: str = "@chair:example.org", n: list = [0]):
    n[0] += 1
    ctx = Context(store=store, config=config, now=NOW + timedelta(seconds=n[0]), lang="fr", sender=sender,
                  room="!room:example.org", backend="matrix", is_organiser=True, event_id=f"$e{n[0]}")
    with db.atomic():
        return dispatch(ctx, text)


def full_session(path: Path, config: Config) -> None:
    db = connect(path)
    store = Store(db)
    for k in range(10):
        say(db, store, config, f"!odj ajouter Point {k} " + "x" * 100)
    say(db, store, config, "!séance ouvrir")
    for k in range(svc.MAX_ENTRIES):
        if k % 50 == 0:
            say(db, store, config, "!point suivant")
        say(db, store, config, "!info " + HEAVY[:1000], sender=f"@member{k % 20}:example.org")
    db.close()


async def board_page(path: Path, repeats: int) -> tuple[list[float], int]:
    """GET /seances/1 from the board's own server on 127.0.0.1:0: read, view, template."""
    import aiohttp

    from bot.config import WebConfig
    from bot.web import WebServer

    database = DatabaseThread(path)
    await database.open()
    server = WebServer(Config(web=WebConfig(listen="127.0.0.1:0")), database)
    await server.start()
    times, size = [], 0
    async with aiohttp.ClientSession() as client:
        for _ in range(repeats):
            start = time.perf_counter()
            async with client.get(server.url + "/seances/1") as r:
                body = await r.read()
                assert r.status == 200
            times.append(time.perf_counter() - start)
            size = len(body)
    await server.stop()
    await asyncio.to_thread(database.close)
    return times, size


async def presence(path: Path, repeats: int) -> tuple[list[float], list[float]]:
    database = DatabaseThread(path)
    await database.open()
    quiet, busy = [], []
    for k in range(repeats * 10):
        for room, out in (("!elsewhere:example.org", quiet), ("!room:example.org", busy)):
            msg = Incoming(backend="matrix", room=room, sender=f"@p{k}:example.org", text="bonjour",
                           event_id=f"$m{k}{room}", sent_at=NOW + timedelta(hours=1))
            start = time.perf_counter()
            await note_speaker(database, msg)
            out.append(time.perf_counter() - start)
    await asyncio.to_thread(database.close)
    return quiet, busy


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base.db"
        full_session(base, config)
        quiet, busy = asyncio.run(presence(base, args.repeats))
        print(f"note_speaker, no session in the room: {ms(quiet)}")
        print(f"note_speaker, a session open there:   {ms(busy)}")
        closes, docs = [], None
        for r in range(args.repeats):
            copy = Path(tmp) / f"close{r}.db"
            import sqlite3

            sqlite3.connect(base).backup(sqlite3.connect(copy))
            db = connect(copy)
            store = Store(db)
            start = time.perf_counter()
            docs = say(db, store, config, "!séance clore")
            closes.append(time.perf_counter() - start)
            minutes = svc.minutes(store, store.session(1))
            db.close()
        print(f"!séance clore with {svc.MAX_ENTRIES} entries: {ms(closes)}")
        out = Outgoing(send_key="k", body=docs, room="!room:example.org")
        for name, fits in (("Matrix", matrix_fits), ("Rocket.Chat", rocketchat_fits)):
            times, parts = [], 0
            for _ in range(max(3, args.repeats // 4)):
                start = time.perf_counter()
                parts = len(message_parts(out, fits))
                times.append(time.perf_counter() - start)
            print(f"split for {name}: {parts} messages, {ms(times)}")
        for name, write in (("Markdown", minutes_markdown), ("HTML", minutes_html)):
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                text = write(minutes, "fr", config.chambre.tz)
                times.append(time.perf_counter() - start)
            print(f"{name}: {len(text.encode()) // 1024} KiB, {ms(times)}")
        _ = minutes_doc
        times, size = asyncio.run(board_page(copy, args.repeats))
        print(f"the board's page /seances/1: {size // 1024} KiB, {ms(times)}")


if __name__ == "__main__":
    main()
