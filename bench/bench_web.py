"""Web benchmark: the board, the calendar feed and a 304, over HTTP from the real server.

    .venv/bin/python bench/bench_web.py [--repeats 30] [--sizes typical,large] [--json]

For each size, fills a SQLite file with bench_core's `years` shape (a long-lived group:
meetings over twenty years up to three months ahead, 20 weekly permanences, topics, a
rhythm, bricks with their history) plus hosts and cancelled dates on every permanence, starts
the web server on 127.0.0.1:0 over it, and times, as a client sees them (request sent to last
byte read, on one keep-alive connection):

- the board (`/`), built at each request;
- the feed (`/calendrier.ics`) right after a change (a topic added between two requests, not
  timed): built from the records; and unchanged: the last build, sent again;
- a conditional request on the unchanged feed (If-None-Match): 304, nothing built;
- a brick's page and a meeting's page.

Sizes: `typical` is 200 meetings, 50 bricks (the 12 seeded + 38), 20 permanences; `large`
is 10,000 meetings and 500 bricks. Goals (issue 11): the board and the feed under 50 ms at
the typical size and under 300 ms at the large one; a 304 under 5 ms. Judged on the median; the CPU time (this process's: the
server and the client run in it) is printed beside, since on a shared machine the wall time
mostly measures the other work running.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402

from bench.bench_core import NOW, fill  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.config import Config, WebConfig  # noqa: E402
from bot.services import permanences as permanence_svc  # noqa: E402
from bot.web import WebServer  # noqa: E402
from storage.db import DatabaseThread, connect  # noqa: E402
from storage.store import Store  # noqa: E402

SIZES = {"typical": dict(meetings=200, bricks=38, history=8), "large": dict(meetings=10_000, bricks=488, history=20)}
GOALS = {"typical": {"board": 50.0, "feed": 50.0, "304": 5.0}, "large": {"board": 300.0, "feed": 300.0, "304": 5.0}}


def prepare(path: Path, size: dict) -> dict:
    db = connect(path)
    fill(db, size["meetings"], size["bricks"], size["history"], "years")
    store = Store(db)
    with db.atomic():
        for perm in store.permanences():
            # hosts on the next dates and a year of past ones, one date in six cancelled
            for k, when in enumerate(permanence_svc.occurrences(perm, NOW - timedelta(days=365), before=NOW + timedelta(days=60))):
                if k % 6 == 5:
                    store.cancel_occurrence(perm.id, when, "alice", NOW)
                else:
                    store.add_host(perm.id, when, f"user{k % 7}", NOW)
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("meetings", "bricks", "brick_history", "permanences", "permanence_hosts", "topics")}
    db.close()
    return counts


async def timed(session: aiohttp.ClientSession, url: str, repeats: int, before=None, **headers: str) -> dict:
    async def once() -> tuple[float, float, int, int]:
        if before is not None:
            await before()
        t0, c0 = time.perf_counter(), time.process_time()
        async with session.get(url, headers=headers) as r:
            body = await r.read()
        return (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000, r.status, len(body)

    await once()  # warm: templates, the zone's VTIMEZONE
    times, cpu, status, size = [], [], 0, 0
    for _ in range(repeats):
        ms, cpu_ms, status, size = await once()
        times.append(ms)
        cpu.append(cpu_ms)
    times.sort()
    cpu.sort()
    return {"median_ms": round(statistics.median(times), 2), "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 2),
            "max_ms": round(times[-1], 2), "cpu_median_ms": round(statistics.median(cpu), 2),
            "cpu_p99_ms": round(cpu[min(len(cpu) - 1, int(len(cpu) * 0.99))], 2), "status": status, "bytes": size}


async def run_size(name: str, repeats: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        counts = prepare(path, SIZES[name])
        fill_s = time.perf_counter() - t0
        config = Config(web=WebConfig(listen="127.0.0.1:0"))
        db = DatabaseThread(path)
        server = WebServer(config, db, ManualClock(NOW))
        await server.start()
        topic = [0]

        async def change() -> None:
            topic[0] += 1

            def add(d):
                with d.atomic():
                    Store(d).add_topic(f"Point {topic[0]}", "alice", "console", NOW)
            await db.run(add)

        try:
            async with aiohttp.ClientSession() as session:
                base = server.url
                async with session.get(base + "/calendrier.ics") as r:
                    etag = r.headers["ETag"]
                results = {
                    "board": await timed(session, base + "/", repeats),
                    "feed, after a change": await timed(session, base + "/calendrier.ics", repeats, before=change),
                    "feed, unchanged": await timed(session, base + "/calendrier.ics", repeats),
                }
                async with session.get(base + "/calendrier.ics") as r:
                    etag = r.headers["ETag"]
                results["304 (If-None-Match)"] = await timed(session, base + "/calendrier.ics", repeats * 3,
                                                             **{"If-None-Match": etag})
                results["a brick's page"] = await timed(session, base + "/briques/20", repeats)
                results["a meeting's page"] = await timed(session, base + "/reunions/150", repeats)
        finally:
            await server.stop()
            db.close()
    return {"counts": counts, "fill_s": round(fill_s, 1), "results": results}


def verdict(name: str, what: str, r: dict) -> str:
    goal = GOALS[name]["304" if what.startswith("304") else "feed" if what.startswith("feed") else "board" if what == "board" else ""] \
        if what.startswith(("304", "feed", "board")) else None
    if goal is None:
        return ""
    return "ok" if r["median_ms"] < goal else f"OVER {goal:.0f} ms"


async def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--sizes", default="typical,large")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from bot.when import warm_up

    warm_up()
    report, ok = {}, True
    for name in args.sizes.split(","):
        report[name] = out = await run_size(name, args.repeats)
        if not args.json:
            print(f"[{name}] {out['counts']} (filled in {out['fill_s']} s; load average {os.getloadavg()[0]:.1f})")
            for what, r in out["results"].items():
                v = verdict(name, what, r)
                ok = ok and not v.startswith("OVER")
                print(f"  {what:22} median {r['median_ms']:8.2f} ms   p99 {r['p99_ms']:8.2f} ms   "
                      f"CPU median {r['cpu_median_ms']:7.2f} ms   p99 {r['cpu_p99_ms']:7.2f} ms   {r['bytes']:>8} bytes   {v}")
    if args.json:
        print(json.dumps(report, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
