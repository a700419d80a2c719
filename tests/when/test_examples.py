"""Every worked example of TIME.md, through the `chambre-bot when` command line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.when import run_when_cli
from tests.support import shared_spec

HERE = Path(__file__).resolve().parent
# The repository's copy of the shared examples; test_the_copy_matches_the_shared_file keeps it so.
EXAMPLES = [json.loads(line) for line in (HERE / "time_examples.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def when(capsys, *argv: str) -> tuple[int, dict]:
    code = run_when_cli(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["text"] for e in EXAMPLES])
def test_example(example: dict, capsys) -> None:
    argv = ["--now", example["now"], "--tz", "Europe/Paris"]
    if example["kind"] == "recurring":
        argv.append("--recurring")
    code, out = when(capsys, *argv, example["text"])
    if example["expect"] == "error":
        assert code == 1, out
        assert set(out) == {"error"} and out["error"]
        return
    assert code == 0, out
    if example["kind"] == "recurring":
        assert out["occurrences"] == example["expect"]["occurrences"]
        assert out["duration_minutes"] == example["expect"]["duration_minutes"]
        assert out["rrule"].startswith("FREQ=")
    else:
        assert out == example["expect"]


def test_the_copy_matches_the_shared_file() -> None:
    assert (HERE / "time_examples.jsonl").read_text(encoding="utf-8") == \
        shared_spec("time_examples.jsonl").read_text(encoding="utf-8")


def test_words_in_several_arguments_are_joined(capsys) -> None:
    code, out = when(capsys, "--now", "2027-03-24T10:00:00+01:00", "vendredi", "19h")
    assert code == 0
    assert out == {"start": "2027-03-26T19:00:00+01:00", "end": None}


def test_a_recurrence_is_recognised_without_the_flag(capsys) -> None:
    code, out = when(capsys, "--now", "2027-03-24T10:00:00+01:00", "tous les jeudis à 18h")
    assert code == 0
    assert out["rrule"] == "FREQ=WEEKLY;BYDAY=TH"
    assert out["occurrences"][0] == "2027-03-25T18:00:00+01:00"


def test_the_zone_comes_from_the_environment(capsys, monkeypatch) -> None:
    monkeypatch.setenv("CHAMBRE_TIMEZONE", "America/Montreal")
    code, out = when(capsys, "--now", "2027-03-24T10:00:00-04:00", "demain 9h")
    assert code == 0
    assert out["start"] == "2027-03-25T09:00:00-04:00"


@pytest.mark.parametrize("now", ["9995-01-01T10:00", "0001-01-01T10:00", "demain"])
def test_a_reference_time_out_of_range_is_refused(capsys, now: str) -> None:
    code, out = when(capsys, "--now", now, "jeudi 18h")
    assert code == 1 and "--now" in out["error"]
