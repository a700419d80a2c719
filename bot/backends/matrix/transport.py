"""Talking to the homeserver: one matrix-nio AsyncClient, and what its answers mean.

Every request goes through nio's public API. The typed calls (login, whoami, join, leave,
room_send with its transaction id, room_messages, room_create, room_resolve_alias,
room_get_state_event, list_direct_rooms) come back as nio responses, and `call` turns an
error response into `MatrixError` or `Unavailable`. Four requests have no typed call that
keeps what the bot needs; they go through `AsyncClient.send`, nio's public raw request on
its own session, with the paths built here, and come back as the homeserver's JSON (`json`):
- `/sync`: nio's `sync()` checks the whole response against its schemas (one odd event
  would cost the whole sync) and builds a room model the bot does not read;
- `/_matrix/client/versions`, the first-start probe: nio has no call for it;
- the `m.room.create` event with its sender (`?format=event`): `room_get_state_event`
  returns the content only, and from room version 12 the creator is the event's sender;
- writing `m.direct`: nio reads that account data (`list_direct_rooms`) but cannot write it.

nio's own retries are off: rate limits and outages come back to the bot, which has one
backoff and one delivery policy for them (bot/backoff.py, bot/app.py).

Encryption is nio's (vodozemac), with its store in a directory of the bot's choosing,
protected by the bot's own key; crypto.py says how the bot uses it.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable
from urllib.parse import quote, urlencode

import aiohttp
from nio import AsyncClient, AsyncClientConfig, ErrorResponse
from nio.store import SqliteStore

from bot.backends.base import BackendConfigError

CLIENT_API = "/_matrix/client/v3"


def nio_config(store_key: str) -> AsyncClientConfig:
    """No sync tokens stored by nio (the bot keeps its own, in its database); encryption on,
    with the whole store in one SQLite file per device (trust included), under our key."""
    return AsyncClientConfig(
        max_limit_exceeded=0,
        max_timeouts=0,
        request_timeout=30,
        store_sync_tokens=False,
        encryption_enabled=True,
        store=SqliteStore,
        pickle_key=store_key,
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


def api_path(*segments: str) -> str:
    """A client API path, each segment escaped (room ids hold `!` and `:`, aliases `#`)."""
    return CLIENT_API + "/" + "/".join(quote(segment, safe="") for segment in segments)


def _refusal(status: int, errcode: Any, error: Any, retry: Any) -> Exception:
    if status in (502, 503, 504) or (status >= 500 and not errcode):
        return Unavailable(f"HTTP {status}")
    return MatrixError(status, str(errcode or "M_UNKNOWN"), str(error or ""), retry if isinstance(retry, int) else None)


def _unreachable(e: BaseException) -> Unavailable:
    return Unavailable(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)


class Transport:
    """The AsyncClient of one run of the backend (opened by `open`, closed by `close`)."""

    def __init__(self, homeserver: str, user_id: str, store_path: str, store_key: str) -> None:
        self.homeserver = homeserver.rstrip("/")
        self.user_id = user_id
        self.store_path, self.store_key = store_path, store_key
        self._client: AsyncClient | None = None

    def open(self) -> None:
        self._client = AsyncClient(self.homeserver, self.user_id, store_path=self.store_path,
                                   config=nio_config(self.store_key))

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    @property
    def client(self) -> AsyncClient:
        if self._client is None:
            raise Unavailable("not connected")
        return self._client

    @property
    def logged_in(self) -> bool:
        return self._client is not None and bool(self._client.access_token)

    async def call(self, request: Awaitable[Any]) -> Any:
        """Await a typed nio request: its response, or MatrixError / Unavailable."""
        try:
            resp = await request
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise _unreachable(e) from None
        if isinstance(resp, ErrorResponse):
            transport = resp.transport_response
            raise _refusal(transport.status if transport is not None else 0, resp.status_code, resp.message,
                           resp.retry_after_ms)
        return resp

    async def _request(self, method: str, path: str, query: dict[str, str] | None, body: dict[str, Any] | None,
                       timeout: float | None) -> tuple[int, dict[str, Any] | None]:
        """One raw request through nio's session: the status and the JSON object (None when
        the answer is not one)."""
        client = self.client
        headers = {"Content-Type": "application/json"}
        if client.access_token:
            headers["Authorization"] = f"Bearer {client.access_token}"
        url = path + ("?" + urlencode(query) if query else "")
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else None
        try:
            resp = await client.send(method, url, data, headers, timeout=timeout)
            try:
                raw = await resp.read()
            finally:
                resp.release()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise _unreachable(e) from None
        try:
            parsed = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            parsed = None
        return resp.status, parsed if isinstance(parsed, dict) else None

    async def json(self, method: str, path: str, query: dict[str, str] | None = None, body: dict[str, Any] | None = None,
                   timeout: float | None = None) -> dict[str, Any]:
        """A request nio has no typed call for (see the module docstring): the JSON answer,
        or MatrixError / Unavailable."""
        status, answer = await self._request(method, path, query, body, timeout)
        if status < 400:
            return answer or {}
        answer = answer or {}
        raise _refusal(status, answer.get("errcode"), answer.get("error"), answer.get("retry_after_ms"))

    async def probe(self, timeout: float) -> None:
        """Return if the address answers as a Matrix homeserver (its list of client API
        versions); else raise Unavailable (no answer, a gateway error) or NotAHomeserver
        (something else answered)."""
        status, answer = await self._request("GET", "/_matrix/client/versions", None, None, timeout)
        if status in (502, 503, 504):
            raise Unavailable(f"HTTP {status}")
        if status == 200 and answer is not None and isinstance(answer.get("versions"), list):
            return
        raise NotAHomeserver(f"HTTP {status}" + ("" if answer is not None else ", not JSON"))
