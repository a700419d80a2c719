"""What ships runs: every subcommand of the README's command-line table through the installed
`chambre-bot` script, and every module of bot/, commands/ and storage/ imported on its own, so
that a module which fails at import (a circular import, say) cannot ship unnoticed."""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-01T10:00:00+01:00"  # a Tuesday
SESSION = ("!réunion proposer vendredi 19h ; Atelier briques ; MESHS\n!odj ajouter Trouver une salle\n"
           "!séance ouvrir Séance de test\n!info Une note <b>prise</b>\n!séance clore\n!odj ajouter Budget\n")


def entry_point() -> Path:
    script = Path(sys.executable).parent / "chambre-bot"
    assert script.exists(), f"{script}: the project is not installed in this environment (make test installs it)"
    return script


def chambre_bot(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    return subprocess.run([str(entry_point()), *args], input=stdin, capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def readme_subcommands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `chambre-bot ([a-z-]+)", section, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("entry") / "chambre.db"
    proc = chambre_bot("console", "--now", NOW, "--db", str(db), "--user", "alice", stdin=SESSION)
    assert proc.returncode == 0, proc.stderr
    return db


def _run(db: Path, tmp: Path) -> None:
    # No chat configured: `run` is the console on ./chambre.db, ending with its input.
    proc = chambre_bot("run", stdin="!odj ajouter Depuis run\n!odj liste\n", cwd=tmp)
    assert proc.returncode == 0, proc.stderr
    assert "Depuis run" in proc.stdout and (tmp / "chambre.db").exists()


def _console(db: Path, tmp: Path) -> None:
    proc = chambre_bot("console", "--now", NOW, "--db", str(db), stdin="!réunion liste\n")
    assert proc.returncode == 0, proc.stderr
    assert "Atelier briques" in proc.stdout


def _when(db: Path, tmp: Path) -> None:
    proc = chambre_bot("when", "--now", NOW, "vendredi 19h")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["start"] == "2026-12-04T19:00:00+01:00"


def _export(db: Path, tmp: Path) -> None:
    proc = chambre_bot("export", "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    # after the group's page's seven meetings to organise
    assert [m["title"] for m in json.loads(proc.stdout)["meetings"]][7:] == ["Atelier briques"]
    proc = chambre_bot("export", "--db", str(db), "--format", "ics")
    assert proc.returncode == 0 and "SUMMARY:Atelier briques" in proc.stdout, proc.stderr


def _check_config(db: Path, tmp: Path) -> None:
    proc = chambre_bot("check-config", "-c", str(ROOT / "config.example.toml"))
    assert proc.returncode == 0 and "OK" in proc.stdout, proc.stdout + proc.stderr


def _digest(db: Path, tmp: Path) -> None:
    proc = chambre_bot("digest", "--db", str(db), "--now", "2026-12-02T09:00")
    assert proc.returncode == 0, proc.stderr
    assert "Atelier briques" in proc.stdout and "Trouver une salle" in proc.stdout


def _notice(db: Path, tmp: Path) -> None:
    proc = chambre_bot("notice", "--now", NOW, "On se retrouve vendredi 19h à la MESHS ?")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["meeting"]["start"] == "2026-12-04T19:00:00+01:00"


def _minutes(db: Path, tmp: Path) -> None:
    proc = chambre_bot("minutes", "--db", str(db), "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# Compte rendu — Séance de test") and "Une note &lt;b&gt;prise&lt;/b&gt;" in proc.stdout
    page = tmp / "minutes.html"
    proc = chambre_bot("minutes", "--db", str(db), "2026-12-01", "--format", "html", "-o", str(page))
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    assert "<title>Compte rendu — Séance de test" in page.read_text(encoding="utf-8")


def _serve(db: Path, tmp: Path) -> None:
    import signal
    import urllib.request

    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    proc = subprocess.Popen([str(entry_point()), "serve", "--db", str(db), "--listen", "127.0.0.1:0"], cwd=tmp, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        url = re.search(r"the board is on (http://\S+/) ", line)
        assert url, line
        with urllib.request.urlopen(url.group(1) + "calendrier.ics", timeout=30) as r:
            assert "SUMMARY:Atelier briques" in r.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def _version(db: Path, tmp: Path) -> None:
    import bot

    proc = chambre_bot("--version")
    assert proc.returncode == 0 and proc.stdout == f"chambre-bot {bot.__version__}\n", proc.stderr


def _init(db: Path, tmp: Path) -> None:
    proc = chambre_bot("init", "--dir", str(tmp / "etc"), "--yes", "--language", "en")
    assert proc.returncode == 0 and "Next steps:" in proc.stdout, proc.stderr
    check = chambre_bot("check-config", "-c", str(tmp / "etc" / "config.toml"))
    assert check.returncode == 0 and "OK" in check.stdout, check.stdout + check.stderr


def _backup(db: Path, tmp: Path) -> None:
    proc = chambre_bot("backup", "--db", str(db), str(tmp / "backup.db"))
    assert proc.returncode == 0 and "integrity ok" in proc.stdout, proc.stderr
    assert chambre_bot("export", "--db", str(tmp / "backup.db")).stdout == chambre_bot("export", "--db", str(db)).stdout


def _restore(db: Path, tmp: Path) -> None:
    # A copy of the database with a crypto store beside it (an SQLite file, as nio's is).
    assert chambre_bot("backup", "--db", str(db), str(tmp / "chambre.db")).returncode == 0
    (tmp / "chambre.db.crypto").mkdir()
    with sqlite3.connect(tmp / "chambre.db.crypto" / "device.db") as store:
        store.execute("CREATE TABLE keys (k TEXT)")
        store.execute("INSERT INTO keys VALUES ('the device key')")
    store.close()
    assert chambre_bot("backup", "--db", str(tmp / "chambre.db"), str(tmp / "backup.db")).returncode == 0
    proc = chambre_bot("restore", "--db", str(tmp / "restored" / "chambre.db"), str(tmp / "backup.db"))
    assert proc.returncode == 0 and "restored from" in proc.stdout, proc.stderr
    assert "The crypto store is back in" in proc.stdout
    assert chambre_bot("export", "--db", str(tmp / "restored" / "chambre.db")).stdout == \
        chambre_bot("export", "--db", str(db)).stdout
    with sqlite3.connect(tmp / "restored" / "chambre.db.crypto" / "device.db") as store:
        assert store.execute("SELECT k FROM keys").fetchall() == [("the device key",)]
    store.close()


RUNS = {"run": _run, "console": _console, "when": _when, "export": _export, "check-config": _check_config,
        "digest": _digest, "notice": _notice, "serve": _serve, "--version": _version, "init": _init,
        "backup": _backup, "restore": _restore, "minutes": _minutes}


def test_every_subcommand_of_the_readme_has_a_run_here():
    assert readme_subcommands(), "no command-line table found in README.md"
    assert sorted(readme_subcommands()) == sorted(RUNS)


@pytest.mark.parametrize("subcommand", sorted(RUNS))
def test_subcommand_through_the_installed_script(subcommand: str, database: Path, tmp_path: Path):
    RUNS[subcommand](database, tmp_path)


# Each module is imported first among the project's, with the project's modules forgotten in
# between: an import cycle shows whichever module of it comes first. One interpreter for all
# (third-party modules stay loaded) keeps this to a second or two instead of one per module.
IMPORT_EACH = """
import importlib, json, sys, traceback
failures = {}
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in ("bot", "commands", "storage")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException:
        failures[name] = traceback.format_exc()
print(json.dumps(failures))
"""


def project_modules() -> list[str]:
    names = []
    for package in ("bot", "commands", "storage"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__main__.py":
                continue  # runs a command when imported; its package is imported instead
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_in_a_fresh_interpreter():
    modules = project_modules()
    assert {"bot.services.posts", "commands.general", "bot.cli", "storage.db"} <= set(modules)
    proc = subprocess.run([sys.executable, "-c", IMPORT_EACH, *modules], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    failures = json.loads(proc.stdout)
    assert not failures, "\n".join(f"{name}:\n{trace}" for name, trace in failures.items())


POLL_SESSION = """\
!sondage 1 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h
!poll show 1
!vote 1 1 2
!sondage liste
!poll close 1 ; 2
"""


def test_the_poll_commands_through_the_installed_script(tmp_path: Path):
    """Each date-poll command (issue 12), French and English, through the installed script."""
    proc = chambre_bot("console", "--now", NOW, "--db", str(tmp_path / "chambre.db"), "--user", "alice",
                       stdin=POLL_SESSION)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Sondage n°1 : quelles dates vous conviennent pour la réunion n°1" in out
    assert "Poll #1 — meeting #1" not in out  # the room speaks French: replies are in French
    assert "Sondage n°1 — réunion n°1" in out and "Noté pour le sondage n°1" in out
    assert "Sondages en cours" in out and "Sondage n°1 clos (1 réponse)" in out
    assert "Date retenue pour la réunion n°1" in out and "vendredi 11 décembre 2026, 18:00" in out
