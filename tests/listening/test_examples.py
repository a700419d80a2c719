"""Every example of the shared listening_examples.jsonl (the repository's copy), through the
installed `chambre-bot notice` command."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.core.conftest import run_cli
from tests.listening.support import HERE, Verdict, argv, load
from tests.support import shared_spec

EXAMPLES = load("listening_examples.jsonl")


@pytest.fixture(scope="module")
def answers() -> list[dict]:
    """Each example through its own `chambre-bot notice` process (two at a time)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        procs = list(pool.map(lambda line: run_cli(*argv(line)), EXAMPLES))
    return [json.loads(proc.stdout) for proc in procs]


@pytest.mark.parametrize("index", range(len(EXAMPLES)), ids=[e["text"][:60] for e in EXAMPLES])
def test_example(index: int, answers: list[dict]) -> None:
    line, got = EXAMPLES[index], answers[index]
    assert Verdict.of(line, got).right, (line["expect"], got)
    if got:
        record = next(iter(got.values()))
        assert record["title"] and len(record["title"]) <= 80


def test_the_copy_matches_the_shared_file() -> None:
    assert (HERE / "listening_examples.jsonl").read_text(encoding="utf-8") == \
        shared_spec("listening_examples.jsonl").read_text(encoding="utf-8")
