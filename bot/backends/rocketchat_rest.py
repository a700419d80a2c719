"""Rocket.Chat REST client: auth headers, rate limits and re-authentication in one place.

Every action the bot takes goes through REST (docs/rocketchat-protocol.md: the DDP methods
are deprecated and mostly removed in 9.0). Auth failures are keyed on the HTTP status, never
on the body, because the 401/403 bodies changed in 8.0. A rate limit's wait is on the bot's
clock (bot/clock.py).
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable

import aiohttp

from bot.backends.base import BackendConfigError
from bot.clock import Clock

log = logging.getLogger(__name__)


class RocketChatError(Exception):
    """A Rocket.Chat call that failed for a reason retrying will not fix."""


class RocketChatAuthError(RocketChatError, BackendConfigError):
    """The credentials are refused and there is no way to get new ones: the bot must stop."""


class RocketChatApiError(RocketChatError):
    def __init__(self, status: int, body: Any, route: str) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        super().__init__(f"{route}: HTTP {status}: {error or body!r}")
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.route = route

    @property
    def error(self) -> str:
        return str(self.body.get("error") or "")

    @property
    def error_type(self) -> str:
        return str(self.body.get("errorType") or "")


class RocketChatTransient(RocketChatError):
    """The server is away, overloaded or rate limiting: try again after `delay` seconds."""

    def __init__(self, reason: str, delay: float) -> None:
        super().__init__(reason)
        self.delay = delay


class RocketChatNotRocketChat(RocketChatError):
    """Something answered at the configured URL, but not as a Rocket.Chat server does."""


class RocketChatNotReached(RocketChatError, BackendConfigError):
    """On first start, nothing at the configured URL ever answered as Rocket.Chat: a
    configuration error (wrong URL, port or name), not an outage to wait out."""


def why_unreachable(exc: BaseException) -> str:
    """A short, human reason for a failed connection: what an operator can act on."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "the name does not resolve"
    if isinstance(exc, aiohttp.ClientConnectorError):
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection refused"
        return f"cannot connect ({exc.os_error})"
    if isinstance(exc, asyncio.TimeoutError):
        return "no answer in time"
    return f"{exc.__class__.__name__}: {exc}"


