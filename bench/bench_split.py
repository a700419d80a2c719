"""Splitting a reply for a chat: what the outbox adds before each send.

    .venv/bin/python bench/bench_split.py [--repeats 30]

For each reply, times `message_parts` (measure it against the chat's limit, and split it
when it does not fit) as the outbox pump runs it for Matrix (64 KiB per event, measured as
the homeserver does) and Rocket.Chat (5,000 characters as JavaScript counts them), and
prints the median and p99 with the number of parts. The replies: the commonest small ones
(`!agenda`, `!brique voir 1`), `!aide`, and the worst one member can make: `!brique liste`
at its cap of 200 bricks, each name 120 heavy characters (an emoji of 4 bytes, an "&" that
is 5 in HTML). A reply that fits is rendered once more than before; one that does not is
split in a few renders a part. Reported, no bar: the outbox is not on a member's critical
path beyond one send.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import message_parts  # noqa: E402
from bot.backends.base import Outgoing  # noqa: E402
from bot.backends.matrix.send import fits as matrix_fits  # noqa: E402
from bot.backends.rocketchat import DEFAULT_MESSAGE_LENGTH, js_length  # noqa: E402
from bot.config import Config  # noqa: E402
from commands.context import Context  # noqa: E402
from commands.dispatcher import dispatch  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.store import Store  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def rocketchat_fits(out: Outgoing) -> bool:
    return js_length(out.body.rocketchat()) <= DEFAULT_MESSAGE_LENGTH


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "bench.db")
        store, config = Store(db), Config()
        with db.atomic():
            for k in range(200):
                store.add_brick((f"{k:03d} " + "🧱 & " * 40)[:120], "brick", "", "alice", NOW)

        def reply(line: str):
            ctx = Context(store=store, config=config, now=NOW, lang="fr", sender="alice", room="!r",
                          backend="matrix", is_organiser=True, event_id="$e")
            with db.atomic():
                return dispatch(ctx, line)

        for line in ("!agenda", "!brique voir 1", "!aide", "!brique liste"):
            out = Outgoing(send_key="cbbench", body=reply(line), room="!room:example.org", reply_to="$" + "x" * 43)
            for chat, fits in (("matrix", matrix_fits), ("rocketchat", rocketchat_fits)):
                times, parts = [], []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    parts = message_parts(out, fits)
                    times.append((time.perf_counter() - start) * 1000)
                times.sort()
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                print(f"{line:16} {chat:10} {len(parts):2} part(s)  median {statistics.median(times):7.2f} ms"
                      f"  p99 {p99:7.2f} ms")
        db.close()


if __name__ == "__main__":
    main()
