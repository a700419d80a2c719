"""docs/operating.md, followed on the suite's Synapse, each step through the installed
`chambre-bot`: the bot's account registered with Synapse's own `register_new_matrix_user`,
invited to a room; `init` with flags; the password written in secrets.env; `check-config`;
`run` as the service runs it (secrets from the environment file, logs at info in JSON); a
command answered; a backup while it runs and a restore it refuses; then the backup restored
on another machine, where a second bot, started on it, knows what the first one recorded.

And the log: one JSON line per command with backend, room and command; no password, no
access token, nothing the member typed after the command."""
from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.core.conftest import run_cli
from tests.matrix.conftest import unique
from tests.matrix.synapse import Synapse
from tests.matrix.test_app import body, stop
from tests.support import outbox_settled, wait_until

BIN = Path(sys.executable).parent


def start(config: Path, secrets_file: Path, log: Path) -> subprocess.Popen:
    """`chambre-bot run` as deploy/chambre-bot.service starts it (CHAMBRE_LOG=info there),
    with its secrets in the environment file only, and JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")}
    with open(log, "ab") as out:
        return subprocess.Popen([str(BIN / "chambre-bot"), "run", "-c", str(config), "--env-file", str(secrets_file),
                                 "--log-level", "info", "--log-format", "json"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def test_from_a_fresh_machine_to_a_bot_answering_then_restored_elsewhere(running_synapse: Synapse, people,
                                                                              tmp_path: Path):
    # Accounts: the bot's, registered as docs/operating.md says, then an organiser's room it is invited to.
    name, password = unique("chambre"), "Zq9-" + secrets.token_hex(8)
    registered = subprocess.run([str(BIN / "register_new_matrix_user"), "-c", str(running_synapse.config_path),
                                 "-u", name, "-p", password, "--no-admin", running_synapse.url],
                                capture_output=True, text=True, timeout=60)
    assert registered.returncode == 0, registered.stdout + registered.stderr
    bot_id = f"@{name}:localhost"
    running_synapse.override_ratelimit(bot_id)  # the admin API call the docs give
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_id])

    # init, the secret, check-config.
    etc, var = tmp_path / "etc" / "chambre-bot", tmp_path / "var" / "lib" / "chambre-bot"
    run_cli("init", "--dir", str(etc), "--yes", "--timezone", "Europe/Paris", "--language", "fr",
            "--database", str(var / "chambre.db"), "--matrix-homeserver", running_synapse.url,
            "--matrix-user", bot_id, "--matrix-room", room)
    config, secrets_file = etc / "config.toml", etc / "secrets.env"
    text = secrets_file.read_text(encoding="utf-8")
    secrets_file.write_text(text.replace("CHAMBRE_MATRIX_PASSWORD=\n", f"CHAMBRE_MATRIX_PASSWORD={password}\n"),
                            encoding="utf-8")
    check = run_cli("check-config", "-c", str(config), "--env-file", str(secrets_file))
    assert check.stdout == f"{config}: OK (backends: matrix; database: {var / 'chambre.db'})\n"

    # The bot answers in the room.
    log = tmp_path / "bot.log"
    proc = start(config, secrets_file, log)
    try:
        asked = await alice.say(room, "!réunion proposer vendredi 19h ; Zorglub atelier ; Chez Marguerite")
        replies = await alice.wait_replies(room, bot_id, [asked], timeout=90)
        assert body(replies[asked][0]).startswith("Réunion n°8 proposée : Zorglub atelier")  # after the 7 seeded
        await wait_until(lambda: outbox_settled(var / "chambre.db", [asked]), 30, "the outbox never drained",
                         interval=0.05)

        backup = tmp_path / "backups" / "chambre.db"
        backup.parent.mkdir()
        made = run_cli("backup", "-c", str(config), str(backup))
        assert "8 meetings" in made.stdout and "and its crypto store" in made.stdout
        refused = run_cli("restore", "-c", str(config), str(backup), check=False)
        assert refused.returncode == 1 and "stop it first" in refused.stderr
    finally:
        stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, log.read_text(errors="replace")[-3000:]

    # The log: JSON lines, the command's one, and nothing secret or typed.
    text = log.read_text(encoding="utf-8")
    records = [json.loads(line) for line in text.splitlines()]
    assert {"backend": "matrix", "room": room, "command": "meeting propose", "outcome": "done", "event": asked} \
        .items() <= next(r for r in records if r.get("command")).items()
    with sqlite3.connect(var / "chambre.db") as conn:
        token = conn.execute("SELECT value FROM backend_state WHERE backend = 'matrix' AND key = 'access_token'"
                             ).fetchone()[0]
    conn.close()
    for never in (password, token, "Zorglub", "Marguerite"):
        assert never not in text, never

    # Another machine: the backup restored there, a bot started on it with the same account.
    devices = running_synapse.devices(bot_id)
    other = tmp_path / "machine2"
    restored = run_cli("restore", "--db", str(other / "chambre.db"), str(backup))
    assert f"The crypto store is back in {other / 'chambre.db.crypto'}" in restored.stdout
    config2 = other / "config.toml"
    config2.write_text(config.read_text(encoding="utf-8").replace(str(var / "chambre.db"), str(other / "chambre.db")),
                       encoding="utf-8")
    proc = start(config2, secrets_file, other / "bot.log")
    try:
        listed = await alice.say(room, "!réunion liste")
        replies = await alice.wait_replies(room, bot_id, [listed], timeout=90)
        assert "Zorglub atelier" in body(replies[listed][0])
        await wait_until(lambda: outbox_settled(other / "chambre.db", [listed]), 30, "the outbox never drained",
                         interval=0.05)
    finally:
        stop(proc, signal.SIGTERM)
    assert proc.returncode == 0
    # It went on with the restored session (its access token and device), and answered
    # nothing twice: the command answered before the backup was handled, as recorded.
    assert len((await alice.replies(room, bot_id))[asked]) == 1
    assert running_synapse.devices(bot_id) == devices
