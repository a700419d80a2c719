"""The Matrix backend: a sync loop that delivers commands, and a sender the outbox calls.

What it promises (see base.py for the contract):
- **Nothing lost.** The sync token is saved in BackendState only after every event of that
  sync was delivered. When a sync is `limited` (more happened than one response holds, e.g.
  while the bot was down), the gap is fetched back with /messages down to the previous sync
  position, so fifteen or five hundred commands typed while the bot was away are all
  handled. Commands older than `max_command_age` are logged and skipped.
- **Nothing twice.** Replies are sent with transaction id = `Outgoing.send_key`; Synapse
  dedups transaction ids per device, so the access token and device id are kept in
  BackendState and reused after a restart (a password login asks for the same device).
- **Who is an organiser** comes from the room's power levels (and, from room version 12 on,
  the room's creators, who outrank every power level).
- **Rooms**: the configured rooms are joined at start; invites are accepted from the
  configured rooms, users and servers (`invites_from`), and declined otherwise.
- **Direct messages** to an organiser go to one DM room per person, found again through the
  bot's `m.direct` account data and a copy in BackendState; created when none exists.

All homeserver traffic goes through matrix-nio's AsyncClient (the library asked for). The
sync, the full `m.room.create` event and the `m.direct` write have no nio call that keeps
what the bot needs without cost, so they go through nio's own request path (`Api` builds
the request, `AsyncClient._send` sends it) and come back as the homeserver's JSON: no
schema check over the whole sync (one odd event must not cost a whole sync) and no room
model the bot does not read.
"""
from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    MessageDirection,
    Response,
    RoomPreset,
    RoomVisibility,
)
from nio.api import Api

from bot.backends.base import (Backend, BackendConfigError, BackendState, BackendStatus, Deliver, Incoming, Outgoing,
                               RetryLater)
from bot.clock import Clock

log = logging.getLogger(__name__)

# Only what the bot reads: messages, and the state that says who is an organiser.
_ROOM_EVENT_TYPES = ["m.room.message", "m.room.power_levels", "m.room.create"]
SYNC_FILTER = json.dumps(
    {
        "presence": {"types": []},
        "account_data": {"types": ["m.direct"]},
        "room": {
            "timeline": {"limit": 100, "types": _ROOM_EVENT_TYPES, "lazy_load_members": True},
            "state": {"types": ["m.room.power_levels", "m.room.create"], "lazy_load_members": True},
            "ephemeral": {"types": []},
            "account_data": {"types": []},
        },
    },
    separators=(",", ":"),
)
GAP_FILTER = {"types": ["m.room.message"], "lazy_load_members": True}
# Room versions in which the creators outrank every power level (MSC4289, "hydra").
_CREATORS_PRIVILEGED = {"12", "org.matrix.hydra.11"}
_INFINITE = float("inf")
# A homeserver refuses an event whose canonical JSON exceeds 65,536 bytes (413 M_TOO_LARGE,
# the spec's size limit). That counts the envelope the server adds around our content: room
# and sender ids (up to 255 bytes each), hashes, signatures, up to ten prev events and the
# auth events, a few KiB in all (more with the longer event ids of room versions 1 and 2).
MAX_EVENT_BYTES = 65_536
ENVELOPE_RESERVE = 8_192
MAX_CONTENT_BYTES = MAX_EVENT_BYTES - ENVELOPE_RESERVE


def content_size(content: dict) -> int:
    """The content's size as the homeserver counts it: canonical JSON (no spaces, UTF-8)."""
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


# nio's own retries are off (429s and connection errors come back to the bot, which turns
# them into RetryLater or its own backoff); no sync tokens or keys stored by nio.
NIO_CONFIG = AsyncClientConfig(
    max_limit_exceeded=0,
    max_timeouts=0,
    request_timeout=30,
    store_sync_tokens=False,
    encryption_enabled=False,
)