def parse_version(text: Any) -> tuple[int, ...] | None:
    """A server version as numbers: "6.3" -> (6, 3), "8.0.0-rc.1" -> (8, 0, 0); None if unreadable."""
    match = re.match(r"\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text or ""))
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


_WAIT_SECONDS = re.compile(r"wait (\d+) seconds")


def parse_date(value: Any) -> datetime | None:
    """One parser for both transports: EJSON {"$date": ms} on DDP, ISO 8601 on REST."""
    if value is None:
        return None
    if isinstance(value, dict) and "$date" in value:
        return datetime.fromtimestamp(value["$date"] / 1000, tz=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    if isinstance(value, str):
        text = value.replace("Z", "+00:00") if value.endswith("Z") else value
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def iso(when: datetime) -> str:
    """The ISO form Rocket.Chat writes: UTC, milliseconds, Z."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class RestClient:
    """Calls /api/v1/<endpoint> with the auth headers.

    `reauth` is called on a 401: it must obtain fresh credentials (password login) and
    return, or raise RocketChatAuthError. A 429 is waited out, except for calls made with
    `no_wait=True` (sends), which raise RocketChatTransient so the outbox can retry later.
    """

    def __init__(
        self,
        base_url: str,
        clock: Clock,
        *,
        timeout: float = 30.0,
        rate_limit_min_wait: float = 1.0,
        rate_limit_max_wait: float = 120.0,
        max_rate_limit_waits: int = 5,
        server_retry_delay: float = 5.0,
    ) -> None:
        self.root = base_url.rstrip("/")
        self.clock = clock
        self.base = self.root + "/api/v1/"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.user_id: str | None = None
        self.token: str | None = None
        self.reauth: Callable[[str | None], Awaitable[None]] | None = None
        self._min_wait = rate_limit_min_wait
        self._max_wait = rate_limit_max_wait
        self._max_waits = max_rate_limit_waits
        self._retry_delay = server_retry_delay  # after a 5xx or an unreachable server
        self._session: aiohttp.ClientSession | None = None
        self.closed = False
        # route -> the instant (on the bot's clock) before which the server said we have no calls left
        self._blocked_until: dict[str, datetime] = {}

    @property
    def session(self) -> aiohttp.ClientSession:
        if self.closed:
            # After stop(): a late send must not open a session nobody will close.
            raise RocketChatTransient("the Rocket.Chat client is stopped", self._retry_delay)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def close(self) -> None:
        self.closed = True
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def set_credentials(self, user_id: str, token: str) -> None:
        self.user_id, self.token = user_id, token

    def _headers(self, auth: bool) -> dict[str, str]:
        if not auth:
            return {}
        if not (self.user_id and self.token):
            raise RocketChatAuthError("no Rocket.Chat credentials")
        return {"X-Auth-Token": self.token, "X-User-Id": self.user_id}

    def _rate_wait(self, resp_headers: Any, body: Any) -> float:
        """How long the server asks us to wait. X-RateLimit-Reset is an instant on the server's
        own clock (epoch milliseconds): turned into a wait with the machine's wall clock, the
        only one that can be compared with it; the wait itself is then on the bot's clock."""
        reset = resp_headers.get("X-RateLimit-Reset")
        if reset is not None:
            try:
                return min(max(int(reset) / 1000 - time.time(), self._min_wait), self._max_wait)
            except ValueError:
                pass
        match = _WAIT_SECONDS.search(str(body.get("error", "")) if isinstance(body, dict) else "")
        if match:
            return min(max(float(match.group(1)), self._min_wait), self._max_wait)
        return max(self._min_wait, 5.0)

    async def server_info(self, timeout: float) -> dict[str, Any]:
        """GET /api/info (outside /api/v1, no auth): `{"version": "6.3", ...}`. Any user may
        read the major and minor version; only the patch level is reserved to admins.
        Raises RocketChatTransient when nothing answers, RocketChatNotRocketChat when
        something answers without a version (a plain web server, a proxy's error page)."""
        try:
            async with self.session.get(self.root + "/api/info", timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                status, kind = resp.status, resp.content_type
                try:
                    body = await resp.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise RocketChatTransient(why_unreachable(exc), self._retry_delay) from exc
        if status >= 500:
            raise RocketChatTransient(f"/api/info answered HTTP {status}", self._retry_delay)
        if status != 200 or not isinstance(body, dict) or parse_version(body.get("version")) is None:
            raise RocketChatNotRocketChat(f"/api/info answered HTTP {status} ({kind or 'no body'}) without a Rocket.Chat version")
        return body

    async def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        auth: bool = True,
        no_wait: bool = False,
    ) -> dict[str, Any]:
        route = f"{endpoint}:{method}"
        reauthed = False
        waits = 0
        while True:
            until = self._blocked_until.get(route)
            blocked = (until - self.clock.now()).total_seconds() if until is not None else 0.0
            if blocked > 0:
                if no_wait and blocked > 0.25:  # a short wait is cheaper than a round through the outbox
                    raise RocketChatTransient(f"{endpoint}: rate limited", blocked)
                await self.clock.sleep(min(blocked, self._max_wait))
            sent_token = self.token
            try:
                async with self.session.request(
                    method, self.base + endpoint, params=params, json=json, headers=self._headers(auth)
                ) as resp:
                    status = resp.status
                    headers = resp.headers
                    try:
                        body = await resp.json(content_type=None)
                    except ValueError:
                        body = {}
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                raise RocketChatTransient(f"{endpoint}: {exc.__class__.__name__}: {exc}", self._retry_delay) from exc

            remaining = headers.get("X-RateLimit-Remaining")
            if remaining == "0" and status != 429:
                self._blocked_until[route] = self.clock.now() + timedelta(seconds=self._rate_wait(headers, body))
            if status == 429:
                delay = self._rate_wait(headers, body)
                self._blocked_until[route] = self.clock.now() + timedelta(seconds=delay)
                waits += 1
                log.info("rocketchat %s rate limited, waiting %.2fs", endpoint, delay)
                if no_wait or waits > self._max_waits:
                    raise RocketChatTransient(f"{endpoint}: rate limited", delay)
                await self.clock.sleep(delay)
                continue
            if status == 401 and auth:
                if reauthed or self.reauth is None:
                    raise RocketChatAuthError(f"{endpoint}: credentials refused (HTTP 401)")
                reauthed = True
                await self.reauth(sent_token)
                continue
            if status >= 500:
                raise RocketChatTransient(f"{endpoint}: HTTP {status}", self._retry_delay)
            if status >= 400 or (isinstance(body, dict) and body.get("success") is False):
                raise RocketChatApiError(status, body, endpoint)
            return body if isinstance(body, dict) else {}

