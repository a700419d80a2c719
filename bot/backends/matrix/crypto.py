"""Encrypted rooms: the crypto store, the keys, decrypting what comes in and encrypting what
goes out, and the messages that cannot be read.

The machinery is matrix-nio's (vodozemac); this module decides how the bot uses it:
- **The store** is one SQLite file per device in `[matrix] store_path`, encrypted with
  `[matrix] store_key` (never nio's default key). A store that does not open (a wrong key,
  a directory that cannot be written) stops the bot with one sentence: with no store, nio
  would quietly send plain text into encrypted rooms.
- **A store lost while its device id is kept** cannot be repaired: the device's keys are on
  the server and in other people's clients, and the new store's keys clash with them. The
  login (login.py) then makes a new device, never reusing the old id, and says which old
  device the operator should remove.
- **Keys** are uploaded before the first sync; each sync is shown to nio (room keys from
  other devices, device lists, which rooms are encrypted) before its messages are read;
  devices are queried and one-time keys topped up after it.
- **Sending** into an encrypted room shares the room key with the members' devices first
  (nio's `room_send`), with every device (`trust = "all"`) or only the ones the operator
  listed (`trust = "verified"`); a plain room gets plain events.
- **A message that cannot be decrypted** (its room key never reached the bot) is logged with
  its sender and session, its key requested, and kept: when the key comes later, the message
  is handled then, once, if still within `max_command_age`. If the key has not come after a
  short grace, the room is told once per sender and session.
"""
from __future__ import annotations

import asyncio
import copy
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

from nio import Event, LocalProtocolError, MatrixRoom, MegolmEvent, SyncResponse
from nio.crypto import ENCRYPTION_ENABLED
from nio.exceptions import EncryptionError
from nio.store import SqliteStore

from bot.backends.base import BackendConfigError, BackendState, CommandAge, Deliver, Incoming, RetryLater
from bot.backends.matrix.transport import MatrixError, Transport
from bot.clock import Clock
from bot.config import MatrixConfig

log = logging.getLogger(__name__)

NAME = "matrix"


class CryptoStoreError(BackendConfigError):
    """The crypto store cannot be used (the key does not open it, the directory cannot be
    written, encryption is not available): the bot does not start."""


class StoreMismatch(Exception):
    """The homeserver already holds other keys for this device: this store is not the one the
    device was made with (lost, or restored from an older copy)."""


def store_file(store_path: str, user_id: str, device_id: str) -> Path:
    """Where nio's SqliteStore keeps the keys of one device."""
    return Path(store_path) / f"{user_id}_{device_id}.db"


@dataclass
class Unread:
    """A message the bot could not decrypt yet."""

    room_id: str
    event: dict[str, Any]  # the encrypted event, as the homeserver sent it
    sender: str
    session_id: str
    sent_at: datetime