class MatrixLoginError(BackendConfigError):
    """The bot cannot log in (no secret, wrong password): a configuration problem."""


class Unavailable(Exception):
    """The homeserver did not answer usefully (connection refused, timeout, 502/503/504)."""


class NotAHomeserver(Exception):
    """Something answered at the configured address, but not the Matrix client API."""


class MatrixError(Exception):
    """The homeserver answered no, with an errcode."""

    def __init__(self, status: int, errcode: str, error: str, retry_after_ms: int | None = None) -> None:
        super().__init__(f"{status} {errcode}: {error}")
        self.status = status
        self.errcode = errcode
        self.error = error
        self.retry_after_ms = retry_after_ms

    @property
    def rate_limited(self) -> bool:
        return self.errcode == "M_LIMIT_EXCEEDED" or self.status == 429

    @property
    def retry_after(self) -> float:
        return (self.retry_after_ms or 1000) / 1000


@dataclass
class _Json(Response):
    """A nio response that is the homeserver's JSON as it came (errors included)."""

    body: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, parsed_dict: Any, *_: Any) -> "_Json":
        return cls(parsed_dict if isinstance(parsed_dict, dict) else {})


def _checked(resp: Any) -> Any:
    """A nio response, or MatrixError / Unavailable for the homeserver's no."""
    transport = resp.transport_response
    status = transport.status if transport is not None else 0
    if isinstance(resp, _Json):
        if status < 400:
            return resp.body
        errcode, error, retry = resp.body.get("errcode"), resp.body.get("error"), resp.body.get("retry_after_ms")
    elif isinstance(resp, ErrorResponse):
        errcode, error, retry = resp.status_code, resp.message, resp.retry_after_ms
    else:
        return resp
    if status in (502, 503, 504) or (status >= 500 and not errcode):
        raise Unavailable(f"HTTP {status}")
    raise MatrixError(status, str(errcode or "M_UNKNOWN"), str(error or ""),
                      retry if isinstance(retry, int) else None)


class _Stopped(Exception):
    pass


