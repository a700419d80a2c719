"""deploy/chambre-bot.service: what the issue asks of it is there, `systemd-analyze verify`
finds nothing to say about it (where that tool exists: Debian's `systemd` package; else the
test is skipped, saying so), and the exit statuses it relies on are the bot's."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "chambre-bot.service"


def settings(text: str) -> dict[str, dict[str, list[str]]]:
    """Section -> key -> values (a key may be given several times)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out[section] = {}
            continue
        key, _, value = line.partition("=")
        out[section].setdefault(key.strip(), []).append(value.strip())
    return out


def test_the_unit_has_what_an_operator_needs():
    unit = settings(UNIT.read_text(encoding="utf-8"))
    service, one = unit["Service"], lambda key: unit["Service"][key][-1]
    assert one("User") == "chambre-bot" and one("Group") == "chambre-bot"  # its own user, not root
    assert one("StateDirectory") == "chambre-bot" and one("WorkingDirectory") == "/var/lib/chambre-bot"
    assert one("ProtectSystem") == "strict" and one("NoNewPrivileges") == "true"
    assert one("ProtectHome") == "true" and one("PrivateTmp") == "true" and one("UMask") == "0077"
    assert one("Restart") == "on-failure" and one("RestartPreventExitStatus") == "2"
    assert unit["Unit"]["StartLimitBurst"] == ["5"] and unit["Unit"]["StartLimitIntervalSec"] == ["10min"]
    assert one("EnvironmentFile") == "/etc/chambre-bot/secrets.env"
    assert one("ExecStart") == "/opt/chambre-bot/bin/chambre-bot run -c /etc/chambre-bot/config.toml"
    assert not any("PASSWORD" in v or "TOKEN" in v for values in service.values() for v in values)
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_the_docs_name_the_paths_the_unit_uses():
    doc = (ROOT / "docs" / "operating.md").read_text(encoding="utf-8")
    for path in ("/opt/chambre-bot", "/etc/chambre-bot/config.toml", "/etc/chambre-bot/secrets.env",
                 "/var/lib/chambre-bot/chambre.db", "deploy/chambre-bot.service"):
        assert path in doc, path


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian: apt-get install systemd); the unit is not verified")
def test_systemd_analyze_verify_has_nothing_to_say(tmp_path: Path):
    # verify checks that ExecStart's program exists: point it at this environment's.
    script = Path(sys.executable).parent / "chambre-bot"
    text = UNIT.read_text(encoding="utf-8").replace("/opt/chambre-bot/bin/chambre-bot", str(script))
    unit = tmp_path / "chambre-bot.service"
    unit.write_text(text, encoding="utf-8")
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120)
    # It warns (an unknown key, a misspelt value) without failing: any word from it is a failure.
    assert proc.returncode == 0 and proc.stdout + proc.stderr == "", proc.stdout + proc.stderr

    broken = tmp_path / "broken.service"
    broken.write_text(text.replace("ProtectSystem=strict", "ProtectSystm=strict"), encoding="utf-8")
    proc = subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True, text=True, timeout=120)
    assert "Unknown key" in proc.stderr  # the check above can fail


def test_a_wrong_configuration_exits_2_which_the_unit_does_not_restart(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('[chambre]\nlanguage = "de"\n', encoding="utf-8")
    proc = run_cli("run", "-c", str(config), check=False)
    assert proc.returncode == 2 and "expected \"fr\" or \"en\"" in proc.stderr
    missing = run_cli("run", "-c", str(config), "--env-file", str(tmp_path / "secrets.env"), check=False)
    assert missing.returncode == 2 and f"{tmp_path / 'secrets.env'}: no such file" in missing.stderr
