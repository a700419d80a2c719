"""The layers hold.

- SQL is written in storage/ only: a string literal in bot/ or commands/ that reads as SQL
  fails, so that a query cannot creep back above the store.
- The packages import each other one way: no cycle between bot's sub-packages and top-level
  modules, commands and storage; neither the services nor storage import commands; neither
  the services nor the commands import a chat backend."""
from __future__ import annotations

import ast
import functools
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


def connection_calls(path: Path) -> list[str]:
    """Calls that run SQL on a connection (`db.execute`, `store.db.conn`, sqlite-utils'
    `db.query`): only storage/ makes them."""
    calls = {"execute", "executescript", "executemany", "query", "conn"}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in calls and not (
                isinstance(node.value, ast.Name) and node.value.id in ("parts", "request")):  # urlsplit's and aiohttp's query string
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    return found


def test_nothing_above_storage_runs_sql_on_the_connection() -> None:
    files = sorted(p for top in ("bot", "commands") for p in (ROOT / top).rglob("*.py"))
    found = [hit for path in files for hit in connection_calls(path)]
    assert not found, "ask the store (a named Store method) instead:\n" + "\n".join(found)
    assert connection_calls(ROOT / "storage" / "store.py")


def test_storage_is_seen_to_hold_sql() -> None:
    """The scan reads what it should: the store itself is full of SQL."""
    assert len(sql_in(ROOT / "storage" / "store.py")) > 20


# ---- imports between packages ----------------------------------------------------------------

def unit(module: str) -> str | None:
    """The part of the project a module belongs to: bot's sub-packages and top-level modules
    each count as one (bot.services, bot.when, bot.render, ...), commands and storage too."""
    parts = module.split(".")
    if parts[0] == "bot":
        return "bot." + parts[1] if len(parts) > 1 else "bot"
    return parts[0] if parts[0] in ("commands", "storage") else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, at its top or inside a function (a late import is still a
    dependency), as absolute names."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


@functools.lru_cache(maxsize=1)
def import_graph() -> dict[str, dict[str, list[str]]]:
    """unit -> imported unit -> where ("bot/app.py:25")."""
    graph: dict[str, dict[str, list[str]]] = {}
    for top in ("bot", "commands", "storage"):
        for path in sorted((ROOT / top).rglob("*.py")):
            here = unit(module_name(path))
            for line, target in imported(path):
                there = unit(target)
                where = f"{path.relative_to(ROOT)}:{line}"
                if there is not None and there != here and where not in graph.setdefault(here, {}).setdefault(there, []):
                    graph[here][there].append(where)
    return graph


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The groups of units that import each other, directly or through others."""
    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for nxt in graph.get(todo.pop(), {}):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    reachable = {u: reach(u) for u in graph}
    groups = {frozenset({u} | {v for v in reachable[u] if u in reachable.get(v, set())})
              for u in graph if u in reachable[u]}
    return sorted(sorted(g) for g in groups)


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b": ["x"]}, "b": {"c": ["y"]}, "c": {"a": ["z"]}, "d": {"a": ["w"]}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b": ["x"]}, "b": {}}) == []


def test_no_cycle_between_packages() -> None:
    graph = import_graph()
    assert {"commands", "storage", "bot.services", "bot.app"} <= set(graph)
    found = cycles(graph)
    detail = [f"{a} -> {b}: {', '.join(graph[a][b])}" for group in found for a in group for b in group if b in graph.get(a, {})]
    assert not found, "packages importing each other:\n" + "\n".join(detail)


@pytest.mark.parametrize(("importer", "imported_unit"), [
    ("bot.services", "commands"), ("storage", "commands"),
    ("bot.services", "bot.backends"), ("commands", "bot.backends"),
    ("storage", "bot.services"),
])
def test_the_layers_import_downwards(importer: str, imported_unit: str) -> None:
    where = import_graph().get(importer, {}).get(imported_unit, [])
    assert not where, f"{importer} must not import {imported_unit}: {', '.join(where)}"


# ---- test inputs from outside the repository -------------------------------------------------

def outside_references(path: Path) -> list[str]:
    """Where a test module reaches out of the repository: a path's `parents[k]` above the
    repository's root, or a literal path up and out ("../", "shared/spec")."""
    depth = len(path.relative_to(ROOT).parts)  # tests/core/x.py: parents[2] is the root, parents[3] its folder
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "parents"
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int)
                and node.slice.value >= depth):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: parents[{node.slice.value}]")
    found += [f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}" for line, text in literals(path)
              if "../" in text or "shared/spec" in text]
    return found


def test_the_shared_spec_is_read_through_one_helper() -> None:
    # The helper may reach out; this module names what it looks for.
    exempt = {ROOT / "tests" / "support.py", Path(__file__).resolve()}
    files = [p for p in sorted((ROOT / "tests").rglob("*.py")) if p not in exempt]
    found = [hit for path in files for hit in outside_references(path)]
    assert not found, "read the shared specification with tests.support.shared_spec:\n" + "\n".join(found)
    assert outside_references(ROOT / "tests" / "support.py"), "the helper itself reaches out (the scan sees it)"


def test_without_the_shared_folder_the_comparison_is_skipped_and_says_why(tmp_path: Path, monkeypatch) -> None:
    from tests import support

    monkeypatch.setattr(support, "SHARED_SPEC", tmp_path / "absent")
    with pytest.raises(pytest.skip.Exception, match="no shared specification at .*absent"):
        support.shared_spec("time_examples.jsonl")


# ---- the README's map ----------------------------------------------------------------------

def layout_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_what_exists() -> None:
    """Every file and folder the map names exists (relative to the repository, or to the
    folder named before it on the same line), and every package is on the map."""
    text = layout_section()
    missing = []
    for line in text.split("\n- "):
        folder = None
        for name in re.findall(r"`([\w./]+(?:\.py|/))`", line):
            path = ROOT / name
            if not path.exists() and folder is not None:
                path = folder / name
            if not path.exists():
                missing.append(name)
            elif path.is_dir():
                folder = path
    assert not missing, f"the README's Layout names what does not exist: {missing}"
    packages = {p.parent.relative_to(ROOT).as_posix() + "/" for top in ("bot", "commands", "storage")
                for p in (ROOT / top).rglob("__init__.py")} - {"bot/"}
    unmapped = [p for p in sorted(packages) if f"`{p}`" not in text]
    assert not unmapped, f"packages missing from the README's Layout: {unmapped}"
    for step in ("App.deliver", "commands.dispatcher.dispatch", "Store.enqueue", "App._pump", "backend.send"):
        assert step in text, step
