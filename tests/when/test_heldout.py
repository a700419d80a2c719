"""Held-out phrasings (tests/when/heldout.jsonl): other words, another reference time (two
days before the autumn change of 2027), written from the rules and not from the examples.
At least 97% must be read right, and none may be read wrong: a refusal is not right, but it
is not wrong either."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from bot.when import WhenError, read_event, read_recurrence
from bot.when.scan import looks_recurring

CASES = [json.loads(line) for line in
         (Path(__file__).parent / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]


def answer(case: dict):
    now = datetime.fromisoformat(case["now"])
    try:
        if case["kind"] == "recurring" or looks_recurring(case["text"]):
            rec = read_recurrence(case["text"], now, "Europe/Paris")
            return {"occurrences": [o.isoformat() for o in rec.occurrences(now, count=4)],
                    "duration_minutes": rec.to_json()["duration_minutes"]}
        return read_event(case["text"], now, "Europe/Paris").to_json()
    except WhenError:
        return "error"


def test_heldout_score() -> None:
    assert len(CASES) >= 60
    right, wrong, refused = 0, [], []
    for case in CASES:
        got = answer(case)
        if got == case["expect"]:
            right += 1
        elif got == "error":
            refused.append(case["text"])
        else:
            wrong.append((case["text"], got, case["expect"]))
    assert wrong == [], wrong
    assert right / len(CASES) >= 0.97, refused
