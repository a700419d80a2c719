"""QA held-out set: other phrasings of the TIME.md rules, written from the spec alone.

Each line of heldout_qa.jsonl goes through `chambre-bot when` (bot.when.run_when_cli) and is
classed as:

- right:   the expected reading, or a refusal where an error is expected;
- refused: an error where a reading was expected (costs a retyped line);
- WRONG:   a reading that differs from the expected one, or any reading where an error is
           expected (a wrong date is the worst failure the bot can have).

The set must give no WRONG answer at all and at least 97% right.
Run `python tests/when/test_heldout_qa.py` for the full report.
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from bot.when import run_when_cli

HERE = Path(__file__).resolve().parent
LINES = [json.loads(line) for line in
         (HERE / "heldout_qa.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def run(line: dict) -> tuple[int, dict]:
    argv = ["--now", line["now"], "--tz", "Europe/Paris"]
    if line["kind"] == "recurring":
        argv.append("--recurring")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = run_when_cli([*argv, line["text"]])
    return code, json.loads(buf.getvalue())


def judge(line: dict) -> tuple[str, dict]:
    code, out = run(line)
    expect = line["expect"]
    if expect == "error":
        return ("right" if code == 1 and out.get("error") else "WRONG"), out
    if code != 0:
        return "refused", out
    if line["kind"] == "recurring":
        got = {"occurrences": out.get("occurrences"),
               "duration_minutes": out.get("duration_minutes")}
    else:
        got = out
    return ("right" if got == expect else "WRONG"), out


def report() -> dict[str, list[tuple[dict, dict]]]:
    classes: dict[str, list[tuple[dict, dict]]] = {"right": [], "refused": [], "WRONG": []}
    for line in LINES:
        verdict, out = judge(line)
        classes[verdict].append((line, out))
    return classes


def summary(classes: dict[str, list[tuple[dict, dict]]]) -> str:
    total = sum(len(v) for v in classes.values())
    head = (f"{total} lines: right {len(classes['right'])}, refused {len(classes['refused'])}, "
            f"WRONG {len(classes['WRONG'])} ({100 * len(classes['right']) / total:.1f}% right)")
    rows = [head]
    for verdict in ("WRONG", "refused"):
        for line, out in classes[verdict]:
            rows.append(f"  {verdict:7} now={line['now']} {line['kind']:9} {line['text']!r}\n"
                        f"          expected {json.dumps(line['expect'], ensure_ascii=False)}\n"
                        f"          got      {json.dumps(out, ensure_ascii=False)}")
    return "\n".join(rows)


def test_the_set_is_large_and_varied() -> None:
    assert len(LINES) >= 150
    assert len({line["now"] for line in LINES}) >= 2
    assert {line["kind"] for line in LINES} == {"event", "recurring"}
    assert len({(line["now"], line["text"]) for line in LINES}) == len(LINES)


def test_heldout_qa_no_wrong_answer_and_97_percent_right() -> None:
    classes = report()
    text = summary(classes)
    print(text)
    assert not classes["WRONG"], text
    assert len(classes["right"]) >= 0.97 * len(LINES), text


if __name__ == "__main__":
    print(summary(report()))
