"""Encrypted rooms, on the real Synapse, with members whose clients encrypt (each its own
device and crypto store, as Element has): replies encrypted and read, commands typed while
the bot was down (under a new room key too), a message the bot cannot read, a key that comes
late, a store that does not open, a store lost. (The organiser's reminder in an encrypted DM:
test_app.py; a DM made, found again and answered: test_backend.py.)"""
from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from nio import ToDeviceMessage

from bot.app import App
from bot.backends.matrix.crypto import CryptoStoreError
from bot.clock import Clock, ManualClock
from bot.config import ChambreConfig, Config, MatrixConfig
from tests.core.conftest import chambre_bot
from tests.matrix.conftest import STORE_KEY, EncryptedPerson, crypto_settings, unique
from tests.matrix.synapse import Account, Synapse
from tests.support import MemoryState, wait_until

# The notice that a message could not be read, in French (the rooms' language here).
UNREADABLE = "Je n'ai pas pu lire ce message chiffré"


def body(ev: dict) -> str:
    return ev["content"]["body"]


@pytest.fixture
async def start_app(running_synapse: Synapse, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """start_app(bot, rooms, clock=None, **matrix) -> a started App whose Matrix backend synced,
    its database and crypto store under tmp_path (the same for each start in a test)."""
    apps: list[App] = []

    async def start(bot: Account, rooms: list[str], clock: Clock | None = None, **matrix: Any) -> App:
        settings = {**crypto_settings(tmp_path), **matrix}
        config = Config(chambre=ChambreConfig(database=str(tmp_path / "chambre.db"), language="fr"),
                        matrix=MatrixConfig(homeserver=running_synapse.url, user_id=bot.user_id,
                                            password=bot.password, rooms=rooms, **settings))
        app = App(config, clock=clock)
        apps.append(app)
        await app.start()
        await wait_until(lambda: app.backends["matrix"].sync_count, 30, "the bot never synced")
        return app

    yield start
    for app in apps:
        await app.stop()


async def knows_device(person: EncryptedPerson, app: App) -> None:
    """Until the person's client knows the bot's device (the bot has joined, and its keys
    were queried)."""
    backend = app.backends["matrix"]

    async def known() -> bool:
        await person.sync()
        return any(d.id == backend.device_id for d in person.client.device_store.active_user_devices(backend.user_id))

    await wait_until(known, 30, "the bot's device never showed", interval=0.1)


async def answered(app: App, person: EncryptedPerson, room: str, bot_id: str, commands: list[str]) -> dict:
    """The bot's replies by command, once every command has one and the outbox is drained."""
    await person.wait_replies(room, bot_id, commands, timeout=30)
    await asyncio.wait_for(app.drained("matrix"), timeout=30)
    return await person.replies(room, bot_id)


async def test_a_command_in_an_encrypted_room_gets_an_encrypted_reply_the_member_reads(people, bot_account,
                                                                                          start_app):
    alice = await people("alice", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id])
    plain = await alice.create_room(invite=[bot_account.user_id], encrypted=False)
    app = await start_app(bot_account, [room, plain])
    cmd = await alice.say(room, "!odj ajouter Chiffrer nos salons")
    in_plain = await alice.say(plain, "!odj liste")
    replies = await answered(app, alice, room, bot_account.user_id, [cmd])
    assert [body(r) for r in replies[cmd]] == ["Point n°1 ajouté à l'ordre du jour : Chiffrer nos salons"]
    assert await alice.wire_types(room, alice.user_id) == ["m.room.encrypted"]
    assert await alice.wire_types(room, bot_account.user_id) == ["m.room.encrypted"]
    # A plain room stays plain: the reply there is an ordinary event.
    replies = await answered(app, alice, plain, bot_account.user_id, [in_plain])
    assert "Chiffrer nos salons" in body(replies[in_plain][0])
    assert await alice.wire_types(plain, bot_account.user_id) == ["m.room.message"]


