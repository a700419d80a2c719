"""Arbitrary text and bytes through the command line's own entry (`bot.cli.main`, in this
process so that many examples run): the console piped any input, `when` given any text.
Whatever comes in, the command ends normally, answers, and nothing is logged with a
traceback."""
from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.cli import main
from commands.registry import REGISTRY

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NOW = "2026-12-01T10:00:00+01:00"

WORDS = sorted({" ".join(w) for c in REGISTRY.commands for w in (c.fr, c.en)})
PIECES = st.sampled_from(["vendredi 19h", "tous les mardis 17h-19h", "17/12", "n°1", "1", " ; ", ";", "?", "é",
                          "\u200b", "\t", "\r", "@room", "<b>", "99999999999", "/avance", "/advance", "!"])
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=15)), max_size=6).map("".join)
LINE = st.one_of(
    st.builds(lambda w, rest: f"!{w} {rest}", st.sampled_from(WORDS), TEXT),
    st.builds(lambda rest: f"/avance {rest}", TEXT),
    TEXT,
)
# Lines as bytes: text in UTF-8, or any bytes at all (not UTF-8, NUL, a lone CR...).
RAW_LINE = st.one_of(LINE.map(lambda s: s.replace("\n", " ").encode("utf-8", "surrogatepass")), st.binary(max_size=30))
INPUT = st.lists(RAW_LINE, max_size=5).map(lambda lines: b"\n".join(lines) + b"\n")


class Traces(logging.Handler):
    """Every log record at ERROR or with a traceback: there must be none."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.bad: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.bad.append(self.format(record) + (logging.Formatter().formatException(record.exc_info)
                                                   if record.exc_info else ""))


@contextlib.contextmanager
def command_line(stdin: bytes):
    """stdin, stdout and stderr of a command, and the log records with a traceback."""
    traces = Traces()
    root = logging.getLogger()
    root.addHandler(traces)
    nio_level = logging.getLogger("nio").level  # the command line quietens it; other tests read it
    saved = sys.stdin, sys.stdout, sys.stderr
    out, err = io.StringIO(), io.StringIO()
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err, traces
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        root.removeHandler(traces)
        logging.getLogger("nio").setLevel(nio_level)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    """One database for every example: what they add piles up, as in a real one."""
    return tmp_path_factory.mktemp("no-traceback") / "chambre.db"


@SETTINGS
@given(stdin=INPUT)
@example(stdin=b"\xff\xfe\n!odj ajouter caf\xe9\n!brique voir \x00\x81\n\r\n!aide\n")
@example(stdin="/avance 99999999999 jours\n!quand dans 9999999999 jours\n!quand pendant 99999 heures\n"
               "!réunion proposer 31 décembre 9999 23h-minuit ; x\n!réunion proposer le 1er janvier 9999 ; y\n"
               "!permanence ajouter toutes les 99999999999 semaines ; z\n".encode())
def test_console_with_any_input(database: Path, stdin: bytes):
    with command_line(stdin) as (out, err, traces):
        status = main(["console", "--db", str(database), "--now", NOW, "--user", "alice"])
    assert status == 0, err.getvalue()
    assert not traces.bad, "\n".join(traces.bad)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    commands = [line for line in stdin.split(b"\n") if line.strip().startswith(b"!") and line.strip()[1:2].isalpha()]
    if commands:
        assert out.getvalue().strip(), "commands and no answer"


@SETTINGS
@given(text=st.one_of(TEXT, st.text(max_size=60)), recurring=st.booleans())
@example(text="dans 9999999999 jours", recurring=False)
@example(text="31 décembre 9999 23h-minuit", recurring=False)
@example(text="01/01/0099 18h", recurring=False)
@example(text="toutes les 99999999999 semaines", recurring=True)
def test_when_with_any_text(text: str, recurring: bool):
    args = ["when", "--now", NOW, *(["--recurring"] if recurring else []), "--", text]
    with command_line(b"") as (out, err, traces):
        status = main(args)
    assert status in (0, 1) and not traces.bad, err.getvalue()
    answer = json.loads(out.getvalue())
    assert ("error" in answer) == (status == 1)
    assert "Traceback" not in err.getvalue()
