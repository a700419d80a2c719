"""The command line as an operator meets it on a bad day: a mistyped path, a directory, a file
that is not a database, a database from a newer version, a closed pipe, bytes that are not
UTF-8, a secret typed wrong. Each gets one clear sentence and exit status 1, never a
traceback; nothing is created or changed on the way. And what the bot did by itself (a post
skipped while it was down) shows at the default log level."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from storage.db import StorageError, connect
from tests.core.conftest import chambre_bot, run_cli

NOW = "2026-12-01T10:00:00+01:00"


def one_sentence(proc: subprocess.CompletedProcess) -> str:
    """The single line a failed command printed on stderr."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Error:" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("chambre-bot: "), lines[0]
    return lines[0]


@pytest.fixture
def database(tmp_path: Path) -> Path:
    db = tmp_path / "chambre.db"
    run_cli("console", "--now", NOW, "--db", str(db), stdin="!odj ajouter Un point\n")
    return db


# ---- which commands create a database ---------------------------------------------------------

@pytest.mark.parametrize("command", [["export"], ["export", "--format", "ics"], ["digest"]])
def test_a_mistyped_db_path_is_not_created_by_export_or_digest(tmp_path: Path, command: list[str]):
    missing = tmp_path / "chambre.bd"
    line = one_sentence(run_cli(*command, "--db", str(missing), check=False))
    assert f"{missing}: no such database" in line and "chambre-bot console" in line
    assert not missing.exists() and list(tmp_path.iterdir()) == []


# ---- databases that cannot be used -------------------------------------------------------------

def read_only(path: Path) -> None:
    """As the operator's user sees a file it may not write. Root writes to any file, so the
    suite (often root in a container) makes it immutable instead."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("running as root without chattr: no way to make a read-only file")
    else:
        path.chmod(0o444)


def writable_again(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    else:
        path.chmod(0o644)


def test_unusable_database_files(tmp_path: Path):
    folder = tmp_path / "folder"
    folder.mkdir()
    text = tmp_path / "notes.txt"
    text.write_text("Des notes, pas une base de données.\n" * 200, encoding="utf-8")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    conn.close()
    cases = [("console", folder, f"{folder} is a directory"), ("digest", folder, f"{folder} is a directory"),
             ("console", text, f"{text} is not a SQLite database"), ("export", text, f"{text} is not a SQLite database"),
             ("console", other, f"{other} is a SQLite database of another program")]
    for command, path, said in cases:
        assert said in one_sentence(run_cli(command, "--db", str(path), stdin="!odj ajouter x\n", check=False))
    assert text.read_text(encoding="utf-8").startswith("Des notes")
    with sqlite3.connect(other) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["photos"]
    conn.close()


def test_a_read_only_database(database: Path):
    before = database.read_bytes()
    read_only(database)
    try:
        proc = run_cli("console", "--db", str(database), stdin="!odj ajouter refusé\n", check=False)
        assert f"{database} is read-only" in one_sentence(proc)
    finally:
        writable_again(database)
    assert database.read_bytes() == before


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path, database: Path):
    with sqlite3.connect(database) as conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES"
                     " ('chambre', '0042_future', '2027-01-01'), ('chambre', '0043_later', '2027-02-01')")
    conn.close()
    with sqlite3.connect(database) as conn:
        before = list(conn.iterdump())
    conn.close()
    with pytest.raises(StorageError, match="0042_future, 0043_later.*upgrade the bot"):
        connect(database)
    for command in (["console"], ["export"], ["digest"]):
        line = one_sentence(run_cli(*command, "--db", str(database), stdin="!odj ajouter refusé\n", check=False))
        assert "written by a newer chambre-bot" in line and "0042_future, 0043_later" in line and "upgrade" in line
    with sqlite3.connect(database) as conn:
        assert list(conn.iterdump()) == before
    conn.close()


# ---- configuration files -----------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("99999999999 jours", "a duration such as"),
    ("400 jours", "a duration of at most a year"),
    ("60 semaines", "a duration of at most a year"),
])
def test_check_config_with_a_huge_duration(tmp_path: Path, value: str, expected: str):
    config = tmp_path / "config.toml"
    config.write_text(f'[rhythm]\nagenda_before = "{value}"\n', encoding="utf-8")
    proc = run_cli("check-config", "-c", str(config), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"- [rhythm] agenda_before = '{value}': expected {expected}" in proc.stdout


def test_check_config_on_a_directory_or_a_binary_file(tmp_path: Path):
    proc = run_cli("check-config", "-c", str(tmp_path), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{tmp_path}: is a directory, not a configuration file" in proc.stdout
    binary = tmp_path / "config.toml"
    binary.write_bytes(b"\xff\xfe[chambre]\x00\x81")
    proc = run_cli("check-config", "-c", str(binary), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "not a text file in UTF-8" in proc.stdout
    proc = run_cli("console", "-c", str(tmp_path), check=False)  # the other commands say it too
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "is a directory" in proc.stderr


SECRETS = {"matrix": ("password", "access_token"), "rocketchat": ("token", "password")}
OTHER_KEYS = {"matrix": 'homeserver = "https://matrix.example.org"\nuser_id = "@chambre:example.org"\n',
              "rocketchat": 'url = "https://chat.example.org"\nusername = "chambre"\nuser_id = "abc"\n'}


@pytest.mark.parametrize("section", sorted(SECRETS))
def test_a_mistyped_secret_is_never_printed(tmp_path: Path, section: str):
    first, second = SECRETS[section]
    config = tmp_path / "config.toml"
    # Each secret of the section typed wrong: one as a list, one as a table.
    config.write_text(f'[{section}]\n{OTHER_KEYS[section]}{first} = ["s3cr3t-{first}-Zq9"]\n'
                      f'{second} = {{ value = "s3cr3t-{second}-Zq9" }}\n', encoding="utf-8")
    check = run_cli("check-config", "-c", str(config), check=False)
    assert check.returncode == 1
    for key in SECRETS[section]:
        assert f"[{section}] {key}: expected a text in quotes (the value is a secret: not shown)" in check.stdout
    run = run_cli("run", "-c", str(config), check=False)  # the other commands list the same problems
    assert run.returncode == 2 and f"[{section}] {first}" in run.stderr and f"[{section}] {second}" in run.stderr
    for proc in (check, run):
        assert "s3cr3t" not in proc.stdout + proc.stderr and "Zq9" not in proc.stdout + proc.stderr


def test_the_crypto_store_key_is_a_secret_too(tmp_path: Path):
    config = tmp_path / "config.toml"
    base = ('[matrix]\nhomeserver = "https://matrix.example.org"\nuser_id = "@chambre:example.org"\n'
            'password = "pw-0123456789"\n')
    for typed, said in (('store_key = ["s3cr3t-Zq9-long-enough"]', "expected a text in quotes"),
                        ('store_key = "s3cr3t-Zq9"', "expected at least 16 characters")):
        config.write_text(base + typed + "\n", encoding="utf-8")
        check = run_cli("check-config", "-c", str(config), check=False)
        assert check.returncode == 1 and f"[matrix] store_key: {said}" in check.stdout, check.stdout
        assert "s3cr3t" not in check.stdout + check.stderr and "Zq9" not in check.stdout + check.stderr
    config.write_text(base, encoding="utf-8")  # none at all: the environment may give it
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")},
           "CHAMBRE_MATRIX_STORE_KEY": "from-the-environment-0123"}
    proc = subprocess.run([*chambre_bot(), "check-config", "-c", str(config)], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0 and "OK" in proc.stdout and "from-the-environment" not in proc.stdout


# ---- pipes and bytes ---------------------------------------------------------------------------

def test_export_into_a_closed_pipe(database: Path):
    """`chambre-bot export | head -0`: the reader has gone before the first write."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    proc = subprocess.Popen([*chambre_bot(), "export", "--db", str(database)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, "", err)
    assert "output was closed" in one_sentence(done)