async def test_commands_typed_while_the_bot_was_down_are_answered_once_even_under_a_new_room_key(
        people, bot_account, start_app):
    alice = await people("alice", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id])
    app = await start_app(bot_account, [room])
    first = await alice.say(room, "!odj ajouter avant")
    await answered(app, alice, room, bot_account.user_id, [first])
    await app.stop()

    typed = [await alice.say(room, f"!odj ajouter point {i}") for i in range(3)]
    alice.client.invalidate_outbound_session(room)  # a new room key, as after a member leaves
    typed += [await alice.say(room, f"!odj ajouter point {i}") for i in range(3, 6)]
    app = await start_app(bot_account, [room])
    replies = await answered(app, alice, room, bot_account.user_id, typed + [first])
    assert [len(replies[c]) for c in typed + [first]] == [1] * 7
    assert [body(replies[c][0]) for c in typed] == [
        f"Point n°{n} ajouté à l'ordre du jour : point {i}" for i, n in zip(range(6), range(2, 8))]


async def test_a_message_the_bot_cannot_decrypt_is_logged_told_once_and_blocks_nothing(
        people, bot_account, start_app, caplog: pytest.LogCaptureFixture):
    alice, bob = await people("alice", encrypted=True), await people("bob", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])
    await bob.join(room)
    clock = ManualClock(datetime.now(timezone.utc))
    app = await start_app(bot_account, [room], clock=clock)
    caplog.set_level(logging.WARNING, logger="bot.backends.matrix")
    await knows_device(alice, app)
    alice.shun(bot_account.user_id)  # her client shares no room key with the bot's device
    unreadable = [await alice.say(room, "!agenda"), await alice.say(room, "!odj liste")]
    cmd = await bob.say(room, "!odj ajouter lisible")
    replies = await answered(app, bob, room, bot_account.user_id, [cmd])
    assert "lisible" in body(replies[cmd][0])  # nothing waits behind what could not be read

    session = alice.client.olm.outbound_group_sessions[room].id
    logged = [r.getMessage() for r in caplog.records if "cannot decrypt" in r.getMessage()]
    assert len(logged) == 2 and all(alice.user_id in line and session in line for line in logged), logged
    # After the grace, still no key: the room is told, once for her session.
    clock.advance(timedelta(seconds=app.backends["matrix"].unreadable_grace + 1))
    replies = await answered(app, bob, room, bot_account.user_id, [unreadable[0]])
    told = [r for rs in replies.values() for r in rs if UNREADABLE in body(r)]
    assert [body(r) for r in replies[unreadable[0]]] == [body(told[0])] and len(told) == 1
    assert unreadable[1] not in replies


async def test_a_room_key_that_comes_late_is_used_then_and_the_command_answered_once(
        people, bot_account, start_app, caplog: pytest.LogCaptureFixture):
    alice = await people("alice", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id])
    clock = ManualClock(datetime.now(timezone.utc))  # not moved: the grace never ends
    app = await start_app(bot_account, [room], clock=clock)
    device = app.backends["matrix"].device_id
    await knows_device(alice, app)
    await app.stop()
    # Synapse gives a device at most 100 to-device messages per sync: with 120 waiting, the
    # room key alice's client sends with her command comes in the sync after the command.
    for i in range(120):
        r = await alice.client.to_device(ToDeviceMessage("org.example.noise", bot_account.user_id, device, {"n": i}))
        assert not hasattr(r, "status_code"), r
    cmd = await alice.say(room, "!odj ajouter arrivé en retard")
    caplog.set_level(logging.INFO, logger="bot.backends.matrix")
    app = await start_app(bot_account, [room], clock=clock)
    replies = await answered(app, alice, room, bot_account.user_id, [cmd])
    assert [body(r) for r in replies[cmd]] == ["Point n°1 ajouté à l'ordre du jour : arrivé en retard"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("cannot decrypt" in m and cmd in m for m in messages), messages
    assert any("came late" in m and cmd in m for m in messages), messages
    assert not any(UNREADABLE in body(r) for rs in replies.values() for r in rs)


async def test_a_wiped_store_makes_a_new_device_and_replies_go_on(people, bot_account, start_app, tmp_path,
                                                                   caplog: pytest.LogCaptureFixture):
    alice = await people("alice", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id])
    app = await start_app(bot_account, [room])
    old = app.backends["matrix"].device_id
    first = await alice.say(room, "!odj ajouter un")
    await answered(app, alice, room, bot_account.user_id, [first])
    await app.stop()

    shutil.rmtree(crypto_settings(tmp_path)["store_path"])
    caplog.set_level(logging.WARNING, logger="bot.backends.matrix")
    app = await start_app(bot_account, [room])
    new = app.backends["matrix"].device_id
    assert new != old
    assert await app.backends["matrix"].state.get("device_id") == new
    warned = [r.getMessage() for r in caplog.records if "new device" in r.getMessage()]
    assert len(warned) == 1 and f"Remove device {old}" in warned[0], warned
    second = await alice.say(room, "!odj ajouter deux")
    replies = await answered(app, alice, room, bot_account.user_id, [first, second])
    assert [len(replies[c]) for c in (first, second)] == [1, 1]
    assert "deux" in body(replies[second][0])