class MatrixBackend(Backend):
    name = "matrix"

    # Tunables (class attributes so tests and the benchmark can adjust an instance).
    sync_timeout_ms = 30_000
    gap_page_size = 100
    gap_max_pages = 200
    backoff_first = 0.25
    backoff_max = 10.0
    ready_wait = 10.0  # how long send() waits for the first login before RetryLater
    # On a first start, how long an address that does not answer as a homeserver is retried
    # before it is called a configuration error.
    first_start_timeout = 30.0
    probe_timeout = 10.0
    max_delivery_attempts = 5

    def __init__(self, config: Any, state: BackendState, clock: Clock | None = None) -> None:
        self.config = config
        self.state = state
        self.clock = clock or Clock()
        self.user_id: str = config.user_id
        self.device_id: str | None = None
        self._client: AsyncClient | None = None
        self._ready = asyncio.Event()
        self._stopping = asyncio.Event()
        self._run_task: asyncio.Task | None = None
        self._aliases: dict[str, str] = {}  # alias -> room id
        self._configured_ids: set[str] = set()  # configured rooms, as room ids
        self._power: dict[str, dict] = {}  # room id -> m.room.power_levels content
        self._create: dict[str, dict] = {}  # room id -> m.room.create event (sender + content)
        self._direct: dict[str, list[str]] = {}  # m.direct: user -> DM room ids
        self._dm_locks: dict[str, asyncio.Lock] = {}
        self._failures: dict[str, int] = {}  # event id -> failed deliveries
        self.sync_count = 0  # for tests and the benchmark
        self._synced_at: datetime | None = None  # the last sync the homeserver answered (status())

    # -- lifecycle ------------------------------------------------------------------------------

    async def run(self, deliver: Deliver) -> None:
        self._run_task = asyncio.current_task()
        self._stopping.clear()
        self._client = AsyncClient(self.config.homeserver.rstrip("/"), self.config.user_id, config=NIO_CONFIG)
        try:
            await self._reach_homeserver()
            await self._retrying(self._login)
            await self._retrying(self._setup)
            self._ready.set()
            log.info("matrix: %s ready on device %s", self.user_id, self.device_id)
            await self._sync_loop(deliver)
        except _Stopped:
            pass
        finally:
            self._ready.clear()
            client, self._client = self._client, None
            if client is not None:
                await client.close()

    async def stop(self) -> None:
        self._stopping.set()
        task = self._run_task
        if task is not None and task is not asyncio.current_task() and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=10)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                pass

    def status(self) -> BackendStatus:
        """Connected while logged in and the long poll keeps answering: a sync returns at
        least every sync_timeout_ms, so a silence of a minute more means the homeserver is away."""
        recent = self._synced_at is not None and \
            self.clock.now() - self._synced_at <= timedelta(milliseconds=self.sync_timeout_ms, minutes=1)
        return BackendStatus(connected=self._ready.is_set() and recent, last_event=self._synced_at)

    async def _sleep(self, delay: float) -> None:
        """Sleep, or raise _Stopped as soon as stop() is called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        except asyncio.TimeoutError:
            return
        raise _Stopped

    async def _interruptible(self, coro: Any) -> Any:
        """Await `coro` (a long poll) unless stop() comes first."""
        if self._stopping.is_set():
            coro.close()
            raise _Stopped
        task = asyncio.ensure_future(coro)
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not task.done():
            task.cancel()
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
            raise _Stopped
        return task.result()

    @property
    def _nio(self) -> AsyncClient:
        if self._client is None:
            raise Unavailable("not connected")
        return self._client

    async def _call(self, request: Awaitable[Any]) -> Any:
        """Await a nio request: its response, or MatrixError / Unavailable."""
        try:
            resp = await request
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise Unavailable(f"{type(e).__name__}: {e}") from None
        return _checked(resp)

    async def _raw(self, method: str, path: list[str], query: dict[str, str] | None = None,
                   body: dict | None = None, timeout: float | None = None) -> dict:
        """A request nio has no call for, through nio's own session and auth: the JSON."""
        data = Api.to_json(body) if body is not None else None
        return await self._call(
            self._nio._send(_Json, method, Api._build_path(path, query), data, timeout=timeout)
        )

    async def _probe(self) -> None:
        """Return if the configured address answers as a Matrix homeserver (its list of
        client API versions); else raise Unavailable (no answer, a gateway error) or
        NotAHomeserver (something else answered)."""
        try:
            resp = await self._nio._send(_Json, "GET", "/_matrix/client/versions", timeout=self.probe_timeout)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise Unavailable(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__) from None
        status = resp.transport_response.status if resp.transport_response is not None else 0
        if status in (502, 503, 504):
            raise Unavailable(f"HTTP {status}")
        if status == 200 and isinstance(resp.body.get("versions"), list):
            return
        raise NotAHomeserver(f"HTTP {status}" + ("" if resp.body else ", not JSON"))

    async def _connected_before(self) -> bool:
        stored = await self.state.get("homeserver")
        if stored is not None:
            return stored == self.config.homeserver
        # A database from before the address was kept: a sync or a login means it was reached.
        return bool(await self.state.get("sync_token")) or (
            bool(await self.state.get("access_token")) and await self.state.get("user_id") == self.config.user_id)

    async def _reach_homeserver(self) -> None:
        """Until the configured address answers as a homeserver. Once the bot has been
        connected to it, an outage is waited out however long it lasts; on a first start, an
        address that never answered as a homeserver is a mistake in the configuration, said
        at once when something else answers, else after `first_start_timeout`."""
        known = await self._connected_before()
        url = self.config.homeserver
        deadline = asyncio.get_running_loop().time() + self.first_start_timeout
        delay = self.backoff_first
        while True:
            if self._stopping.is_set():
                raise _Stopped
            try:
                await self._probe()
                break
            except NotAHomeserver as e:
                if not known:
                    raise BackendConfigError(f"matrix: {url} is not a Matrix homeserver (it answered {e} to "
                                             "/_matrix/client/versions); check [matrix] homeserver") from None
                log.warning("matrix: homeserver answers %s; retrying in %.1fs", e, delay)
            except Unavailable as e:
                if not known and asyncio.get_running_loop().time() + delay > deadline:
                    raise BackendConfigError(f"matrix: no Matrix homeserver answered at {url} for "
                                             f"{self.first_start_timeout:g} seconds ({e}); check [matrix] homeserver "
                                             "and that the server runs") from None
                log.warning("matrix: homeserver away (%s); retrying in %.1fs", e, delay)
            await self._sleep(delay * (1 + random.random() / 4))
            delay = min(delay * 2, self.backoff_max)
        if not known:
            await self.state.set("homeserver", url)

    async def _retrying(self, step: Any) -> None:
        """Run a start-up step until the homeserver answers."""
        delay = self.backoff_first
        while True:
            if self._stopping.is_set():
                raise _Stopped
            try:
                return await step()
            except Unavailable as e:
                log.warning("matrix: homeserver away (%s); retrying in %.1fs", e, delay)
            except MatrixError as e:
                if not e.rate_limited:
                    raise
                delay = max(delay, e.retry_after)
            await self._sleep(delay * (1 + random.random() / 4))
            delay = min(delay * 2, self.backoff_max)

    # -- login ----------------------------------------------------------------------------------

    async def _login(self) -> None:
        client = self._nio
        # The environment variables are read once, by the configuration loader.
        configured = self.config.access_token
        if configured:
            client.access_token = configured
            who = await self._call(client.whoami())
            self.user_id = who.user_id or self.user_id
            self.device_id = who.device_id
            return
        same_user = await self.state.get("user_id") == self.config.user_id
        stored = await self.state.get("access_token") if same_user else None
        device_id = await self.state.get("device_id") if same_user else None
        if stored:
            client.restore_login(self.config.user_id, device_id or "", stored)
            try:
                who = await self._call(client.whoami())
                self.device_id = who.device_id or device_id
                client.device_id = self.device_id
                return
            except MatrixError as e:
                if e.errcode != "M_UNKNOWN_TOKEN":
                    raise
                log.warning("matrix: the stored access token was revoked; logging in again")
                client.access_token = ""
        password = self.config.password
        if not password:
            raise MatrixLoginError(
                "matrix: no access token and no password (set [matrix] password or "
                "CHAMBRE_MATRIX_PASSWORD for the first start)"
            )
        # A password login asking for the stored device: the same device after a restart or
        # a revoked token, so that Synapse's transaction-id dedup still holds.
        client.user = self.config.user_id
        client.device_id = device_id or ""
        try:
            r = await self._call(client.login(password, device_name=self.config.device_name))
        except MatrixError as e:
            if e.rate_limited:
                raise
            raise MatrixLoginError(f"matrix: login as {self.config.user_id} refused: {e}") from None
        self.user_id = r.user_id
        self.device_id = r.device_id
        # The device id first: should we die between the two writes, the next login still
        # asks for the same device.
        await self.state.set("user_id", self.config.user_id)
        await self.state.set("device_id", self.device_id)
        await self.state.set("access_token", r.access_token)

    async def _relogin(self) -> None:
        await self.state.set("access_token", "")
        self._nio.access_token = ""
        await self._retrying(self._login)

    # -- rooms ----------------------------------------------------------------------------------

    async def _setup(self) -> None:
        client = self._nio
        for room in self.config.rooms:
            try:
                room_id = (await self._call(client.join(room))).room_id
            except MatrixError as e:
                if e.rate_limited:
                    raise
                log.error("matrix: cannot join configured room %s: %s", room, e)
                if room.startswith("!"):
                    self._configured_ids.add(room)
                continue
            self._configured_ids.add(room_id)
            if room.startswith("#"):
                self._aliases[room] = room_id
        try:
            direct = (await self._call(client.list_direct_rooms())).rooms
        except MatrixError as e:
            if e.status != 404:
                raise
            direct = {}
        self._set_direct(direct if isinstance(direct, dict) else {})
        # DM rooms the bot made but could not record in m.direct before a crash.
        cached = await self.state.get("dm_rooms")
        if cached:
            changed = False
            for user, room_id in json.loads(cached).items():
                if room_id not in self._direct.get(user, []):
                    self._direct.setdefault(user, []).insert(0, room_id)
                    changed = True
            if changed:
                await self._save_direct()

    def _set_direct(self, content: dict) -> None:
        self._direct = {
            user: [r for r in rooms if isinstance(r, str)]
            for user, rooms in content.items()
            if isinstance(rooms, list)
        }

    @property
    def _dm_rooms(self) -> set[str]:
        return {r for rooms in self._direct.values() for r in rooms}

    async def _save_direct(self) -> None:
        await self._raw("PUT", ["user", self.user_id, "account_data", "m.direct"], body=self._direct)
        await self.state.set("dm_rooms", json.dumps({u: rs[0] for u, rs in self._direct.items() if rs}))

    def _invite_allowed(self, room_id: str, inviter: str | None, invite_state: list[dict]) -> bool:
        if room_id in self._configured_ids:
            return True
        configured_aliases = {r for r in self.config.rooms if r.startswith("#")}
        for ev in invite_state:
            if ev.get("type") == "m.room.canonical_alias":
                content = ev.get("content") or {}
                names = {content.get("alias")} | set(content.get("alt_aliases") or [])
                if names & configured_aliases:
                    return True
        if inviter is None:
            return False
        server = inviter.split(":", 1)[1] if ":" in inviter else ""
        allowed = set(self.config.invites_from)
        return inviter in allowed or server in allowed

    async def _handle_invite(self, room_id: str, invite: dict) -> None:
        client = self._nio
        events = (invite.get("invite_state") or {}).get("events") or []
        mine = next(
            (e for e in events if e.get("type") == "m.room.member" and e.get("state_key") == self.user_id),
            None,
        )
        inviter = mine.get("sender") if mine else None
        if not self._invite_allowed(room_id, inviter, events):
            log.info("matrix: declining invite to %s from %s", room_id, inviter)
            try:
                await self._call(client.room_leave(room_id))
            except MatrixError as e:
                log.warning("matrix: could not decline invite to %s: %s", room_id, e)
            return
        log.info("matrix: accepting invite to %s from %s", room_id, inviter)
        try:
            await self._call(client.join(room_id))
        except MatrixError as e:
            if e.rate_limited:
                raise
            log.warning("matrix: could not join %s: %s", room_id, e)
            return
        if mine and (mine.get("content") or {}).get("is_direct") and inviter:
            rooms = self._direct.setdefault(inviter, [])
            if room_id not in rooms:
                rooms.insert(0, room_id)
                await self._save_direct()

    # -- organisers ------------------------------------------------------------------------------

    async def power_level(self, room_id: str, user_id: str) -> float:
        if room_id not in self._create:
            # The whole event (its sender is the creator): nio's call returns the content only.
            try:
                ev = await self._raw("GET", ["rooms", room_id, "state", "m.room.create", ""],
                                     {"format": "event"})
            except MatrixError as e:
                if e.status != 404:
                    raise
                ev = {}
            self._create[room_id] = {"content": ev.get("content") or {}, "sender": ev.get("sender")}
        create = self._create[room_id]
        content = create.get("content") or {}
        if content.get("room_version", "1") in _CREATORS_PRIVILEGED:
            creators = {create.get("sender")} | set(content.get("additional_creators") or [])
            if user_id in creators:
                return _INFINITE
        if room_id not in self._power:
            try:
                r = await self._call(self._nio.room_get_state_event(room_id, "m.room.power_levels"))
                self._power[room_id] = r.content if isinstance(r.content, dict) else {}
            except MatrixError as e:
                if e.status != 404:
                    raise
                self._power[room_id] = {}
        levels = self._power[room_id]
        if not levels:
            return 100 if user_id == create.get("sender") else 0
        users = levels.get("users") or {}
        try:
            return float(users.get(user_id, levels.get("users_default", 0)))
        except (TypeError, ValueError):
            return 0

    def _note_state(self, room_id: str, ev: dict) -> None:
        if ev.get("state_key") != "":
            return
        if ev.get("type") == "m.room.power_levels":
            self._power[room_id] = ev.get("content") or {}
        elif ev.get("type") == "m.room.create":
            self._create[room_id] = {"content": ev.get("content") or {}, "sender": ev.get("sender")}

    async def _is_organiser(self, room_id: str, user_id: str) -> bool:
        needed = self.config.organiser_power_level
        if needed is None:
            return False
        try:
            return await self.power_level(room_id, user_id) >= needed
        except MatrixError as e:
            log.warning("matrix: cannot read power levels of %s: %s", room_id, e)
            return False

    # -- receiving -------------------------------------------------------------------------------

    async def _sync(self, since: str | None, timeout_ms: int) -> dict:
        """One /sync as the homeserver's JSON (see the module docstring)."""
        client = self._nio
        method, path = Api.sync(client.access_token, since=since, timeout=timeout_ms,
                                filter=SYNC_FILTER, set_presence="offline")
        return await self._call(client._send(_Json, method, path, timeout=timeout_ms / 1000 + 30))

    async def _sync_loop(self, deliver: Deliver) -> None:
        since = await self.state.get("sync_token") or None
        delay = self.backoff_first
        caught_up = False  # the first sync after start returns at once: catch up, then wait
        while not self._stopping.is_set():
            try:
                timeout = self.sync_timeout_ms if caught_up else 0
                resp = await self._interruptible(self._sync(since, timeout))
                await self._handle_sync(resp, since, deliver)
            except _Stopped:
                raise
            except Unavailable as e:
                log.warning("matrix: homeserver away (%s); retrying in %.1fs", e, delay)
                await self._sleep(delay * (1 + random.random() / 4))
                delay = min(delay * 2, self.backoff_max)
                continue
            except MatrixError as e:
                if e.rate_limited:
                    await self._sleep(e.retry_after)
                elif e.errcode == "M_UNKNOWN_TOKEN":
                    log.warning("matrix: access token refused; logging in again")
                    await self._relogin()
                else:
                    log.error("matrix: sync failed: %s; retrying in %.1fs", e, delay)
                    await self._sleep(delay)
                    delay = min(delay * 2, self.backoff_max)
                continue
            except Exception:
                log.exception("matrix: handling a sync failed; retrying it in %.1fs", delay)
                await self._sleep(delay)
                delay = min(delay * 2, self.backoff_max)
                continue
            delay = self.backoff_first
            caught_up = True
            self._synced_at = self.clock.now()
            since = resp["next_batch"]
            # One turn of the loop first: the outbox, woken by these deliveries, reaches the
            # database before this write and sends the replies without waiting for it.
            await asyncio.sleep(0)
            # Only now: every event of this sync was delivered.
            await self.state.set("sync_token", since)
            self.sync_count += 1

    async def _handle_sync(self, resp: dict, since: str | None, deliver: Deliver) -> None:
        for ev in (resp.get("account_data") or {}).get("events") or []:
            if ev.get("type") == "m.direct":
                self._set_direct(ev.get("content") or {})
        rooms = resp.get("rooms") or {}
        for room_id in (rooms.get("leave") or {}):
            self._power.pop(room_id, None)
            self._create.pop(room_id, None)
        for room_id, invite in (rooms.get("invite") or {}).items():
            await self._handle_invite(room_id, invite)
        for room_id, room in (rooms.get("join") or {}).items():
            for ev in (room.get("state") or {}).get("events") or []:
                self._note_state(room_id, ev)
            timeline = room.get("timeline") or {}
            events = list(timeline.get("events") or [])
            if timeline.get("limited") and timeline.get("prev_batch"):
                events = await self._fetch_gap(room_id, timeline["prev_batch"], since) + events
            seen: set[str] = set()
            for ev in events:
                event_id = ev.get("event_id")
                if not event_id or event_id in seen:
                    continue
                seen.add(event_id)
                if "state_key" in ev:
                    self._note_state(room_id, ev)
                    continue
                msg = await self._incoming(room_id, ev)
                if msg is not None:
                    await self._deliver(deliver, msg)

    async def _fetch_gap(self, room_id: str, prev_batch: str, since: str | None) -> list[dict]:
        """The messages between the previous sync position (or the age limit) and this
        sync's timeline, oldest first."""
        client = self._nio
        cutoff_ms = self._cutoff().timestamp() * 1000
        chunks: list[dict] = []
        token = prev_batch
        for _ in range(self.gap_max_pages):
            r = await self._call(client.room_messages(
                room_id, start=token, end=since, direction=MessageDirection.back,
                limit=self.gap_page_size, message_filter=GAP_FILTER,
            ))
            chunk = [e.source for e in r.chunk]
            chunks.extend(chunk)
            if not chunk or not r.end or r.end == token:
                break
            if chunk[-1].get("origin_server_ts", 0) < cutoff_ms:
                break
            token = r.end
        else:
            log.warning("matrix: gap in %s longer than %d pages; older messages skipped",
                        room_id, self.gap_max_pages)
        if chunks:
            log.info("matrix: fetched %d missed events in %s", len(chunks), room_id)
        chunks.reverse()
        return chunks

    def _cutoff(self) -> datetime:
        age = self.config.max_command_age
        if not isinstance(age, timedelta):
            age = timedelta(seconds=float(age))
        return self.clock.now() - age

    async def _incoming(self, room_id: str, ev: dict) -> Incoming | None:
        if ev.get("type") != "m.room.message" or ev.get("sender") == self.user_id:
            return None
        content = ev.get("content") or {}
        # Only what a person typed: no notices (other bots), no edits, nothing but text.
        if content.get("msgtype") != "m.text" or not isinstance(content.get("body"), str):
            return None
        relates = content.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace" or "m.new_content" in content:
            return None
        sent_at = datetime.fromtimestamp(ev.get("origin_server_ts", 0) / 1000, tz=timezone.utc)
        if sent_at < self._cutoff():
            log.info(
                "matrix: skipping %s from %s in %s: sent %s, older than max_command_age",
                ev.get("event_id"), ev.get("sender"), room_id, sent_at.isoformat(),
            )
            return None
        text = content["body"]
        if "m.in_reply_to" in relates:
            text = _strip_reply_fallback(text)
        thread = relates.get("event_id") if relates.get("rel_type") == "m.thread" else None
        return Incoming(
            backend=self.name,
            room=room_id,
            sender=ev["sender"],
            text=text,
            event_id=ev["event_id"],
            sent_at=sent_at,
            thread=thread,
            sender_is_organiser=await self._is_organiser(room_id, ev["sender"]),
            is_direct=room_id in self._dm_rooms,
        )

    async def _deliver(self, deliver: Deliver, msg: Incoming) -> None:
        try:
            await deliver(msg)
        except asyncio.CancelledError:
            raise
        except Exception:
            n = self._failures.get(msg.event_id, 0) + 1
            self._failures[msg.event_id] = n
            if n >= self.max_delivery_attempts:
                # A message the core cannot take must not stop every message after it.
                log.exception("matrix: giving up on %s after %d failed deliveries", msg.event_id, n)
                return
            raise
        self._failures.pop(msg.event_id, None)

    # -- sending ---------------------------------------------------------------------------------

    async def send(self, out: Outgoing) -> None:
        if not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), timeout=self.ready_wait)
            except asyncio.TimeoutError:
                raise RetryLater("matrix: not connected yet", delay=1.0) from None
        try:
            await self._send(out, retried=False)
        except Unavailable as e:
            raise RetryLater(f"matrix: homeserver away: {e}", delay=2.0) from None
        except MatrixError as e:
            if e.rate_limited:
                raise RetryLater(f"matrix: rate limited: {e}", delay=e.retry_after) from None
            if e.status >= 500:
                raise RetryLater(f"matrix: server error: {e}", delay=2.0) from None
            raise

    async def _send(self, out: Outgoing, retried: bool) -> None:
        client = self._client
        if client is None or not client.access_token:
            raise RetryLater("matrix: not connected", delay=1.0)
        room_id = await self._target(out)
        try:
            await self._call(client.room_send(room_id, "m.room.message", self._content(out),
                                               tx_id=out.send_key))
        except MatrixError as e:
            if e.status != 403 or retried:
                raise
            # Not (or no longer) in that room: a DM the person left, an announce room not
            # joined yet. Join or make a new DM, then try once more.
            if out.dm_user:
                log.warning("matrix: DM room %s for %s refused a message; making a new one",
                            room_id, out.dm_user)
                self._direct[out.dm_user] = [r for r in self._direct.get(out.dm_user, []) if r != room_id]
                await self._save_direct()
            else:
                await self._call(client.join(room_id))
            await self._send(out, retried=True)

    def fits(self, out: Outgoing) -> bool:
        """Plain and HTML bodies together, with the reply relation, within one event."""
        return content_size(self._content(out)) <= MAX_CONTENT_BYTES

    def _content(self, out: Outgoing) -> dict:
        content: dict[str, Any] = {
            "msgtype": "m.notice",
            "body": out.body.plain(),
            "format": "org.matrix.custom.html",
            "formatted_body": out.body.html(),
            "m.mentions": {},  # intentional mentions: this message pings nobody
        }
        relates: dict[str, Any] = {}
        if out.thread:
            relates = {"rel_type": "m.thread", "event_id": out.thread, "is_falling_back": out.reply_to is None}
            relates["m.in_reply_to"] = {"event_id": out.reply_to or out.thread}
        elif out.reply_to:
            relates = {"m.in_reply_to": {"event_id": out.reply_to}}
        if relates:
            content["m.relates_to"] = relates
        return content

    async def _target(self, out: Outgoing) -> str:
        if out.dm_user:
            return await self.dm_room(out.dm_user)
        room = out.room
        if not room:
            raise ValueError(f"outgoing message {out.send_key} has neither room nor dm_user")
        if room.startswith("#"):
            if room not in self._aliases:
                self._aliases[room] = (await self._call(self._nio.room_resolve_alias(room))).room_id
            return self._aliases[room]
        return room

    async def dm_room(self, user_id: str) -> str:
        """The DM room with `user_id`, made (and recorded) when there is none."""
        lock = self._dm_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            rooms = self._direct.get(user_id) or []
            if rooms:
                return rooms[0]
            r = await self._call(self._nio.room_create(
                visibility=RoomVisibility.private,
                preset=RoomPreset.trusted_private_chat,
                is_direct=True,
                invite=[user_id],
            ))
            room_id = r.room_id
            log.info("matrix: created DM room %s for %s", room_id, user_id)
            self._direct[user_id] = [room_id]
            await self._save_direct()
            return room_id


def _strip_reply_fallback(body: str) -> str:
    """Drop the quoted '> <@someone> ...' lines older clients put before a reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    if i < len(lines) and lines[i] == "":
        i += 1
    return "\n".join(lines[i:])