def test_console_input_that_is_not_utf8(tmp_path: Path):
    db = tmp_path / "chambre.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    stdin = "!odj ajouter café\n".encode("latin-1") + b"!odj ajouter \xff\xfe\x00\n" + "!odj ajouter thé\n".encode()
    for lang, said in (("fr", "Ligne ignorée : ce n'est pas du texte UTF-8."), ("en", "Line ignored: it is not UTF-8 text.")):
        config = tmp_path / f"{lang}.toml"
        config.write_text(f'[chambre]\nlanguage = "{lang}"\n', encoding="utf-8")
        proc = subprocess.run([*chambre_bot(), "console", "-c", str(config), "--db", str(db)], input=stdin,
                              capture_output=True, env=env, timeout=60)
        out, err = proc.stdout.decode(), proc.stderr.decode()
        assert proc.returncode == 0 and "Traceback" not in err, err
        assert out.count(said) == 2
    topics = json.loads(run_cli("export", "--db", str(db)).stdout)["topics"]
    assert [t["text"] for t in topics] == ["thé", "thé"]  # the valid line, once per session


@pytest.mark.parametrize("command", [["console", "--db", "chambre.db"], ["run"]])
def test_a_console_whose_input_is_closed(tmp_path: Path, command: list[str]):
    """`chambre-bot console <&-` (or `run` with no chat, under a supervisor that closes its
    input): Python has no sys.stdin at all. Found by the type check."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    proc = subprocess.run(["sh", "-c", 'exec "$@" <&-', "sh", *chambre_bot(), *command], capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=60)
    assert "standard input, which is closed" in one_sentence(proc)
    assert not (tmp_path / "chambre.db").exists()


# ---- what operators see ------------------------------------------------------------------------

def test_a_post_skipped_while_the_bot_was_down_shows_at_the_default_level(tmp_path: Path):
    db = tmp_path / "chambre.db"
    # Running on Monday 7 December before 09:00, then down until Wednesday: Monday's digest
    # (09:00) was no use by then.
    run_cli("console", "--db", str(db), "--now", "2026-12-07T08:00", stdin="!odj ajouter Un point\n")
    back = run_cli("console", "--db", str(db), "--now", "2026-12-09T10:00", stdin="!odj liste\n")
    skipped = [line for line in back.stderr.splitlines() if "skipped digest" in line]
    assert len(skipped) == 1 and " WARNING bot.scheduler: " in skipped[0], back.stderr
    assert "La semaine de la Chambre" not in back.stdout


def test_log_level_option_and_environment(tmp_path: Path):
    db = tmp_path / "chambre.db"
    run_cli("console", "--db", str(db), "--now", "2026-12-07T08:00", stdin="")
    quiet = run_cli("console", "--db", str(db), "--now", "2026-12-09T10:00", "--log-level", "error", stdin="")
    assert quiet.stderr == ""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}, "CHAMBRE_LOG": "info"}
    chatty = subprocess.run([*chambre_bot(), "console", "--db", str(db), "--now", "2026-12-21T10:00"], input="",
                            capture_output=True, text=True, env=env, timeout=60)
    assert " INFO " in chatty.stderr and "skipped digest" in chatty.stderr
    assert "--log-level {debug,info,warning,error}" in run_cli("run", "--help").stdout
