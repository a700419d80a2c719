"""What listening costs the running bot (bot/app.py, bot/conversation.py), beyond deciding
(bench_listen.py): an ordinary message through App.deliver (no storage: the decision alone),
a proposal through App.deliver (its transaction: the record, the heard row, the 📅 and the
thread reply in the outbox, the handled mark), and a flood of 500 ordinary messages. A chat
in memory takes the sends; the database is a real SQLite file. Wall-clock and CPU per message.

    python -m bench.bench_listen_app        or        python bench/bench_listen_app.py
"""
from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App  # noqa: E402
from bot.backends.base import Incoming  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import parse_config  # noqa: E402
from bench.null_chat import NullChat  # noqa: E402

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
ORDINARY = ["Salut tout le monde !", "Merci pour le compte rendu 🙏", "ok", "+1",
            "J'ai relu la brique 3, il manque 2 paragraphes", "la réunion de jeudi dernier était super",
            "je ne serai pas là jeudi 18h", "j'ai un rdv chez le dentiste mardi 10h",
            "Le pad est là : https://pad.example.org/briques", "> On se retrouve jeudi 18h ?\nbonne idée"]
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def timed(app: App, texts: list[str], ids) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for text in texts:
        msg = Incoming(backend="matrix", room="!r:x", sender="@a:x", text=text, event_id=f"$e{next(ids)}",
                       sent_at=NOW)
        w, c = time.perf_counter(), time.process_time()
        await app.deliver(msg)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return wall, cpu


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({"chambre": {"places": ["MESHS", "Tiers-lieu"]}}, env={})
        chat = NullChat()
        app = App(config, clock=ManualClock(NOW), backends=[chat], db_path=str(Path(tmp) / "bench.db"))
        app.schedule = False
        await app.start()
        ids = itertools.count(1)
        try:
            await timed(app, ORDINARY * 5, ids)  # warm: the places read once, the code paths loaded
            wall, cpu = await timed(app, ORDINARY * 100, ids)
            print(f"ordinary message, App.deliver: p50 {pct(wall, .5):.3f} ms, p99 {pct(wall, .99):.3f} ms "
                  f"(CPU p99 {pct(cpu, .99):.3f} ms), {len(wall)} messages")
            t = time.perf_counter()
            await timed(app, [f"{ORDINARY[k % len(ORDINARY)]} ({k})" for k in range(500)], ids)
            print(f"500 ordinary messages: {(time.perf_counter() - t) * 1000:.0f} ms in all")
            proposals = [f"On se retrouve le {d} {m} 2027 à 18h à la MESHS ?" for m in MONTHS for d in range(1, 21)]
            wall, cpu = await timed(app, proposals, ids)
            print(f"proposal recorded, App.deliver (transaction, record, 📅 and reply queued): "
                  f"p50 {pct(wall, .5):.2f} ms, p99 {pct(wall, .99):.2f} ms (CPU p99 {pct(cpu, .99):.2f} ms), "
                  f"{len(wall)} proposals")
            await asyncio.wait_for(app.drained("matrix"), 60)
            print(f"sent: {chat.sent} (a reaction and a reply per proposal: {2 * len(proposals)})")
        finally:
            await app.stop()


if __name__ == "__main__":
    asyncio.run(main())