class Crypto:
    # Tunables (the backend copies its own onto these; tests adjust them).
    unreadable_grace = 10.0  # seconds a key may take to arrive before the room is told
    room_wait = 10.0  # how long a send waits for a sync to show a room just joined or made
    max_unread = 500  # undecrypted messages kept, waiting for their keys

    def __init__(self, transport: Transport, config: MatrixConfig, state: BackendState, clock: Clock,
                 age: CommandAge) -> None:
        self.transport, self.config, self.state, self.clock, self.age = transport, config, state, clock, age
        self.trust = config.trust
        self.verified = _verified_devices(config.verified_devices)
        self._unread: dict[str, Unread] = {}  # event id -> message waiting for its key
        self._told: set[tuple[str, str]] = set()  # (sender, session) the room was told about
        self._decrypted: dict[str, dict[str, Any]] = {}  # event id -> decrypted event, from the last sync
        self._synced = asyncio.Event()  # set after each sync nio was shown
        self._first_sync = asyncio.Event()
        self._keys_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the store ---------------------------------------------------------------------------

    def check_directory(self) -> None:
        """The store's directory exists (made private if new) and can be written."""
        if not ENCRYPTION_ENABLED:
            raise CryptoStoreError("matrix: encryption is not available (matrix-nio's e2e extra, vodozemac, is not "
                                   "installed): the bot would send plain text into encrypted rooms")
        if not (self.config.store_path and self.config.store_key):
            raise CryptoStoreError("matrix: no crypto store: set [matrix] store_key (or CHAMBRE_MATRIX_STORE_KEY)")
        path = Path(self.config.store_path)
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            probe = path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise CryptoStoreError(f"matrix: the crypto store {path} cannot be used ({e.strerror or e}); "
                                   "check [matrix] store_path") from None

    def has_account(self, user_id: str, device_id: str) -> bool:
        """Whether the store holds this device's own keys (and opens with our key)."""
        if not store_file(self.config.store_path or "", user_id, device_id).exists():
            return False
        store = SqliteStore(user_id, device_id, self.config.store_path or "", self.config.store_key or "")
        try:
            return store.load_account() is not None
        except ValueError:  # vodozemac's pickle error: a MAC mismatch
            raise CryptoStoreError(f"matrix: the crypto store {self.config.store_path} does not open with the "
                                   "configured store key ([matrix] store_key or CHAMBRE_MATRIX_STORE_KEY): give the "
                                   "key it was made with") from None
        finally:
            store.database.close()

    def check_active(self) -> None:
        """After the login: nio holds the device's keys. Without them it would send plain text
        into encrypted rooms without a word."""
        if self.transport.client.olm is None:
            raise CryptoStoreError(f"matrix: encryption is not active (no crypto store loaded from "
                                   f"{self.config.store_path}); the bot does not run without it")

    async def upload_keys(self) -> None:
        """The device's keys and one-time keys, when nio has some to publish: before the first
        sync (a room joined before they are up would send the bot keys it cannot use)."""
        client = self.transport.client
        if not client.should_upload_keys:
            return
        try:
            await self.transport.call(client.keys_upload())
        except MatrixError as e:
            if e.status == 400 and "already exists" in e.error:
                raise StoreMismatch(e.error) from None
            raise

    async def started(self, device_id: str) -> None:
        await self.state.set("crypto_device", device_id)

    async def made_for(self) -> str | None:
        """The device the store was last used with, as the bot's database remembers it."""
        return await self.state.get("crypto_device")

    # -- each sync ---------------------------------------------------------------------------

    async def receive(self, raw: dict[str, Any]) -> None:
        """Show a sync to nio: room keys sent to the bot, devices that changed, rooms and their
        members and encryption. Messages it decrypted are kept for `decrypt`."""
        # A copy: nio's parsers change the dicts they are given (defaults filled in, fields
        # popped), and the bot reads the same sync after nio.
        resp = SyncResponse.from_dict(copy.deepcopy(raw))
        if not isinstance(resp, SyncResponse):
            # nio's schema refused the answer's shape; the bot still reads what it can.
            log.warning("matrix: nio could not read a sync (%s); its room keys are lost", resp)
            return
        try:
            await self.transport.client.receive_response(resp)
        except Exception:
            # Retrying the same sync would fail the same way and stop the bot for good: the
            # bot reads what it can, and what this sync brought nio is lost.
            log.exception("matrix: nio could not take a sync; its room keys and device changes are lost")
        self._decrypted = {
            event.event_id: event.source
            for room in resp.rooms.join.values()
            for event in room.timeline.events
            if getattr(event, "decrypted", False) and getattr(event, "event_id", None)
        }
        self._first_sync.set()
        self._synced.set()
        self._synced = asyncio.Event()

    async def maintain(self) -> None:
        """After a sync: one-time keys topped up, changed devices queried, broken sessions
        mended, and the to-device messages nio queued (key shares, answers) sent."""
        client = self.transport.client
        try:
            if client.should_upload_keys:
                await self.upload_keys()
            async with self._keys_lock:
                if client.should_query_keys:
                    await self.transport.call(client.keys_query())
            if client.should_claim_keys:
                await self.transport.call(client.keys_claim(client.get_users_for_key_claiming()))
            if client.outgoing_to_device_messages:
                await client.send_to_device_messages()
        except Exception as e:  # tried again after the next sync
            log.warning("matrix: key maintenance failed: %s", e)

    # -- incoming ----------------------------------------------------------------------------

    async def decrypt(self, room_id: str, ev: dict[str, Any]) -> dict[str, Any] | None:
        """The decrypted form of an `m.room.encrypted` event (its `type` and `content` as the
        sender wrote them, with the event's id, sender and time), or None when it cannot be
        read now: then it is logged, its key requested, and kept for `late`."""
        event_id = ev.get("event_id")
        if event_id in self._decrypted:
            return self._decrypted[event_id]
        parsed = Event.parse_event(ev)
        if not isinstance(parsed, MegolmEvent):
            log.warning("matrix: encrypted event %s in %s from %s is not Megolm; ignored", event_id, room_id,
                        ev.get("sender"))
            return None
        parsed.room_id = room_id
        try:
            decrypted = self.transport.client.decrypt_event(parsed)
        except EncryptionError as e:
            await self._unreadable(room_id, ev, parsed, str(e))
            return None
        if not getattr(decrypted, "decrypted", False):
            log.warning("matrix: event %s from %s in %s decrypts to nothing usable", event_id, parsed.sender, room_id)
            return None
        source: dict[str, Any] = decrypted.source  # nio's event (nio has no type hints)
        return source

    async def _unreadable(self, room_id: str, ev: dict[str, Any], event: MegolmEvent, why: str) -> None:
        if event.event_id in self._unread:
            return
        sent_at = datetime.fromtimestamp(ev.get("origin_server_ts", 0) / 1000, tz=timezone.utc)
        log.warning("matrix: cannot decrypt %s from %s (device %s) in %s: session %s (%s); key requested",
                    event.event_id, event.sender, event.device_id, room_id, event.session_id, why)
        if self.age.too_old(sent_at, event.event_id, event.sender, room_id):
            return
        self._unread[event.event_id] = Unread(room_id, ev, event.sender, event.session_id, sent_at)
        while len(self._unread) > self.max_unread:
            self._unread.pop(next(iter(self._unread)))
        try:
            await self.transport.call(self.transport.client.request_room_key(event))
        except LocalProtocolError:
            pass  # already requested for this session
        except Exception as e:  # a request is a courtesy: the message is kept all the same
            log.info("matrix: key request for session %s failed: %s", event.session_id, e)

    async def late(self) -> list[tuple[str, dict[str, Any]]]:
        """Messages kept for want of a key that decrypt now (their key came with a later sync),
        each once; messages past `max_command_age` are let go."""
        found: list[tuple[str, dict[str, Any]]] = []
        cutoff = self.age.cutoff()
        for event_id, unread in list(self._unread.items()):
            if unread.sent_at < cutoff:
                del self._unread[event_id]
                continue
            parsed = Event.parse_event(unread.event)
            if not isinstance(parsed, MegolmEvent):
                del self._unread[event_id]
                continue
            parsed.room_id = unread.room_id
            try:
                decrypted = self.transport.client.decrypt_event(parsed)
            except EncryptionError:
                continue
            del self._unread[event_id]
            if getattr(decrypted, "decrypted", False):
                log.info("matrix: the key of %s from %s came late; handling it now", event_id, unread.sender)
                found.append((unread.room_id, decrypted.source))
        return found

    def tell_later(self, deliver: Deliver, thread_of: Callable[[dict[str, Any]], str | None]) -> None:
        """For each sender and session newly unreadable: after the grace, if the message is
        still unread and recent, the room is told (once: the core keeps the mark)."""
        for event_id, unread in self._unread.items():
            key = (unread.sender, unread.session_id)
            if key in self._told:
                continue
            self._told.add(key)
            task = asyncio.create_task(self._tell(event_id, unread, deliver, thread_of(unread.event)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _tell(self, event_id: str, unread: Unread, deliver: Deliver, thread: str | None) -> None:
        await self.clock.sleep(self.unreadable_grace)
        if event_id not in self._unread or unread.sent_at < self.age.cutoff():
            return  # decrypted meanwhile, or too old for a command to matter
        msg = Incoming(backend=NAME, room=unread.room_id, sender=unread.sender, text="", event_id=event_id,
                       sent_at=unread.sent_at, thread=thread, unreadable=f"{unread.sender}|{unread.session_id}")
        try:
            await deliver(msg)
        except Exception:
            log.exception("matrix: could not tell %s that a message was unreadable", unread.room_id)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass

    # -- outgoing ----------------------------------------------------------------------------

    async def prepare(self, room_id: str, join: Callable[[str], Awaitable[None]]) -> bool:
        """Before a send: nio knows the room (after a join or a new DM, once a sync has shown
        it), the members' devices are known and trusted as configured. Whether to send to
        devices no one verified (`ignore_unverified_devices`)."""
        room = await self._room(room_id, join)
        if room.encrypted:
            client = self.transport.client
            async with self._keys_lock:
                if client.should_query_keys:
                    await self.transport.call(client.keys_query())
            self._apply_trust(room)
        return self.trust == "all"

    async def _room(self, room_id: str, join: Callable[[str], Awaitable[None]]) -> MatrixRoom:
        client = self.transport.client
        deadline = asyncio.get_running_loop().time() + self.room_wait
        try:
            await asyncio.wait_for(self._first_sync.wait(), self.room_wait)
        except asyncio.TimeoutError:
            raise RetryLater("matrix: not synced yet") from None
        if room_id not in client.rooms:
            # Not in it when the last sync was made: a room just joined or made, or one never
            # joined (the join says so: a refusal is the outbox's to give up).
            await join(room_id)
        while room_id not in client.rooms:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise RetryLater(f"matrix: no sync has shown room {room_id} yet")
            try:
                await asyncio.wait_for(self._synced.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return client.rooms[room_id]

    async def made(self, room_id: str, complete: Callable[[MatrixRoom], bool]) -> None:
        """After the bot made a room: until a sync has shown nio all of it (`complete`). A
        sync that came while the room was being made may hold only its first events, and a
        message sent then would be plain, or encrypted for no one but the bot."""
        client = self.transport.client
        deadline = asyncio.get_running_loop().time() + self.room_wait
        while not (room_id in client.rooms and complete(client.rooms[room_id])):
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise RetryLater(f"matrix: no sync has shown all of room {room_id} yet")
            try:
                await asyncio.wait_for(self._synced.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def _apply_trust(self, room: MatrixRoom) -> None:
        """`trust = "all"`: every device of the members gets the room key. `"verified"`: only
        the devices listed in `verified_devices` whose session key matches what they
        published; nio leaves the others (blacklisted, here) out."""
        client = self.transport.client
        for user_id in room.users:
            for device in client.device_store.active_user_devices(user_id):
                listed = self.verified.get((user_id, device.id))
                if self.trust == "verified" and listed is not None and listed == device.ed25519:
                    if device.blacklisted:
                        client.unblacklist_device(device)
                    if not device.verified:
                        client.verify_device(device)
                elif self.trust == "verified":
                    if listed is not None:
                        log.warning("matrix: device %s of %s does not have the session key listed in "
                                    "verified_devices; it gets no room keys", device.id, user_id)
                    if not device.blacklisted:
                        client.blacklist_device(device)
                elif device.blacklisted:  # left from a run with trust = "verified"
                    client.unblacklist_device(device)


def _verified_devices(entries: list[str]) -> dict[tuple[str, str], str]:
    """`"@user:server DEVICE session key"` -> {(user, device): key}; the key as Element shows
    it, in groups of four, is the device's ed25519 key without its spaces."""
    out: dict[tuple[str, str], str] = {}
    for entry in entries:
        user, device, *key = entry.split()
        out[(user, device)] = "".join(key)
    return out


def thread_root(ev: dict[str, Any]) -> str | None:
    relates = (ev.get("content") or {}).get("m.relates_to") or {}
    return relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
