"""The Rocket.Chat realtime socket (DDP), used for two things only: `login` with a resume
token and the `stream-room-messages` subscription (docs/rocketchat-protocol.md).

One reader task answers server pings at once, settles method calls and subscriptions, and
queues stream events; one pinger task sends our own pings with an id and declares the link
dead when no pong comes back in time (a half-open TCP connection never closes by itself).
When the link ends for any reason, `events` yields None and every pending call fails.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


class DdpClosed(Exception):
    """The socket went away (close frame, drop, missed pong, server restart)."""


class DdpMethodError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        self.code = error.get("error")
        self.reason = str(error.get("reason") or error.get("message") or error)
        super().__init__(f"DDP error {self.code}: {self.reason}")


def ws_url(base_url: str) -> str:
    """http→ws, https→wss, keep any subpath, add /websocket."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://"):]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://"):]
    return base + "/websocket"


class DdpConnection:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        ping_interval: float,
        pong_timeout: float,
        connect_timeout: float,
    ) -> None:
        self._http = session
        self._url = url
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._connect_timeout = connect_timeout
        self._ids = itertools.count(1)
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._calls: dict[str, asyncio.Future[Any]] = {}
        self._subs: dict[str, asyncio.Future[Any]] = {}
        self._pongs: dict[str, asyncio.Future[Any]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.events: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.closed = asyncio.Event()
        self.close_reason = ""
        self.session_id: str | None = None

    async def open(self) -> None:
        self._ws = await self._http.ws_connect(
            self._url,
            heartbeat=None,
            autoping=True,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=min(self._pong_timeout, 5.0)),
        )
        await self._send({"msg": "connect", "version": "1", "support": ["1"]})
        async with asyncio.timeout(self._connect_timeout):
            while True:
                frame = await self._receive_frame()
                kind = frame.get("msg")
                if kind == "connected":
                    self.session_id = frame.get("session")
                    break
                if kind == "failed":
                    raise DdpClosed(f"server refused DDP version: {frame}")
                if kind == "ping":
                    await self._pong(frame)
                # The welcome frame is {"server_id":"0"} (monolith) or
                # {"msg":"server_id",...} (ddp-streamer): both are ignored, as is anything else.
        self._tasks = [
            asyncio.create_task(self._reader(), name="rocketchat-ddp-reader"),
            asyncio.create_task(self._pinger(), name="rocketchat-ddp-pinger"),
        ]

    async def _receive_frame(self) -> dict[str, Any]:
        assert self._ws is not None
        while True:
            msg = await self._ws.receive()
            if msg.type == aiohttp.WSMsgType.TEXT:
                try:
                    frame = json.loads(msg.data)
                except ValueError:
                    log.warning("rocketchat: unreadable DDP frame %.200r", msg.data)
                    continue
                if isinstance(frame, dict):
                    return frame
                continue
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                raise DdpClosed(f"socket closed (code {self._ws.close_code})")
            if msg.type == aiohttp.WSMsgType.ERROR:
                raise DdpClosed(f"socket error: {msg.data!r}")

    async def _send(self, frame: dict[str, Any]) -> None:
        if self._ws is None or self._ws.closed:
            raise DdpClosed("socket is closed")
        try:
            await self._ws.send_str(json.dumps(frame))
        except (ConnectionError, aiohttp.ClientError, RuntimeError) as exc:
            raise DdpClosed(f"send failed: {exc}") from exc

    async def _pong(self, frame: dict[str, Any]) -> None:
        reply: dict[str, Any] = {"msg": "pong"}
        if "id" in frame:
            reply["id"] = frame["id"]
        await self._send(reply)

    async def _reader(self) -> None:
        reason = "reader stopped"
        try:
            while True:
                frame = await self._receive_frame()
                kind = frame.get("msg")
                if kind == "ping":
                    await self._pong(frame)
                elif kind == "pong":
                    fut = self._pongs.pop(str(frame.get("id")), None)
                    if fut is not None and not fut.done():
                        fut.set_result(None)
                elif kind == "changed":
                    self.events.put_nowait(frame)
                elif kind == "result":
                    fut = self._calls.pop(str(frame.get("id")), None)
                    if fut is not None and not fut.done():
                        if frame.get("error") is not None:
                            fut.set_exception(DdpMethodError(frame["error"]))
                        else:
                            fut.set_result(frame.get("result"))
                elif kind == "ready":
                    for sub_id in frame.get("subs") or []:
                        fut = self._subs.pop(str(sub_id), None)
                        if fut is not None and not fut.done():
                            fut.set_result(None)
                elif kind == "nosub":
                    fut = self._subs.pop(str(frame.get("id")), None)
                    if fut is not None and not fut.done():
                        if frame.get("error"):
                            fut.set_exception(DdpMethodError(frame["error"]))
                        else:
                            fut.set_result(None)
                    elif fut is None:
                        log.warning("rocketchat: server ended subscription %s: %s", frame.get("id"), frame.get("error"))
                elif kind == "error":
                    log.warning("rocketchat: DDP error frame: %s", frame.get("reason"))
                # "updated", "added", "server_id", unknown kinds: nothing to do.
        except DdpClosed as exc:
            reason = str(exc)
        except asyncio.CancelledError:
            reason = self.close_reason or "cancelled"
        except Exception as exc:  # a bug here must not leave the bot deaf: end the link
            log.exception("rocketchat: DDP reader failed")
            reason = f"reader failed: {exc}"
        finally:
            self._finish(reason)

    async def _pinger(self) -> None:
        while not self.closed.is_set():
            try:
                await asyncio.wait_for(self.closed.wait(), timeout=self._ping_interval)
                return
            except asyncio.TimeoutError:
                pass
            ping_id = f"p{next(self._ids)}"
            fut = asyncio.get_running_loop().create_future()
            self._pongs[ping_id] = fut
            try:
                await self._send({"msg": "ping", "id": ping_id})
                await asyncio.wait_for(fut, timeout=self._pong_timeout)
            except (asyncio.TimeoutError, DdpClosed):
                if not self.closed.is_set():
                    log.warning("rocketchat: no pong within %.1fs, the link is dead", self._pong_timeout)
                    self.close_reason = "missed pong"
                    for task in self._tasks:
                        if task is not asyncio.current_task():
                            task.cancel()
                    self._finish("missed pong")
                return

    def _finish(self, reason: str) -> None:
        if self.closed.is_set():
            return
        self.close_reason = self.close_reason or reason
        self.closed.set()
        for table in (self._calls, self._subs, self._pongs):
            for fut in table.values():
                if not fut.done():
                    fut.set_exception(DdpClosed(self.close_reason))
                    fut.exception()  # mark retrieved: nobody may be waiting any more
            table.clear()
        self.events.put_nowait(None)

    async def call(self, method: str, params: list[Any], timeout: float = 30.0) -> Any:
        call_id = str(next(self._ids))
        fut = asyncio.get_running_loop().create_future()
        self._calls[call_id] = fut
        await self._send({"msg": "method", "method": method, "id": call_id, "params": params})
        return await asyncio.wait_for(fut, timeout)

    async def subscribe(self, name: str, params: list[Any], timeout: float = 30.0) -> str:
        sub_id = f"s{next(self._ids)}"
        fut = asyncio.get_running_loop().create_future()
        self._subs[sub_id] = fut
        await self._send({"msg": "sub", "id": sub_id, "name": name, "params": params})
        await asyncio.wait_for(fut, timeout)
        return sub_id

    async def close(self) -> None:
        self.close_reason = self.close_reason or "closed by the bot"
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self._finish("closed by the bot")
        if self._ws is not None and not self._ws.closed:
            try:
                await self._ws.close()
            except Exception:  # closing a dead socket: nothing left to do
                pass
