"""A thin Matrix client-server API client: the dozen endpoints the bot uses, over aiohttp.

Why not matrix-nio's AsyncClient for the bot itself: nio validates every sync response
against JSON schemas and builds a full room model the bot does not need; a bot that only
reads messages and power levels is faster and smaller with plain JSON. (The tests' human
users are nio clients.)

Errors come out as two kinds: `Unavailable` (the homeserver is away, overloaded or
unreachable: try again later) and `MatrixError` (it answered no, with an errcode).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import aiohttp

CLIENT = "/_matrix/client/v3"


class Unavailable(Exception):
    """The homeserver did not answer usefully (connection refused, timeout, 502/503/504)."""


class MatrixError(Exception):
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


def q(part: str) -> str:
    """Quote one path segment (room ids, aliases, event ids, transaction ids)."""
    return quote(part, safe="")


class MatrixAPI:
    def __init__(self, homeserver: str, session: aiohttp.ClientSession) -> None:
        self.base = homeserver.rstrip("/")
        self.session = session
        self.access_token: str | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: dict | None = None,
        timeout: float = 30.0,
    ) -> dict:
        headers = {}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        try:
            async with self.session.request(
                method,
                self.base + path,
                params=params,
                json=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as e:
            raise Unavailable(f"{method} {path}: {type(e).__name__}: {e}") from None
        if status in (502, 503, 504):
            raise Unavailable(f"{method} {path}: HTTP {status}")
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            if status >= 500:
                raise Unavailable(f"{method} {path}: HTTP {status}") from None
            raise MatrixError(status, "M_NOT_JSON", raw[:200].decode(errors="replace")) from None
        if status >= 400 or not isinstance(data, dict):
            data = data if isinstance(data, dict) else {}
            raise MatrixError(
                status,
                data.get("errcode", "M_UNKNOWN"),
                data.get("error", ""),
                data.get("retry_after_ms"),
            )
        return data

    # -- the endpoints -----------------------------------------------------------------------

    async def login(self, user_id: str, password: str, device_id: str | None, device_name: str) -> dict:
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user_id},
            "password": password,
            "initial_device_display_name": device_name,
        }
        if device_id:
            body["device_id"] = device_id
        return await self.request("POST", CLIENT + "/login", body=body)

    async def whoami(self) -> dict:
        return await self.request("GET", CLIENT + "/account/whoami")

    async def sync(self, since: str | None, filter_json: str, timeout_ms: int) -> dict:
        query: dict[str, Any] = {"filter": filter_json, "timeout": timeout_ms, "set_presence": "offline"}
        if since:
            query["since"] = since
        return await self.request("GET", CLIENT + "/sync", query=query, timeout=timeout_ms / 1000 + 30)

    async def messages(self, room_id: str, start: str, end: str | None, filter_json: str, limit: int) -> dict:
        query = {"from": start, "to": end, "dir": "b", "limit": limit, "filter": filter_json}
        return await self.request("GET", f"{CLIENT}/rooms/{q(room_id)}/messages", query=query)

    async def join(self, room: str) -> str:
        r = await self.request("POST", f"{CLIENT}/join/{q(room)}", body={})
        return r["room_id"]

    async def leave(self, room_id: str) -> None:
        await self.request("POST", f"{CLIENT}/rooms/{q(room_id)}/leave", body={})

    async def resolve_alias(self, alias: str) -> str:
        r = await self.request("GET", f"{CLIENT}/directory/room/{q(alias)}")
        return r["room_id"]

    async def state_event(self, room_id: str, event_type: str, state_key: str = "",
                          whole_event: bool = False) -> dict | None:
        """The content of a state event (or the whole event, with its sender); None if unset."""
        try:
            return await self.request(
                "GET",
                f"{CLIENT}/rooms/{q(room_id)}/state/{q(event_type)}/{q(state_key)}",
                query={"format": "event"} if whole_event else None,
            )
        except MatrixError as e:
            if e.status == 404:
                return None
            raise

    async def send(self, room_id: str, event_type: str, txn_id: str, content: dict) -> str:
        r = await self.request(
            "PUT", f"{CLIENT}/rooms/{q(room_id)}/send/{q(event_type)}/{q(txn_id)}", body=content
        )
        return r["event_id"]

    async def create_room(self, body: dict) -> str:
        r = await self.request("POST", CLIENT + "/createRoom", body=body)
        return r["room_id"]

    async def get_account_data(self, user_id: str, event_type: str) -> dict | None:
        try:
            return await self.request("GET", f"{CLIENT}/user/{q(user_id)}/account_data/{q(event_type)}")
        except MatrixError as e:
            if e.status == 404:
                return None
            raise

    async def set_account_data(self, user_id: str, event_type: str, content: dict) -> None:
        await self.request("PUT", f"{CLIENT}/user/{q(user_id)}/account_data/{q(event_type)}", body=content)
