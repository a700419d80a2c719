"""The layers hold: SQL is written in storage/ only. A test that fails when a string literal
in bot/ or commands/ reads as SQL, so that a query cannot creep back above the store."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What SQL looks like in a string, and prose in either language does not: a keyword followed
# by what only SQL puts after it.
SQL = re.compile(
    r"\bselect\b.+\bfrom\b|\binsert\s+(or\s+\w+\s+)?into\b|\bupdate\s+\S+\s+set\b|\bdelete\s+from\b"
    r"|\b(create|drop|alter)\s+(table|index|trigger|view)\b|\bpragma\s+\w+"
    r"|\bwhere\s+\S+\s*(=|!=|<>|<|>|\bin\b|\bis\b|\blike\b)|\S\s*(=|!=|<>|<=|>=|<|>)\s*\?"
    r"|\border\s+by\b|\bgroup\s+by\b|\bis\s+(not\s+)?null\b|\bcoalesce\s*\(",
    re.IGNORECASE | re.DOTALL,
)
# Files that may hold SQL-looking text for another reason, each with why. Empty: keep it so.
ALLOWED: dict[str, str] = {}


def literals(path: Path) -> list[tuple[int, str]]:
    """The string literals of a module (f-strings by their literal parts), docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            found.append((node.lineno, text))
    return found


def sql_in(path: Path) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line}: {text[:80]!r}" for line, text in literals(path) if SQL.search(text)]


@pytest.mark.parametrize("text", [
    "SELECT * FROM meetings WHERE id = ?", "status != 'cancelled' AND start IS NULL", "brick = ?",
    'UPDATE bricks SET "lead" = ?', "INSERT OR IGNORE INTO rsvps VALUES (?)", "delete from topics",
    "ORDER BY start", "coalesce(\"end\", start) >= ?", "PRAGMA journal_mode", "CREATE TABLE x (y)",
])
def test_the_detector_sees_sql(text: str) -> None:
    assert SQL.search(text)


@pytest.mark.parametrize("text", [
    "Pas de réunion n°{n}.", "Who may confirm? Organisers.", "the order in which they came",
    "Refused: only organisers and the person who proposed it ({who}) may change meeting #{n}.",
    "la brique « {name} » est déjà à ce statut.", "where it exists",
])
def test_the_detector_leaves_prose_alone(text: str) -> None:
    assert not SQL.search(text)


def test_no_sql_outside_storage() -> None:
    files = sorted(p for top in ("bot", "commands") for p in (ROOT / top).rglob("*.py"))
    assert files
    found = [hit for path in files if str(path.relative_to(ROOT)) not in ALLOWED for hit in sql_in(path)]
    assert not found, "SQL belongs in storage/ (a named Store method):\n" + "\n".join(found)


def test_storage_is_seen_to_hold_sql() -> None:
    """The scan reads what it should: the store itself is full of SQL."""
    assert len(sql_in(ROOT / "storage" / "store.py")) > 20
