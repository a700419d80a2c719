"""How fast the bot reads a date: start-up (import, warm_up, and within warm_up the loading of
dateparser's French and English data), the first reading after it, and p50/p99 over a few
thousand readings of a mix of events, recurrences and refusals.

    python -m bench.bench_when        or        python bench/bench_when.py
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

T0 = time.perf_counter()
from bot.when import (WhenError, read_event, read_recurrence, warm_up)  # noqa: E402
from bot.when.lexicon import load_calendar_names  # noqa: E402
from bot.when.scan import looks_recurring  # noqa: E402

IMPORT_S = time.perf_counter() - T0

MIX = [
    "jeudi 18h", "le 27 avril à 14h", "dans quinze jours", "samedi 10h-12h",
    "le 20 mai à 19h pendant 3h", "mar. 6 avr. 14h", "12/06/2027 10:00", "demain 9h",
    "tomorrow at 9am", "april 6 at 2:30pm", "saturday 10am-12pm", "in three weeks at 10am",
    "entre 9h et 11h vendredi", "le 28 mars à 3h15", "15 septembre", "midi et quart",
    "un jeudi sur deux de 18h à 20h", "tous les mardis 17h-19h",
    "le premier mardi du mois à 20h", "chaque semaine le mardi et le vendredi à 9h",
    "tous les mercredis à 18h jusqu'au 14 avril", "every other friday at noon",
    "last thursday of the month at 6pm",
    "la semaine prochaine", "lundi 6 avril 14h", "jeudi 18h chez Paul", "tous les mardis",
]


def read(text: str, now: datetime) -> None:
    try:
        if looks_recurring(text):
            read_recurrence(text, now).to_json()
        else:
            read_event(text, now).to_json()
    except WhenError as err:
        str(err)


def main(n: int = 5000) -> dict[str, float]:
    now = datetime(2027, 3, 24, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    dateparser_loaded = "dateparser" in sys.modules  # False: importing bot.when does not load it
    t = time.perf_counter()
    load_calendar_names()  # what warm_up() does first: dateparser's data, the names built from it
    names_s = time.perf_counter() - t
    warm_up()
    warm_s = time.perf_counter() - t
    # the first reading after warm_up, of an expression warm_up did not read
    t = time.perf_counter()
    read("vendredi 3 décembre de 18h30 à 20h", now)
    first_ms = (time.perf_counter() - t) * 1000
    rng = random.Random(7)
    times, cpu = [], []
    for _ in range(n):
        text = rng.choice(MIX)
        c = time.thread_time()
        t = time.perf_counter()
        read(text, now)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    times.sort()
    cpu.sort()
    # the next dates of a rule begun long ago ("tous les jours à 8h à partir du 1er janvier
    # 1900", accepted: it only sets the phase), as every agenda and scheduler pass reads them
    old = read_recurrence("tous les jours à 8h à partir du 1er janvier 1900", now)
    old_times = []
    for _ in range(200):
        t = time.perf_counter()
        old.occurrences(now, count=4)
        old_times.append((time.perf_counter() - t) * 1000)
    old_times.sort()
    result = {
        "import_ms": IMPORT_S * 1000, "dateparser_at_import": dateparser_loaded,
        "warm_up_ms": warm_s * 1000, "dateparser_ms": names_s * 1000, "first_ms": first_ms,
        "p50_ms": statistics.median(times), "p99_ms": times[int(len(times) * 0.99) - 1],
        "max_ms": times[-1],
        # CPU time of this thread: what the reading costs, without the waits for a busy machine
        "cpu_p50_ms": statistics.median(cpu), "cpu_p99_ms": cpu[int(len(cpu) * 0.99) - 1],
        "readings": n,
        "old_rule_p50_ms": statistics.median(old_times),
        "old_rule_max_ms": old_times[-1],
    }
    for key, value in result.items():
        print(f"{key:>20}: {value:.3f}" if isinstance(value, float) else f"{key:>20}: {value}")
    return result


if __name__ == "__main__":
    main()
