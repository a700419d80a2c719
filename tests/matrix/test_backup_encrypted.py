"""A backup of a bot in an encrypted room, restored on another machine, on the real Synapse:
the restored bot is the same device with the same keys (no new login, nothing to verify
again), and reads what a member types there next, under the room key it had and under a new
one, and its replies are read. (The backup file itself: tests/ops/test_backup.py.)"""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import App
from bot.config import ChambreConfig, Config, MatrixConfig
from tests.core.conftest import run_cli
from tests.matrix.conftest import STORE_KEY
from tests.matrix.synapse import Account, Synapse
from tests.matrix.test_encryption import answered, body
from tests.support import wait_until


def config(synapse: Synapse, bot: Account, room: str, folder: Path) -> Config:
    """A bot whose database and crypto store are where `init` puts them: `chambre.db` and
    `chambre.db.crypto/` in one folder."""
    db = folder / "chambre.db"
    return Config(chambre=ChambreConfig(database=str(db), language="fr"),
                  matrix=MatrixConfig(homeserver=synapse.url, user_id=bot.user_id, password=bot.password, rooms=[room],
                                      store_path=str(db.with_name("chambre.db.crypto")), store_key=STORE_KEY))


async def started(app: App) -> App:
    await app.start()
    await wait_until(lambda: app.backends["matrix"].sync_count, 30, "the bot never synced")
    return app


def identity(app: App) -> dict[str, str]:
    return app.backends["matrix"].transport.client.olm.account.identity_keys


async def test_a_restored_bot_is_the_same_device_and_reads_the_encrypted_room(running_synapse: Synapse, people,
                                                                               bot_account: Account, tmp_path: Path,
                                                                               caplog: pytest.LogCaptureFixture):
    alice = await people("alice", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id])
    first = App(config(running_synapse, bot_account, room, tmp_path / "machine1"))
    try:
        await started(first)
        device, keys = first.backends["matrix"].device_id, identity(first)
        before = await alice.say(room, "!odj ajouter avant la sauvegarde")
        await answered(first, alice, room, bot_account.user_id, [before])
        # The backup while the bot runs, as from cron: the database and the store in one file.
        made = run_cli("backup", "--db", str(tmp_path / "machine1" / "chambre.db"), str(tmp_path / "backup.db"))
        assert "and its crypto store" in made.stdout
    finally:
        await first.stop()
    devices = running_synapse.devices(bot_account.user_id)

    # Another machine: only the backup file is copied there.
    run_cli("restore", "--db", str(tmp_path / "machine2" / "chambre.db"), str(tmp_path / "backup.db"))
    caplog.set_level(logging.WARNING, logger="bot.backends.matrix")
    second = App(config(running_synapse, bot_account, room, tmp_path / "machine2"))
    try:
        await started(second)
        assert second.backends["matrix"].device_id == device
        assert identity(second) == keys
        same_key = await alice.say(room, "!odj ajouter après, même clé")
        alice.client.invalidate_outbound_session(room)  # a new room key, shared with the restored device
        new_key = await alice.say(room, "!odj ajouter après, nouvelle clé")
        replies = await answered(second, alice, room, bot_account.user_id, [before, same_key, new_key])
    finally:
        await second.stop()
    assert [len(replies[c]) for c in (before, same_key, new_key)] == [1, 1, 1]
    assert body(replies[same_key][0]) == "Point n°2 ajouté à l'ordre du jour : après, même clé"
    assert body(replies[new_key][0]) == "Point n°3 ajouté à l'ordre du jour : après, nouvelle clé"
    assert set(await alice.wire_types(room, bot_account.user_id)) == {"m.room.encrypted"}
    # No new device to remove, no message it could not read.
    assert running_synapse.devices(bot_account.user_id) == devices and device in devices
    warned = [r.getMessage() for r in caplog.records]
    assert not [m for m in warned if "new device" in m or "cannot decrypt" in m], warned
