"""The package as an operator installs it: a wheel, in a fresh venv, outside the source
tree. `--version`, `init` then `check-config`, a piped console session, and a backup and its
restore, all through the installed `chambre-bot`.

Marked `install`: part of the normal suite (about 30 s on a busy 2-core machine once
.venv/wheelhouse is filled); `-m "not install"` leaves it out while iterating."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import bot
from tests.ops.install import Installed

pytestmark = pytest.mark.install


def test_the_wheel_holds_the_program_and_its_seed_and_nothing_else(installed: Installed):
    with zipfile.ZipFile(installed.wheel) as zf:
        names = zf.namelist()
    assert {n.split("/")[0] for n in names} == {"bot", "commands", "storage",
                                                f"chambre_bot-{bot.__version__}.dist-info"}
    assert "storage/seed/bricks.json" in names
    # the minutes' standalone page (chambre-bot minutes --format html) and the board's page of them
    assert "bot/templates/minutes.html" in names and "bot/web/templates/minutes.html" in names
    # The command the installed wheel runs is its own, not this source tree's.
    proc = installed.run("--version")
    assert proc.returncode == 0 and proc.stdout == f"chambre-bot {bot.__version__}\n", proc.stderr
    found = installed.run("console", "--help")
    assert found.returncode == 0
    python = installed.venv / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import bot, storage; print(bot.__file__); print(storage.__file__)"],
                           capture_output=True, text=True, cwd=installed.venv.parent, env={"PATH": "/usr/bin:/bin"})
    assert where.returncode == 0, where.stderr
    for line in where.stdout.split():
        assert Path(line).is_relative_to(installed.venv), line
    print(f"\nwheel: build {installed.seconds['build']:.1f} s, wheelhouse {installed.seconds['wheelhouse']:.1f} s, "
          f"install {installed.seconds['install']:.1f} s", file=sys.stderr)


def test_init_then_check_config_then_a_console_session(installed: Installed, tmp_path: Path):
    proc = installed.run("init", "--dir", str(tmp_path / "etc"), "--yes", "--timezone", "Europe/Paris",
                         "--language", "fr")
    assert proc.returncode == 0, proc.stderr
    config = tmp_path / "etc" / "config.toml"
    assert f"Wrote {config}" in proc.stdout
    check = installed.run("check-config", "-c", str(config))
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == f"{config}: OK (backends: console; database: {tmp_path / 'etc' / 'chambre.db'})\n"

    session = "!réunion proposer vendredi 19h ; Atelier briques ; MESHS\n!brique voir services légaux\n!agenda\n"
    proc = installed.run("console", "-c", str(config), "--now", "2026-12-01T10:00", "--user", "alice", stdin=session)
    assert proc.returncode == 0, proc.stderr
    assert "vendredi 4 décembre 2026, 19:00" in proc.stdout
    assert "Services légaux" in proc.stdout  # a brick of the seed, which the wheel carries
    assert "Traceback" not in proc.stderr

    backup = tmp_path / "backup.db"
    proc = installed.run("backup", "-c", str(config), str(backup))
    assert proc.returncode == 0, proc.stderr
    assert "8 meetings" in proc.stdout and "integrity ok" in proc.stdout  # its own and the seven seeded
    elsewhere = tmp_path / "other-machine" / "chambre.db"
    proc = installed.run("restore", "--db", str(elsewhere), str(backup))
    assert proc.returncode == 0, proc.stderr
    exported = installed.run("export", "--db", str(elsewhere))
    assert [m["title"] for m in json.loads(exported.stdout)["meetings"] if m["source"] != "seed"] == ["Atelier briques"]
