"""Fixtures for the Matrix tests: one real Synapse for the whole run, fresh accounts per
test, people who type commands through matrix-nio, and a running MatrixBackend."""
from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from nio import AsyncClient, AsyncClientConfig, RoomCreateError, RoomPreset, SyncResponse
from nio.store import SqliteStore

from bot.backends.base import Incoming
from bot.backends.matrix import MatrixBackend
from bot.config import MatrixConfig
from bot.clock import Clock
from tests.matrix.synapse import Account, Synapse
from tests.support import MemoryState, wait_until  # noqa: F401  (MemoryState re-exported for the tests here)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Any:
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def running_synapse(synapse: Synapse) -> Synapse:
    """The shared Synapse, started again if an earlier test stopped it."""
    if synapse.proc is None:
        synapse.start()
    return synapse


# The bot's own configuration record, built directly (no TOML file) in these tests.
BotConfig = MatrixConfig
STORE_KEY = "a-test-store-key-not-the-default"


def crypto_settings(where: Path) -> dict[str, str]:
    """The crypto store settings for a bot whose files live under `where`."""
    return {"store_path": str(where / "crypto"), "store_key": STORE_KEY}


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def room_history(client, room_id: str, types: list[str]) -> list[dict]:
    """The room's events of these types, oldest first (raw JSON), page after page."""
    out: list[dict] = []
    start = None
    while True:
        r = await client.room_messages(room_id, start=start, limit=1000, message_filter={"types": types})
        assert hasattr(r, "chunk"), r
        out.extend(e.source for e in r.chunk)
        if not r.chunk or not r.end or r.end == start:
            break
        start = r.end
    out.reverse()
    return out


class Person:
    """A member of the Chambre in a Matrix client: creates rooms, types, reads replies."""

    def __init__(self, synapse: Synapse, account: Account) -> None:
        self.account = account
        self.user_id = account.user_id
        self.client = AsyncClient(
            synapse.url, account.user_id, device_id=account.device_id,
            config=AsyncClientConfig(store_sync_tokens=False, encryption_enabled=False),
        )
        self.client.access_token = account.access_token
        self.client.user_id = account.user_id

    async def create_room(self, invite: list[str] = (), alias: str | None = None,
                          power: dict[str, int] | None = None, direct: bool = False) -> str:
        override = None
        if power:
            override = {"users": dict(power)}  # room v12: the creator is not listed
        r = await self.client.room_create(
            alias=alias, invite=list(invite), is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            power_level_override=override,
        )
        assert not isinstance(r, RoomCreateError), r
        return r.room_id

    async def invite(self, room_id: str, user_id: str) -> None:
        r = await self.client.room_invite(room_id, user_id)
        assert getattr(r, "status_code", None) is None, r

    async def join(self, room_id: str) -> None:
        r = await self.client.join(room_id)
        assert hasattr(r, "room_id"), r

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        content = {"msgtype": "m.text", "body": text, **extra}
        r = await self.client.room_send(room_id, "m.room.message", content)
        assert hasattr(r, "event_id"), r
        return r.event_id

    async def events(self, room_id: str) -> list[dict]:
        """Every message event of the room, oldest first (raw JSON)."""
        return await room_history(self.client, room_id, ["m.room.message"])

    async def replies(self, room_id: str, bot_id: str) -> dict[str, list[dict]]:
        """The bot's replies in the room, by the event id of the command they answer."""
        by_command: dict[str, list[dict]] = {}
        for ev in await self.events(room_id):
            if ev.get("sender") != bot_id:
                continue
            target = ((ev["content"].get("m.relates_to") or {}).get("m.in_reply_to") or {}).get("event_id")
            by_command.setdefault(target, []).append(ev)
        return by_command

    async def wait_replies(self, room_id: str, bot_id: str, commands: list[str],
                           timeout: float = 20.0) -> dict[str, list[dict]]:
        """Wait until every command in `commands` has a reply. (To count replies, first wait
        until the bot's outbox is drained: App.drained, or outbox_settled for a process.)"""
        got: dict[str, list[dict]] = {}

        async def all_answered() -> bool:
            got.update(await self.replies(room_id, bot_id))
            return all(c in got for c in commands)

        def unanswered() -> str:
            missing = [c for c in commands if c not in got]
            return f"{len(missing)} of {len(commands)} commands unanswered: {missing[:5]}"

        await wait_until(all_answered, timeout, unanswered, interval=0.1)
        return got

    async def close(self) -> None:
        await self.client.close()


ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


