"""The project's own table (tests/listening/table.jsonl, written by make_table.py beside it):
every line through `chambre-bot notice` (its entry point, in this process: 250 processes
would take minutes), with the place and the title where the line gives them."""
from __future__ import annotations

import importlib.util
import json
from datetime import datetime

import pytest

from bot.cli import main
from bot.when import WhenError, read_event
from tests.listening.support import HERE, Verdict, argv, load

TABLE = load("table.jsonl")


def time_layer_has(rule: str) -> bool:
    """Whether bot/when applies a TIME.md rule a line depends on (being added in parallel)."""
    probes = {"90-day": ("le 20 mars à 10h", "2027-03-24T10:00:00+01:00"),
              "ten-years": ("le 1er janvier 2099 à 10h", "2027-03-24T10:00:00+01:00")}
    text, now = probes[rule]
    try:
        read_event(text, datetime.fromisoformat(now))
    except WhenError:
        return True
    return False


def notice_cli(capsys, line: dict) -> dict:
    assert main(argv(line)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("line", TABLE, ids=[line["text"][:60] for line in TABLE])
def test_line(line: dict, capsys) -> None:
    if line.get("needs") and not time_layer_has(line["needs"]):
        pytest.skip(f"bot/when does not apply TIME.md's {line['needs']} rule yet")
    got = notice_cli(capsys, line)
    assert Verdict.of(line, got).right, (line["expect"], got)
    if got:
        record = next(iter(got.values()))
        assert record["title"] and len(record["title"]) <= 80


def test_the_table_is_large_and_mixed() -> None:
    proposals = [line for line in TABLE if line["expect"]]
    assert len(TABLE) >= 200
    assert len(proposals) >= 100 and len(TABLE) - len(proposals) >= 80
    assert sum("permanence" in line["expect"] for line in TABLE) >= 15
    english = [line for line in TABLE if line["text"].lower().startswith(
        ("let", "who", "how", "shall", "meeting", "workshop", "i ", "we", "anyone"))]
    assert len(english) >= 15


@pytest.mark.parametrize("name", ["table", "heldout", "heldout_hard"])
def test_each_file_is_what_its_script_writes(name: str) -> None:
    script = "make_table.py" if name == "table" else f"make_{name}.py"
    spec = importlib.util.spec_from_file_location(f"make_{name}", HERE / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines = getattr(module, "TABLE", None) or module.CASES
    written = [json.dumps(line, ensure_ascii=False) for line in lines]
    assert (HERE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() == written
