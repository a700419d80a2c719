"""Core benchmark: `!agenda`, `!brique liste`, the scheduler looking again after a command,
and the JSON export, on a large Chambre.

    .venv/bin/python bench/bench_core.py [--meetings 10000] [--bricks 500] [--history 20] [--repeats 50]

Builds a SQLite file (in a temporary directory) holding `--meetings` meetings (a quarter with
RSVPs, some cancelled, some still to organise), 20 permanences, 200 topics, a rhythm, and
`--bricks` bricks with `--history` history entries and two links each; then times each
operation as it runs in the bot (a command through the dispatcher, in a transaction, on the
database thread's connection; the export as `chambre-bot export` reads it) and reports the
median, p99 and max over `--repeats` runs, in wall time and in CPU time (this machine is
shared: the CPU time says what the operation costs, the wall time what a member waited).
The bars: a command or the scheduler's look under 50 ms, the export under one second.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import Config  # noqa: E402
from bot.export import export_json_text  # noqa: E402
from bot.scheduler import MAX_SLEEP, plan  # noqa: E402
from commands.context import Context  # noqa: E402
from commands.dispatcher import dispatch  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.store import Store, iso  # noqa: E402

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
COMMAND_BAR_MS = 50.0
EXPORT_BAR_MS = 1000.0


def fill(db, meetings: int, bricks: int, history: int, shape: str = "years") -> None:
    """`years`: a long-lived group: meetings over twenty years up to three months ahead, past
    ones confirmed or cancelled, history spread over five years, most topics done.
    `stress`: everything crammed around now: meetings over +-2 years with 30 % of them still
    proposals, every brick move in the last three weeks, 200 open topics."""
    rnd = random.Random(7)
    at = iso(NOW - timedelta(days=30))
    stress = shape == "stress"
    with db.atomic():
        rows = []
        for n in range(1, meetings + 1):
            if stress:
                start = NOW + timedelta(days=rnd.uniform(-730, 730))
                status = rnd.choices(["proposed", "confirmed", "cancelled"], [3, 6, 1])[0]
            else:
                start = NOW + timedelta(days=rnd.uniform(-7300, 90))
                status = rnd.choices(["confirmed", "cancelled"], [85, 15])[0] if start < NOW else \
                    rnd.choices(["proposed", "confirmed", "cancelled"], [3, 6, 1])[0]
            if n % (50 if stress else 500) == 0:
                rows.append((n, f"Réunion {n}", None, None, 0, None, "proposed", f"user{n % 40}", "console", None, at, at))
            else:
                rows.append((n, f"Réunion {n}", iso(start), iso(start + timedelta(hours=2)), 0, f"Salle {n % 12}", status,
                             f"user{n % 40}", "console", None, at, at))
        db.conn.executemany('INSERT INTO meetings (id, title, start, "end", all_day, place, status, proposed_by, room,'
                            " cancel_reason, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        rsvps = [(n, f"user{k}", rnd.choice(["yes", "no", "maybe"]), at)
                 for n in range(1, meetings + 1) if n % 4 == 0 for k in range(rnd.randint(1, 6))]
        db.conn.executemany("INSERT OR IGNORE INTO rsvps VALUES (?,?,?,?)", rsvps)
        store = Store(db)
        for k in range(20):
            day = ["MO", "TU", "WE", "TH", "FR"][k % 5]
            store.add_permanence(f"Permanence {k}", "Tiers-lieu", f"FREQ=WEEKLY;BYDAY={day}",
                                 datetime(2026, 1, 5 + k % 5, 17, tzinfo=timezone(timedelta(hours=1))),
                                 "Europe/Paris", 120, "alice", "console", NOW)
        for k in range(200):
            topic = store.add_topic(f"Point {k}", f"user{k % 9}", "console", NOW)
            if not stress and k < 185:
                store.mark_topic_done(topic.id, "alice", NOW)
        db.execute("INSERT INTO rhythm (id, rrule, dtstart, tz, duration_minutes, place, text, set_by, set_at) VALUES (1, 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TH', '2026-12-03T18:00:00+01:00',"
                   " 'Europe/Paris', 120, 'MESHS', 'un jeudi sur deux à 18h', 'alice', ?)", [at])
        first = db.execute("SELECT coalesce(max(id), 0) FROM bricks").fetchone()[0] + 1
        statuses = ["idea", "described", "recipe", "building", "exists", "paused", "dropped"]
        brick_rows, links, hist = [], [], []
        for n in range(first, first + bricks):
            brick_rows.append((n, f"Brique {n}", rnd.choice(["brick", "brick", "infrastructure", "topic"]),
                               rnd.choice(statuses), "Une description " * 5, f"user{n % 30}", at, at))
            links += [(n, f"https://pad.example.org/{n}/{j}", f"pad {j}", "alice", at) for j in range(2)]
            span = 1 if stress else 90  # days between two entries: 20 days or five years of history
            hist += [(n, iso(NOW - timedelta(days=span * (history - j) + rnd.random())), f"user{j}", "status" if j % 3 else "note",
                      rnd.choice(statuses), f"note {j}") for j in range(history)]
        db.conn.executemany("INSERT INTO bricks (id, name, category, status, description, lead, created_at, updated_at)"
                            " VALUES (?,?,?,?,?,?,?,?)", brick_rows)
        db.conn.executemany("INSERT INTO brick_links (brick_id, url, label, added_by, at) VALUES (?,?,?,?,?)", links)
        db.conn.executemany("INSERT INTO brick_history (brick_id, at, by, change, status, note) VALUES (?,?,?,?,?,?)", hist)
        # a journal as busy as the records: a status change per history entry in the last weeks
        db.conn.executemany("INSERT INTO journal (at, kind, record_id, by, data) VALUES (?, 'brick.status', ?, ?, ?)",
                            [(h[1], h[0], h[2], json.dumps({"name": f"Brique {h[0]}", "before": "idea", "status": h[4]}))
                             for h in hist[::4]])
    db.execute("ANALYZE")


def measure(fn, repeats: int, bar_ms: float) -> dict:
    fn()  # warm: caches, zone data
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)

    def p99(values: list[float]) -> float:
        return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]

    return {"median_ms": statistics.median(wall), "p99_ms": p99(wall), "max_ms": max(wall),
            "cpu_median_ms": statistics.median(cpu), "cpu_p99_ms": p99(cpu), "bar_ms": bar_ms}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meetings", type=int, default=10_000)
    ap.add_argument("--bricks", type=int, default=500)
    ap.add_argument("--history", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--shape", choices=("years", "stress", "both"), default="both")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args(argv)

    from bot.when import warm_up

    warm_up()
    shapes = ("years", "stress") if args.shape == "both" else (args.shape,)
    report, ok = {}, True
    for shape in shapes:
        results, sizes, fill_s = run_shape(shape, args)
        report[shape] = {"results": results, "sizes": sizes, "fill_s": fill_s}
        ok = ok and all(r["p99_ms"] < r["bar_ms"] for r in results.values())
        if not args.json:
            print(f"[{shape}] {args.meetings} meetings, {args.bricks} bricks x {args.history} history entries"
                  f" (filled in {fill_s:.1f} s)")
            for name, r in results.items():
                verdict = "ok" if r["p99_ms"] < r["bar_ms"] else f"OVER {r['bar_ms']:.0f} ms"
                print(f"  {name:18} median {r['median_ms']:7.1f} ms   p99 {r['p99_ms']:7.1f} ms   max {r['max_ms']:7.1f} ms"
                      f"   CPU median {r['cpu_median_ms']:7.1f} ms  p99 {r['cpu_p99_ms']:7.1f} ms   {verdict}")
            print(f"  sizes: {sizes}")
    if args.json:
        print(json.dumps(report, indent=2))
    return 0 if ok else 1


def run_shape(shape: str, args) -> tuple[dict, dict, float]:
    config = Config()
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        fill(db, args.meetings, args.bricks, args.history, shape)
        fill_s = time.perf_counter() - t0
        store = Store(db)

        def command(text: str):
            def run():
                ctx = Context(store=store, config=config, now=NOW, lang="fr", sender="alice", room="console",
                              backend="console", is_organiser=True)
                with db.atomic():
                    reply = dispatch(ctx, text)
                reply.to_json()  # what goes into the outbox
                return reply
            return run

        def export():
            # The records as `chambre-bot export` reads them (one read transaction), as JSON text.
            with db.snapshot():
                return export_json_text(store, config)

        def look_again():
            # What the App costs the scheduler after each command: the posts due in the next
            # hour, planned from the records (the scheduler's _next_due).
            with db.atomic():
                return plan(store, config, NOW, NOW + MAX_SLEEP, ["!room"], ["!room"], ["alice", "bob"])

        sizes = {"agenda_chars": len(command("!agenda")().plain()), "brick_list_chars": len(command("!brique liste")().plain()),
                 "export_bytes": len(export().encode())}
        results = {
            "!agenda": measure(command("!agenda"), args.repeats, COMMAND_BAR_MS),
            "!brique liste": measure(command("!brique liste"), args.repeats, COMMAND_BAR_MS),
            "scheduler look": measure(look_again, args.repeats, COMMAND_BAR_MS),
            "export (JSON)": measure(export, max(5, args.repeats // 5), EXPORT_BAR_MS),
        }
        db.close()
    return results, sizes, fill_s


if __name__ == "__main__":
    sys.exit(main())