class EncryptedPerson(Person):
    """A member whose client encrypts, as Element does: a device with its own crypto store,
    which syncs to receive room keys, and shares its own with every device in the room."""

    def __init__(self, synapse: Synapse, account: Account, store: Path) -> None:
        self.account = account
        self.user_id = account.user_id
        store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            synapse.url, account.user_id, device_id=account.device_id, store_path=str(store),
            config=AsyncClientConfig(store_sync_tokens=False, encryption_enabled=True, store=SqliteStore,
                                     pickle_key="a-person's-own-store-key"),
        )
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self._since: str | None = None
        # The same account read without decrypting: what the homeserver holds.
        self.wire = Person(synapse, account)

    async def sync(self) -> None:
        """One sync, and what a client does after it: keys published, devices queried,
        sessions made, to-device messages sent."""
        r = await self.client.sync(timeout=0, since=self._since, full_state=self._since is None)
        assert isinstance(r, SyncResponse), r
        self._since = r.next_batch
        if self.client.should_upload_keys:
            await self.client.keys_upload()
        if self.client.should_query_keys:
            await self.client.keys_query()
        if self.client.should_claim_keys:
            await self.client.keys_claim(self.client.get_users_for_key_claiming())
        await self.client.send_to_device_messages()

    async def create_room(self, invite: list[str] = (), alias: str | None = None,
                          power: dict[str, int] | None = None, direct: bool = False,
                          encrypted: bool = True) -> str:
        r = await self.client.room_create(
            alias=alias, invite=list(invite), is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            power_level_override={"users": dict(power)} if power else None,
            initial_state=[ENCRYPTION] if encrypted else [],
        )
        assert not isinstance(r, RoomCreateError), r
        await self.sync()
        return r.room_id

    async def join(self, room_id: str) -> None:
        await super().join(room_id)
        await self.sync()

    async def say(self, room_id: str, text: str, **extra: Any) -> str:
        await self.sync()  # who is in the room now, and their devices
        content = {"msgtype": "m.text", "body": text, **extra}
        r = await self.client.room_send(room_id, "m.room.message", content, ignore_unverified_devices=True)
        assert hasattr(r, "event_id"), r
        return r.event_id

    async def events(self, room_id: str) -> list[dict]:
        """Every message of the room, oldest first: decrypted where the client has the key,
        else the encrypted event (type m.room.encrypted)."""
        await self.sync()
        return await room_history(self.client, room_id, ["m.room.message", "m.room.encrypted"])

    async def wire_types(self, room_id: str, sender: str) -> list[str]:
        """The type of each event `sender` sent in the room, as the homeserver holds it."""
        r = await self.wire.client.room_messages(room_id, limit=1000,
                                                 message_filter={"types": ["m.room.message", "m.room.encrypted"]})
        assert hasattr(r, "chunk"), r
        return [e.source["type"] for e in reversed(r.chunk) if e.source.get("sender") == sender]

    async def close(self) -> None:
        await self.wire.close()
        await super().close()

    def shun(self, user_id: str) -> None:
        """Share no room key with any device of `user_id` (a member who blacklisted them)."""
        for device in self.client.device_store.active_user_devices(user_id):
            self.client.blacklist_device(device)


@pytest.fixture
async def people(running_synapse: Synapse, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """people(name) -> a Person; people(name, encrypted=True) -> an EncryptedPerson."""
    made: list[Person] = []

    async def make(name: str, encrypted: bool = False) -> Person:
        account = running_synapse.register(unique(name))
        person = (EncryptedPerson(running_synapse, account, tmp_path / "people" / account.user_id) if encrypted
                  else Person(running_synapse, account))
        made.append(person)
        if isinstance(person, EncryptedPerson):
            await person.sync()
        return person

    yield make
    for p in made:
        await p.close()


class Recorder:
    """A `deliver` that records what the core would get."""

    def __init__(self) -> None:
        self.messages: list[Incoming] = []
        self.arrived = asyncio.Event()

    async def __call__(self, msg: Incoming) -> None:
        self.messages.append(msg)
        self.arrived.set()

    def texts(self) -> list[str]:
        return [m.text for m in self.messages]

    async def wait_for(self, predicate: Callable[[list[Incoming]], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.messages):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out; got {self.texts()}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout=remaining)
            except asyncio.TimeoutError:
                pass


class RunningBot:
    def __init__(self, backend: MatrixBackend, recorder: Recorder, task: asyncio.Task) -> None:
        self.backend = backend
        self.recorder = recorder
        self.task = task

    async def stop(self) -> None:
        await self.backend.stop()
        await asyncio.wait_for(self.task, timeout=15)


@pytest.fixture
def bot_account(running_synapse: Synapse) -> Account:
    return running_synapse.register(unique("bot"))


@pytest.fixture
async def start_bot(running_synapse: Synapse, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """start_bot(account, state=None, clock=None, deliver=None, **config) -> RunningBot, ready."""
    running: list[RunningBot] = []

    async def start(account: Account, state: MemoryState | None = None, clock: Clock | None = None,
                    deliver: Any = None, wait_ready: bool = True, **config: Any) -> RunningBot:
        config.setdefault("password", account.password)
        for key, value in crypto_settings(tmp_path).items():
            config.setdefault(key, value)
        cfg = BotConfig(homeserver=running_synapse.url, user_id=account.user_id, **config)
        backend = MatrixBackend(cfg, state if state is not None else MemoryState(), clock or Clock())
        recorder = Recorder()
        task = asyncio.create_task(backend.run(deliver or recorder))
        bot = RunningBot(backend, recorder, task)
        running.append(bot)
        if wait_ready:
            await wait_until(lambda: backend.sync_count or task.done(), 20, "bot never synced")
            if task.done():
                task.result()
        return bot

    yield start
    for bot in running:
        if not bot.task.done():
            await bot.stop()
        elif not bot.task.cancelled() and bot.task.exception() is not None:
            pass  # a test that expected a failure already looked at it