async def test_with_trust_verified_only_the_listed_devices_can_read_the_bot(people, bot_account, start_app):
    alice, bob = await people("alice", encrypted=True), await people("bob", encrypted=True)
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])
    await bob.join(room)
    key = alice.client.olm.account.identity_keys["ed25519"]
    shown = " ".join(key[i:i + 4] for i in range(0, len(key), 4))  # as Element shows a session key
    app = await start_app(bot_account, [room], trust="verified",
                          verified_devices=[f"{alice.user_id} {alice.account.device_id} {shown}",
                                            f"{bob.user_id} {bob.account.device_id} not-his-key"])
    cmd = await alice.say(room, "!odj ajouter entre nous")
    replies = await answered(app, alice, room, bot_account.user_id, [cmd])
    assert "entre nous" in body(replies[cmd][0])
    # Bob's device is listed with a key that is not his: it gets no room key.
    [reply] = [e for e in await bob.events(room) if e["sender"] == bot_account.user_id]
    assert reply["type"] == "m.room.encrypted"


async def test_a_store_the_key_does_not_open_stops_the_bot(people, bot_account, start_bot):
    state = MemoryState()
    bot = await start_bot(bot_account, state=state)
    await bot.stop()
    again = await start_bot(bot_account, state=state, wait_ready=False, store_key="another-key-of-16-chars")
    with pytest.raises(CryptoStoreError, match="does not open with the configured store key"):
        await asyncio.wait_for(again.task, 30)


async def test_without_encryption_the_bot_does_not_start(bot_account, start_bot, monkeypatch):
    monkeypatch.setattr("bot.backends.matrix.crypto.ENCRYPTION_ENABLED", False)
    bot = await start_bot(bot_account, wait_ready=False)
    with pytest.raises(CryptoStoreError, match="encryption is not available"):
        await asyncio.wait_for(bot.task, 30)


async def test_run_with_a_store_path_that_cannot_be_a_directory_exits_1(running_synapse, tmp_path: Path):
    account = running_synapse.register(unique("bot"))
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    config = tmp_path / "config.toml"
    config.write_text(f'[chambre]\ndatabase = "{tmp_path / "chambre.db"}"\n[matrix]\n'
                      f'homeserver = "{running_synapse.url}"\nuser_id = "{account.user_id}"\n'
                      f'store_path = "{blocker / "crypto"}"\n', encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CHAMBRE_")},
           "CHAMBRE_MATRIX_PASSWORD": account.password, "CHAMBRE_MATRIX_STORE_KEY": STORE_KEY}
    proc = subprocess.run([*chambre_bot(), "run", "-c", str(config)], env=env, capture_output=True, text=True,
                          timeout=90, stdin=subprocess.DEVNULL)
    assert proc.returncode == 1
    assert f"matrix: the crypto store {blocker / 'crypto'} cannot be used" in proc.stderr
    assert "Traceback" not in proc.stderr and STORE_KEY not in proc.stderr and account.password not in proc.stderr
