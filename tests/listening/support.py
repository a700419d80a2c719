"""Reading the listening tables and checking one line, as the tests and their scores do."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
# the fields that make a record's date: a difference there is a wrong date
DATE_FIELDS = {"meeting": ("start", "end"), "permanence": ("rrule", "first", "duration_minutes")}


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def argv(line: dict) -> list[str]:
    """`chambre-bot notice` arguments for one line of a table."""
    args = ["notice", "--now", line["now"], "--tz", "Europe/Paris"]
    for place in line.get("places", ()):
        args += ["--place", place]
    return [*args, "--", line["text"]]


@dataclass(frozen=True)
class Verdict:
    right: bool          # what was expected (nothing, or the record with every field given)
    recorded: bool       # something was recorded
    wrong_date: bool     # a record of the expected kind, on another date
    expected_record: bool

    @classmethod
    def of(cls, line: dict, got: dict) -> "Verdict":
        expect = line["expect"]
        if not expect:
            return cls(got == {}, bool(got), False, False)
        kind = next(iter(expect))
        if kind not in got:
            return cls(False, bool(got), bool(got), True)
        right = all(got[kind].get(field) == value for field, value in expect[kind].items())
        wrong_date = any(got[kind].get(f) != expect[kind].get(f) for f in DATE_FIELDS[kind])
        return cls(right, True, wrong_date, True)
