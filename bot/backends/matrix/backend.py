"""MatrixBackend: the parts put together (see __init__.py for the map), and the contract of
bot/backends/base.py kept: run, send, stop, fits, and which rooms and people are Matrix's."""
from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from bot.backends.base import Backend, BackendState, BackendStatus, CommandAge, Deliver, Outgoing, RetryLater
from bot.backends.dm_rooms import DmRooms
from bot.backends.matrix import send
from bot.backends.matrix.crypto import Crypto, StoreMismatch
from bot.backends.matrix.direct import DirectRooms
from bot.backends.matrix.lifecycle import Lifecycle, Stopped
from bot.backends.matrix.login import Login
from bot.backends.matrix.power import PowerLevels
from bot.backends.matrix.rooms import Rooms
from bot.backends.matrix.sync import Sync
from bot.backends.matrix.transport import Transport
from bot.backoff import Backoff
from bot.clock import Clock
from bot.config import MatrixConfig

log = logging.getLogger(__name__)


class MatrixBackend(Backend):
    name = "matrix"

    # Tunables (class attributes so tests and the benchmark can adjust an instance).
    sync_timeout_ms = 30_000
    timeline_limit = 100  # events per room in one sync; more makes the sync `limited`, and a gap is fetched
    gap_page_size = 100
    gap_max_pages = 200
    backoff_first = 0.25
    backoff_max = 10.0
    ready_wait = 10.0  # how long send() waits for the first login before RetryLater
    # On a first start, how long an address that does not answer as a homeserver is retried
    # before it is called a configuration error.
    first_start_timeout = 30.0
    probe_timeout = 10.0
    stop_wait = 10.0  # how long stop() waits for run() to return
    unreadable_grace = Crypto.unreadable_grace  # how long a late room key is waited for

    def __init__(self, config: MatrixConfig, state: BackendState, clock: Clock | None = None) -> None:
        self.config = config
        self.state = state
        self.clock = clock or Clock()
        self.life = Lifecycle(self.clock)
        self.transport = Transport(config.homeserver, config.user_id, config.store_path or "", config.store_key or "")
        self.age = CommandAge(self.name, config.max_command_age, self.clock)
        self.crypto = Crypto(self.transport, config, state, self.clock, self.age)
        self.login = Login(self.transport, config, state, self.crypto)
        self.direct = DirectRooms(self.transport, DmRooms(state), lambda: self.login.user_id, self.crypto)
        self.rooms = Rooms(self.transport, config, self.direct, lambda: self.login.user_id)
        self.power = PowerLevels(self.transport, config.organiser_power_level)
        self.sender = send.Sender(self.transport, self.rooms, self.direct, self.crypto)
        self._ready = asyncio.Event()
        self._set_up = asyncio.Event()  # the configured rooms joined, the DM rooms read
        self._run_task: asyncio.Task[Any] | None = None
        self._sync: Sync | None = None

    @property
    def user_id(self) -> str:
        return self.login.user_id

    @property
    def device_id(self) -> str | None:
        return self.login.device_id

    @property
    def sync_count(self) -> int:
        """Syncs handled (each one's events all delivered), for tests and the benchmark."""
        return self._sync.count if self._sync is not None else 0

    def _backoff(self) -> Backoff:
        return Backoff(first=self.backoff_first, maximum=self.backoff_max)

    # -- what it serves -------------------------------------------------------------------------

    def serves(self, target: str) -> str | None:
        """Room ids (!…) and aliases (#…)."""
        return target if target.startswith(("!", "#")) else None

    def dm_user(self, person: str) -> str | None:
        """Matrix user ids (@name:server)."""
        return person if person.startswith("@") and ":" in person else None

    def default_rooms(self) -> list[str]:
        return list(self.config.rooms)

    def link(self, room: str, event_id: str) -> str | None:
        """A matrix.to link to the event, as Element's "Share" gives it."""
        return send.permalink(room, event_id)

    def names(self, room: str) -> list[str]:
        return self.rooms.aliases_of(room)

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self, deliver: Deliver) -> None:
        self._run_task = asyncio.current_task()
        self.life.stopping.clear()
        self.crypto.check_directory()
        self.crypto.unreadable_grace = self.unreadable_grace
        self.transport.open()
        sync = Sync(self.transport, self.state, self.life, self._backoff(), self.age, self.power, self.rooms,
                    self.direct, self.crypto, lambda: self.login.user_id, self._relogin)
        sync.timeout_ms, sync.timeline_limit = self.sync_timeout_ms, self.timeline_limit
        sync.gap_page_size, sync.gap_max_pages = self.gap_page_size, self.gap_max_pages
        self._sync = sync
        setup: asyncio.Task[None] | None = None
        try:
            await self.login.reach(self.life, self._backoff(), self.first_start_timeout, self.probe_timeout)
            await self.life.retrying(self._connect, self._backoff())
            self._ready.set()
            log.info("matrix: %s ready on device %s", self.user_id, self.device_id)
            # Joining the configured rooms and reading the DM rooms need not hold up the first
            # sync: a room joined now shows in the next one.
            setup = asyncio.create_task(self._setup_in_background())
            await sync.run(deliver)
        except Stopped:
            pass
        finally:
            self._ready.clear()
            if setup is not None:
                setup.cancel()
                await asyncio.gather(setup, return_exceptions=True)
            self._set_up.clear()
            await self.crypto.close()
            await self.transport.close()

    async def _connect(self) -> None:
        """Logged in, with encryption working and the device's keys on the server."""
        await self.login.login()
        self.crypto.check_active()
        try:
            await self.crypto.upload_keys()
        except StoreMismatch as e:
            await self.login.new_device(str(e))
            self.crypto.check_active()
            await self.crypto.upload_keys()
        await self.crypto.started(self.login.device_id or "")

    async def _setup_in_background(self) -> None:
        try:
            await self.life.retrying(self._setup, self._backoff())
        except Stopped:
            return
        except Exception:
            log.exception("matrix: joining the configured rooms failed")
        finally:
            self._set_up.set()  # a DM is sent with what is known, whatever happened here

    async def _setup(self) -> None:
        await asyncio.gather(self.rooms.join_configured(), self.direct.load())

    async def _relogin(self) -> None:
        await self.login.forget_token()
        await self.life.retrying(self.login.login, self._backoff())

    async def stop(self) -> None:
        self.life.stopping.set()
        await self.life.wait_for_end(self._run_task, self.stop_wait)

    def status(self) -> BackendStatus:
        """Connected while logged in and the long poll keeps answering: a sync returns at
        least every sync_timeout_ms, so a silence of a minute more means the homeserver is away."""
        synced_at = self._sync.synced_at if self._sync is not None else None
        recent = synced_at is not None and \
            self.clock.now() - synced_at <= timedelta(milliseconds=self.sync_timeout_ms, minutes=1)
        return BackendStatus(connected=self._ready.is_set() and recent, last_event=synced_at)

    # -- sending ---------------------------------------------------------------------------------

    async def send(self, out: Outgoing) -> str | None:
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), timeout=self.ready_wait)
            except asyncio.TimeoutError:
                raise RetryLater("matrix: not connected yet") from None
        if out.dm_user and not self._set_up.is_set():
            try:  # the DM rooms the bot already has are read first
                await asyncio.wait_for(self._set_up.wait(), timeout=self.ready_wait)
            except asyncio.TimeoutError:
                raise RetryLater("matrix: DM rooms not read yet") from None
        return await self.sender.send(out)

    def fits(self, out: Outgoing) -> bool:
        return send.fits(out)
