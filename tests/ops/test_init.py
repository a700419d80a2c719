"""`chambre-bot init` through the installed script: from flags or from piped answers, a
config.toml that check-config accepts, the secrets apart in secrets.env (its owner's only),
the next steps said; never an existing configuration overwritten, nothing written when an
answer is wrong or missing."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import tomllib
from pathlib import Path

from tests.core.conftest import chambre_bot, run_cli


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_yes_with_no_chat_writes_a_console_configuration(tmp_path: Path):
    proc = run_cli("init", "--dir", str(tmp_path / "etc"), "--yes")
    config = tmp_path / "etc" / "config.toml"
    assert listing(tmp_path / "etc") == ["config.toml"]  # no chat: no secrets file
    assert f"Wrote {config}" in proc.stdout and f"chambre-bot console -c {config}" in proc.stdout
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    assert data["chambre"]["timezone"] == "Europe/Paris" and data["chambre"]["language"] == "fr"
    assert "matrix" not in data and "rocketchat" not in data
    check = run_cli("check-config", "-c", str(config))
    assert check.stdout == f"{config}: OK (backends: console; database: {tmp_path / 'etc' / 'chambre.db'})\n"
    session = run_cli("console", "-c", str(config), "--now", "2026-12-01T10:00", stdin="!odj ajouter Un point\n")
    assert "Un point" in session.stdout and (tmp_path / "etc" / "chambre.db").exists()


def test_flags_for_both_chats_and_the_secrets_filled_in_afterwards(tmp_path: Path):
    etc = tmp_path / "etc"
    proc = run_cli("init", "--dir", str(etc), "--yes", "--timezone", "America/Montreal", "--language", "en",
                   "--database", str(tmp_path / "state" / "chambre.db"),
                   "--matrix-homeserver", "https://matrix.example.org", "--matrix-user", "@chambre:example.org",
                   "--matrix-room", "#chambre:example.org", "--matrix-room", "!AbCdEf:example.org",
                   "--rocketchat-url", "https://chat.example.org/", "--rocketchat-user-id", "aB3dE5",
                   "--rocketchat-channel", "#chambre", "--rocketchat-channel", "bureau")
    config, secrets = etc / "config.toml", etc / "secrets.env"
    assert listing(etc) == ["config.toml", "secrets.env"]
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    assert data["chambre"] == {"timezone": "America/Montreal", "language": "en",
                               "database": str(tmp_path / "state" / "chambre.db"), "organisers": []}
    assert data["matrix"]["homeserver"] == "https://matrix.example.org"
    assert data["matrix"]["rooms"] == ["#chambre:example.org", "!AbCdEf:example.org"]
    assert data["rocketchat"]["url"] == "https://chat.example.org" and data["rocketchat"]["user_id"] == "aB3dE5"
    assert data["rocketchat"]["channels"] == ["chambre", "bureau"]
    # The next steps name the secrets still to write, and how to check and start.
    out = proc.stdout
    assert f"after CHAMBRE_MATRIX_PASSWORD=" in out and "after CHAMBRE_ROCKETCHAT_TOKEN=" in out
    # The crypto store's key is made here, at random, never the same twice.
    keys = re.findall(r"^CHAMBRE_MATRIX_STORE_KEY=([A-Za-z0-9_-]{40,})$", secrets.read_text(encoding="utf-8"), re.M)
    assert len(keys) == 1 and "after CHAMBRE_MATRIX_STORE_KEY=" not in out
    other = run_cli("init", "--dir", str(tmp_path / "other"), "--yes", "--matrix-homeserver", "https://m.example.org",
                    "--matrix-user", "@bot:example.org")
    assert other.returncode == 0 and keys[0] not in (tmp_path / "other" / "secrets.env").read_text(encoding="utf-8")
    assert f"chambre-bot check-config -c {config} --env-file {secrets}" in out
    assert f"chambre-bot run -c {config} --env-file {secrets}" in out

    # Until the secrets are written, check-config says which are missing; then it accepts it.
    check = run_cli("check-config", "-c", str(config), "--env-file", str(secrets), check=False)
    assert check.returncode == 1 and "[matrix] password or access_token: missing" in check.stdout
    text = secrets.read_text(encoding="utf-8")
    secrets.write_text(text.replace("CHAMBRE_MATRIX_PASSWORD=\n", "CHAMBRE_MATRIX_PASSWORD='pass word 1'\n")
                       .replace("CHAMBRE_ROCKETCHAT_TOKEN=\n", "CHAMBRE_ROCKETCHAT_TOKEN=tok-EN_2\n"), encoding="utf-8")
    check = run_cli("check-config", "-c", str(config), "--env-file", str(secrets))
    assert check.stdout.startswith(f"{config}: OK (backends: matrix, rocketchat; database: ")


ANSWERS = "\n".join([
    "Europe/Pariss",             # a zone that does not exist: asked again
    "Europe/Brussels",
    "",                          # language: the default, fr
    "",                          # database: the default
    "oui",                       # Matrix
    "matrix.example.org",        # not an address: asked again
    "https://matrix.example.org",
    "@chambre:example.org",
    "#chambre:example.org #bureau:example.org",
    "Zq9-s3cret pass",           # the password, to secrets.env only
    "n",                         # no Rocket.Chat
]) + "\n"


def test_questions_answered_through_a_pipe(tmp_path: Path):
    etc = tmp_path / "etc"
    proc = run_cli("init", "--dir", str(etc), stdin=ANSWERS)
    out = proc.stdout
    assert "Time zone of the group [Europe/Paris]:" in out
    assert out.count("Time zone of the group") == 2 and "expected a time zone name such as" in out
    assert out.count("Homeserver address") == 2 and "expected an http:// or https:// address" in out
    assert "Zq9-s3cret" not in out + proc.stderr
    config, secrets = etc / "config.toml", etc / "secrets.env"
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    assert data["chambre"]["timezone"] == "Europe/Brussels" and data["chambre"]["language"] == "fr"
    assert data["matrix"]["rooms"] == ["#chambre:example.org", "#bureau:example.org"]
    assert "Zq9-s3cret" not in config.read_text(encoding="utf-8")
    assert "CHAMBRE_MATRIX_PASSWORD='Zq9-s3cret pass'\n" in secrets.read_text(encoding="utf-8")
    assert "after CHAMBRE_MATRIX_PASSWORD=" not in out  # nothing left to write
    check = run_cli("check-config", "-c", str(config), "--env-file", str(secrets))
    assert "OK (backends: matrix;" in check.stdout


def test_rocketchat_with_a_username_and_password_from_the_questions(tmp_path: Path):
    answers = "\n".join(["", "en", "", "n", "y", "https://chat.example.org", "password", "chambot",
                         "hunter2-Zq9", "chambre"]) + "\n"
    run_cli("init", "--dir", str(tmp_path), stdin=answers)
    data = tomllib.loads((tmp_path / "config.toml").read_text(encoding="utf-8"))
    assert data["rocketchat"] == {"url": "https://chat.example.org", "username": "chambot", "channels": ["chambre"]}
    assert data["digest"]["rule"] == "every monday at 9am"  # in the group's language
    assert "CHAMBRE_ROCKETCHAT_PASSWORD=hunter2-Zq9\n" in (tmp_path / "secrets.env").read_text(encoding="utf-8")
    check = run_cli("check-config", "-c", str(tmp_path / "config.toml"), "--env-file", str(tmp_path / "secrets.env"))
    assert "OK (backends: rocketchat;" in check.stdout


def test_an_existing_configuration_is_never_overwritten(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text("# mine\n[chambre]\nlanguage = \"en\"\n", encoding="utf-8")
    for args in (["--yes"], []):
        proc = run_cli("init", "--dir", str(tmp_path), *args, stdin="Europe/Paris\n", check=False)
        assert proc.returncode == 1
        assert proc.stderr == (f"chambre-bot init: {config} already exists: nothing written "
                               "(move it away, or choose another --dir)\n")
        assert "Time zone" not in proc.stdout  # said before any question
    assert config.read_text(encoding="utf-8") == "# mine\n[chambre]\nlanguage = \"en\"\n"
    assert listing(tmp_path) == ["config.toml"]


def test_an_existing_secrets_file_is_kept(tmp_path: Path):
    secrets = tmp_path / "secrets.env"
    secrets.write_text("CHAMBRE_MATRIX_PASSWORD=already-there\n", encoding="utf-8")
    proc = run_cli("init", "--dir", str(tmp_path), "--yes", "--matrix-homeserver", "https://m.example.org",
                   "--matrix-user", "@bot:example.org")
    assert f"Kept {secrets} (as it was)" in proc.stdout
    assert secrets.read_text(encoding="utf-8") == "CHAMBRE_MATRIX_PASSWORD=already-there\n"
    assert "after CHAMBRE_MATRIX_PASSWORD=" not in proc.stdout
    assert f"in {secrets}, after CHAMBRE_MATRIX_STORE_KEY=" in proc.stdout  # a file of before encryption
    with open(secrets, "a", encoding="utf-8") as fh:
        fh.write("CHAMBRE_MATRIX_STORE_KEY=a-long-random-text-of-mine\n")
    assert "OK" in run_cli("check-config", "-c", str(tmp_path / "config.toml"), "--env-file", str(secrets)).stdout


def test_wrong_or_missing_answers_write_nothing(tmp_path: Path):
    cases = [
        (["--yes", "--timezone", "Mars/Olympus"], "",
         "--timezone 'Mars/Olympus': expected a time zone name such as \"Europe/Paris\""),
        (["--yes", "--language", "de"], "", "--language 'de': expected \"fr\" or \"en\""),
        (["--yes", "--matrix-room", "chambre"], "",
         "--matrix-room 'chambre': expected a room id (!abc:example.org) or alias (#chambre:example.org)"),
        (["--yes", "--matrix-homeserver", "https://m.example.org"], "", "--matrix-user: needed (--yes asks nothing)"),
        (["--yes", "--rocketchat-url", "https://chat.example.org"], "", "--rocketchat-url: needs --rocketchat-user-id"),
        (["--yes", "--rocketchat-user-id", "a", "--rocketchat-username", "b"], "", "give one"),
        ([], "Europe/Paris\nfr\n", "no answer (end of input): nothing written"),  # input ends mid-way
    ]
    for args, stdin, said in cases:
        folder = tmp_path / f"case{len(listing(tmp_path))}"
        proc = run_cli("init", "--dir", str(folder), *args, stdin=stdin, check=False)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("chambre-bot init: ") and said in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert listing(folder) == [], args
        folder.mkdir()  # the next case gets the next name


def test_root_with_a_strict_umask_still_writes_a_configuration_the_service_can_read(tmp_path: Path):
    """init run by root (umask 077) in /etc/chambre-bot: the bot's own user must read
    config.toml (no secret in it) and get into its folder; secrets.env stays its owner's."""
    etc = tmp_path / "etc" / "chambre-bot"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    proc = subprocess.run([*chambre_bot(), "init", "--dir", str(etc), "--yes", "--matrix-homeserver",
                           "https://m.example.org", "--matrix-user", "@bot:example.org"],
                          capture_output=True, text=True, env=env, timeout=60, preexec_fn=lambda: os.umask(0o077))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((etc / "config.toml").stat().st_mode) == 0o644
    assert stat.S_IMODE(etc.stat().st_mode) == 0o755
    assert stat.S_IMODE((etc / "secrets.env").stat().st_mode) == 0o600
