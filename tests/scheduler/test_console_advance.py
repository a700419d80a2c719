"""`/avance` (`/advance`) moves the console's clock as a member counts: a day is a day on the
wall clock of the configured zone, so that across a change of summer time `/avance 1 jour`
at 09:00 lands at 09:00 (23 or 25 hours later), while hours are hours of elapsed time."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.backends.console import ConsoleBackend
from bot.clock import ManualClock

PARIS = ZoneInfo("Europe/Paris")


async def advance(start: datetime, *lines: str, lang: str = "fr") -> tuple[datetime, str]:
    clock = ManualClock(start)
    out = io.StringIO()
    console = ConsoleBackend("alice", clock, stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
                             stdout=out, lang=lang, tz=PARIS)

    async def deliver(msg) -> None:
        raise AssertionError(f"not a command: {msg.text}")

    await console.run(deliver)
    return clock.now().astimezone(PARIS), out.getvalue()


@pytest.mark.parametrize("start,line,end", [
    # spring: Saturday 27 March 2027 09:00 (+01:00) to Sunday 28 March 09:00 (+02:00): 23 hours
    (datetime(2027, 3, 27, 9, tzinfo=PARIS), "/avance 1 jour", datetime(2027, 3, 28, 9, tzinfo=PARIS)),
    (datetime(2027, 3, 25, 9, tzinfo=PARIS), "/avance 3 jours", datetime(2027, 3, 28, 9, tzinfo=PARIS)),
    (datetime(2027, 3, 27, 9, tzinfo=PARIS), "/advance 1 week", datetime(2027, 4, 3, 9, tzinfo=PARIS)),
    # autumn: Saturday 30 October 2027 09:00 (+02:00) to Sunday 31 October 09:00 (+01:00): 25 hours
    (datetime(2027, 10, 30, 9, tzinfo=PARIS), "/avance 1 jour", datetime(2027, 10, 31, 9, tzinfo=PARIS)),
    # hours are elapsed time: 24 hours from Saturday 09:00 is Sunday 10:00 in summer time
    (datetime(2027, 3, 27, 9, tzinfo=PARIS), "/avance 24 heures", datetime(2027, 3, 28, 10, tzinfo=PARIS)),
    # no change of time: 3 days are 72 hours
    (datetime(2026, 12, 1, 8, tzinfo=PARIS), "/avance 3 jours", datetime(2026, 12, 4, 8, tzinfo=PARIS)),
    # a wall time the spring change skips moves on by the gap, as recurrences do
    (datetime(2027, 3, 27, 2, 30, tzinfo=PARIS), "/avance 1 jour", datetime(2027, 3, 28, 3, 30, tzinfo=PARIS)),
])
async def test_a_day_is_a_day_on_the_wall_clock(start: datetime, line: str, end: datetime) -> None:
    now, _ = await advance(start, line)
    assert now == end
    assert now.utcoffset() == end.utcoffset()


async def test_the_console_says_where_the_clock_is_and_refuses_what_it_cannot_do() -> None:
    now, out = await advance(datetime(2027, 3, 27, 9, tzinfo=PARIS), "/avance 1 jour", "/avance 2 ans",
                             "/avance 9999999999 jours", "/avance 400 jours")
    assert now == datetime(2027, 3, 28, 9, tzinfo=PARIS)
    lines = out.splitlines()
    assert lines[0] == "Horloge : dimanche 28 mars 2027, 09:00"
    assert lines[1].startswith("Usage : /avance 3 jours (ou 2 heures, 30 minutes).")
    assert lines[2].startswith("Usage : /avance 3 jours") and "plus de dix ans" in lines[2]
    assert lines[3] == "Avancez d'une durée entre une minute et un an."
    _, out = await advance(datetime(2027, 3, 27, 9, tzinfo=PARIS), "/advance 1 day", lang="en")
    assert out.splitlines()[0] == "Clock: Sunday 28 March 2027, 09:00"


def test_a_console_session_across_the_spring_change(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--now", "2027-03-27T09:00", "--db", str(tmp_path / "c.db")],
        input="/avance 1 jour\n!quand dans 1 heure\n", capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env={**env, "PYTHONPATH": str(Path.cwd())})
    assert done.returncode == 0, done.stderr
    assert "Horloge : dimanche 28 mars 2027, 09:00" in done.stdout
    assert "Je comprends : dimanche 28 mars 2027, 10:00" in done.stdout, done.stdout
