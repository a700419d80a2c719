"""A protocol-faithful fake Rocket.Chat server (docs/rocketchat-protocol.md), on aiohttp.

A real Rocket.Chat cannot run here (no MongoDB, no server package), so the backend is
tested against this: one aiohttp application on 127.0.0.1 with `/api/v1/*` (REST) and
`/websocket` (DDP), an in-memory model of users, rooms, subscriptions and messages, and a
Python control API the tests drive (`post_as`, `edit`, `react`, `drop_sockets`, `restart`,
`revoke_token`...). The bot under test gets nothing but the base URL.

What it reproduces, each from the protocol as documented: the 401/403 body switch between pre-8 ("legacy")
and 8.0+ servers; the REST limiter with X-RateLimit-* headers (reset in epoch ms), the 429
body and no Retry-After, and the bypass for the bot role; both welcome frames; `connect`
first (error frame or close 1002); the heartbeat (server ping, close 4000); `login` results
with `updated` before or after `result`; `ready`/`nosub`; `changed` frames with EJSON dates
and `args[1] = {roomParticipant, roomType, roomName}`; own-message echo; public channels the
bot has not joined; system messages; edits; reactions; thread replies re-emitting the root;
delayed URL previews; read-flag removal; soft and hard deletes; abrupt drops, close codes
1000/1002/4000, restarts that keep tokens, revoked tokens.

The eras a community server may be in (`version`, issue 18): `/api/info` (major.minor only,
as any user sees it); `chat.sendMessage`'s request schema (no key but `message` before 6.4:
`previewUrls` is refused with ajv's `invalid-params`); `rooms.roles` from 7.10; 8.0's bodies
(a two-factor refusal is a bare `unauthorized` too). Also a stream without the undeclared
second argument of `__my_messages__` (`stream_room_info=False`), and a proxy that hides
`/api/info` (`info_visible=False`).
Hide_System_Messages: some system messages are never stored nor sent (`hidden_system_messages`).
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tests.support import wait_until

METEOR_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
EMOJI = {"thumbsup", "thumbsdown", "smile", "white_check_mark", "wave", "tada", "heart", "eyes", "x", "calendar", "date",
         "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "keycap_ten"}
BYPASS_ROLES = {"admin", "bot", "app"}
LOGGED_OUT = "You've been logged out by the server. Please log in again."
URL_RE = re.compile(r"https?://[^\s<>()]+")


def meteor_id(rng: random.Random) -> str:
    return "".join(rng.choice(METEOR_ALPHABET) for _ in range(17))


def iso_z(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def to_wire(value: Any, dates: str) -> Any:
    """Dates as EJSON {"$date": ms} on DDP, ISO strings over REST."""
    if isinstance(value, datetime):
        return {"$date": int(value.timestamp() * 1000)} if dates == "ejson" else iso_z(value)
    if isinstance(value, dict):
        return {k: to_wire(v, dates) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v, dates) for v in value]
    return value


def meteor_error(code: Any, reason: str) -> dict:
    return {"isClientSafe": True, "error": code, "reason": reason, "message": f"{reason} [{code}]", "errorType": "Meteor.Error"}


class ApiFailure(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body.get("error"))
        self.status, self.body = status, body


def failure(code: str, reason: str, status: int = 400, details: dict | None = None) -> ApiFailure:
    body: dict[str, Any] = {"success": False, "error": f"{reason} [{code}]", "errorType": code}
    if details is not None:
        body["details"] = details
    return ApiFailure(status, body)


@dataclass
class User:
    _id: str
    username: str
    name: str
    roles: list[str]
    password: str | None = None
    tokens: set[str] = field(default_factory=set)  # login tokens and PATs alike
    totp: bool = False

    def brief(self) -> dict:
        return {"_id": self._id, "username": self.username, "name": self.name}


@dataclass
class Room:
    _id: str
    t: str
    name: str | None
    uids: list[str]
    ts: datetime
    updated_at: datetime
    usernames: list[str] = field(default_factory=list)


@dataclass
class Subscription:
    _id: str
    rid: str
    uid: str
    roles: list[str]
    updated_at: datetime


@dataclass(eq=False)
class Session:
    ws: web.WebSocketResponse
    request: web.Request
    session_id: str | None = None
    uid: str | None = None
    token: str | None = None
    subs: dict[str, tuple[str, str]] = field(default_factory=dict)  # sub id -> (stream, key)
    last_frame: float = field(default_factory=time.monotonic)
    pinged_at: float | None = None
    answer_pings: bool = True
    frozen: bool = False  # half-open: the TCP link stays, no frame flows either way
    pending_ready: list[str] = field(default_factory=list)


class FakeRocketChat:
    def __init__(
        self,
        *,
        version: str = "8.0.0",
        welcome: str = "plain",  # "plain": {"server_id":"0"}; "msg": {"msg":"server_id",...}
        first_frame_error: str = "error",  # "error" frame (monolith) or "close" 1002 (ddp-streamer)
        server_ping_interval: float = 30.0,
        server_ping_timeout: float = 30.0,
        duplicate_error: str = "mongo",  # how a duplicate client _id is refused
        url_preview_delay: float = 0.05,
        double_deliver: bool = False,
        stream_room_info: bool = True,  # args[1] = {roomParticipant, roomType, roomName} on __my_messages__
        hidden_system_messages: tuple[str, ...] = (),  # Hide_System_Messages: never stored nor sent
        info_visible: bool = True,  # False: a proxy in front hides /api/info (404)
        seed: int | None = None,
    ) -> None:
        self.version = tuple(int(p) for p in version.split(".")[:3])
        self.stream_room_info = stream_room_info
        self.hidden_system_messages = set(hidden_system_messages)
        self.info_visible = info_visible
        self.welcome = welcome
        self.first_frame_error = first_frame_error
        self.server_ping_interval = server_ping_interval
        self.server_ping_timeout = server_ping_timeout
        self.duplicate_error = duplicate_error
        self.url_preview_delay = url_preview_delay
        self.double_deliver = double_deliver
        self.rng = random.Random(seed)
        self.max_message_size = 5000

        self.users: dict[str, User] = {}
        self.rooms: dict[str, Room] = {}
        self.subscriptions: dict[tuple[str, str], Subscription] = {}  # (rid, uid)
        self.removed_subscriptions: list[tuple[str, str, datetime]] = []
        self.messages: dict[str, dict] = {}  # _id -> document with datetime values
        self.deleted: list[tuple[str, str, datetime]] = []  # (rid, _id, _deletedAt)
        self.sessions: set[Session] = set()
        self.down_until = 0.0

        self.rate_limit_calls: int | None = None
        self.rate_limit_window = 60.0
        self.rate_limit_routes: set[str] | None = None
        self.rate_limit_bypass_for_bot = True
        self._buckets: dict[tuple[str, str], list[float]] = {}

        self.calls: list[tuple[str, str, int]] = []  # (method, endpoint, status)
        self.ddp_logins: list[tuple[str, bool]] = []  # (kind, ok)
        self.connections = 0
        self.pongs = 0  # answers to the server's own pings
        self._last_now: datetime | None = None
        self._tasks: set[asyncio.Task] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

        app = web.Application()
        app.router.add_route("*", "/api/v1/{endpoint}", self._rest)
        app.router.add_get("/api/info", self._info)
        app.router.add_get("/websocket", self._websocket)
        self.app = app
        self._routes: dict[tuple[str, str], Callable] = {
            ("POST", "login"): self._api_login,
            ("POST", "logout"): self._api_logout,
            ("GET", "me"): self._api_me,
            ("GET", "subscriptions.get"): self._api_subscriptions_get,
            ("GET", "rooms.get"): self._api_rooms_get,
            ("POST", "chat.sendMessage"): self._api_send_message,
            ("POST", "chat.postMessage"): self._api_post_message,
            ("GET", "chat.getMessage"): self._api_get_message,
            ("GET", "settings.public"): self._api_settings_public,
            ("POST", "chat.react"): self._api_react,
            ("GET", "chat.syncMessages"): self._api_sync_messages,
            ("POST", "im.create"): self._api_im_create,
            ("POST", "dm.create"): self._api_im_create,
            ("GET", "rooms.roles"): self._api_rooms_roles,
            ("GET", "channels.roles"): self._api_channels_roles,
            ("GET", "groups.roles"): self._api_groups_roles,
            ("GET", "users.info"): self._api_users_info,
            ("GET", "channels.history"): self._api_history,
            ("GET", "groups.history"): self._api_history,
            ("GET", "im.history"): self._api_history,
        }

    # ---- lifecycle -----------------------------------------------------------------------

    async def start(self) -> "FakeRocketChat":
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for session in list(self.sessions):
            self._abort(session)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def now(self) -> datetime:
        """Server time in whole milliseconds, strictly increasing (Mongo stores ms)."""
        now = datetime.now(timezone.utc)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_now is not None and now <= self._last_now:
            now = self._last_now + timedelta(milliseconds=1)
        self._last_now = now
        return now

    # ---- model: users and rooms ----------------------------------------------------------

    def add_user(self, username: str, *, password: str | None = None, roles: tuple[str, ...] = ("user",), name: str | None = None, totp: bool = False) -> User:
        user = User(meteor_id(self.rng), username, name or username.title(), list(roles), password, totp=totp)
        self.users[user._id] = user
        return user

    def user(self, username: str) -> User:
        for user in self.users.values():
            if user.username == username:
                return user
        raise KeyError(username)

    def user_id(self, username: str) -> str:
        return self.user(username)._id

    def create_pat(self, username: str) -> str:
        token = secrets.token_urlsafe(32)
        self.user(username).tokens.add(token)
        return token

    def create_room(self, name: str, *, t: str = "c", members: tuple[str, ...] | list[str] = (), owner: str | None = None) -> str:
        now = self.now()
        rid = meteor_id(self.rng)
        room = Room(rid, t, name, [], now, now)
        self.rooms[rid] = room
        for username in members:
            self._subscribe(room, self.user(username), now)
        if owner is not None:
            if self.user(owner)._id not in room.uids:
                self._subscribe(room, self.user(owner), now)
            self.subscriptions[(rid, self.user(owner)._id)].roles.append("owner")
        return rid

    def open_dm(self, a: str, b: str) -> str:
        """The DM room between two users, created if needed (as im.create does)."""
        return self._dm(self.user(a), self.user(b))._id

    def room_id(self, name: str) -> str:
        for room in self.rooms.values():
            if room.name == name:
                return room._id
        raise KeyError(name)

    def _subscribe(self, room: Room, user: User, now: datetime) -> None:
        if user._id not in room.uids:
            room.uids.append(user._id)
            room.usernames.append(user.username)
        self.subscriptions[(room._id, user._id)] = Subscription(meteor_id(self.rng), room._id, user._id, [], now)

    def _can_access(self, room: Room, uid: str | None) -> bool:
        if uid is None:
            return False
        return room.t == "c" or uid in room.uids  # view-c-room: every user reads public channels

    def _dm(self, a: User, b: User) -> Room:
        rid = "".join(sorted([a._id, b._id]))
        room = self.rooms.get(rid)
        if room is None:
            now = self.now()
            room = Room(rid, "d", None, [], now, now)
            self.rooms[rid] = room
            for user in (a, b):
                self._subscribe(room, user, now)
        return room

    # ---- model: messages -----------------------------------------------------------------

    async def _insert(self, user: User, room: Room, text: str, *, mid: str | None = None, tmid: str | None = None, tshow: bool | None = None, t: str | None = None, extra: dict | None = None, preview_urls: list | None = None) -> dict:
        now = self.now()
        root = None
        if tmid is not None:
            root = self.messages.get(tmid)
            if root is None or root["rid"] != room._id:
                raise failure("error-invalid-message", "Invalid thread root")
            if root.get("tmid"):  # threads do not nest: point at the root
                root = self.messages[root["tmid"]]
                tmid = root["_id"]
        doc: dict[str, Any] = {
            "_id": mid or meteor_id(self.rng),
            "rid": room._id,
            "msg": text,
            "ts": now,
            "u": user.brief(),
            "_updatedAt": now,
            "mentions": [],
            "channels": [],
        }
        if t is not None:
            doc["t"] = t
        else:
            doc["md"] = [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": text}]}]
            doc["unread"] = True
        if tmid is not None:
            doc["tmid"] = tmid
            if tshow:
                doc["tshow"] = True
        doc.update(extra or {})
        self.messages[doc["_id"]] = doc
        room.updated_at = now
        await self._emit(doc)
        if root is not None:
            root["tcount"] = root.get("tcount", 0) + 1
            root["tlm"] = now
            root["replies"] = sorted(set(root.get("replies", [])) | {user._id})
            root["_updatedAt"] = self.now()
            await self._emit(root)
        urls = URL_RE.findall(text) if t is None else []
        if preview_urls is not None:
            urls = [u for u in urls if u in preview_urls]
        if urls:
            self._spawn(self._preview(doc["_id"], urls))
        return doc

    async def _preview(self, mid: str, urls: list[str]) -> None:
        await asyncio.sleep(self.url_preview_delay)
        doc = self.messages.get(mid)
        if doc is None:
            return
        doc["urls"] = [{"url": u, "meta": {"pageTitle": "A page"}} for u in urls]
        doc["_updatedAt"] = self.now()
        await self._emit(doc)

    async def post_as(self, username: str, rid: str, text: str, tmid: str | None = None, **extra: Any) -> dict:
        """A person types `text` in room `rid` (as through the web client)."""
        user, room = self.user(username), self.rooms[rid]
        if user._id not in room.uids:
            raise ValueError(f"{username} is not in {room.name or rid}")
        doc = await self._insert(user, room, text, tmid=tmid, extra=extra)
        return to_wire(doc, "iso")

    async def edit(self, mid: str, text: str, by: str | None = None) -> None:
        doc = self.messages[mid]
        editor = self.user(by) if by else self.users[doc["u"]["_id"]]
        now = self.now()
        doc.update(msg=text, editedAt=now, editedBy={"_id": editor._id, "username": editor.username}, _updatedAt=now)
        doc["md"] = [{"type": "PARAGRAPH", "value": [{"type": "PLAIN_TEXT", "value": text}]}]
        await self._emit(doc)

    async def react(self, mid: str, emoji: str, username: str, should_react: bool | None = None) -> None:
        user = self.user(username)
        doc = self.messages[mid]
        name = ":" + emoji.strip(":") + ":"
        reactions = doc.setdefault("reactions", {})
        entry = reactions.setdefault(name, {"usernames": []})
        present = user.username in entry["usernames"]
        add = (not present) if should_react is None else should_react
        if add and not present:
            entry["usernames"].append(user.username)
        elif not add and present:
            entry["usernames"].remove(user.username)
        if not entry["usernames"]:
            del reactions[name]
        if not reactions:
            doc.pop("reactions")
        doc["_updatedAt"] = self.now()
        await self._emit(doc)

    async def mark_read(self, mid: str) -> None:
        doc = self.messages[mid]
        doc.pop("unread", None)
        doc["_updatedAt"] = self.now()
        await self._emit(doc)

    async def delete(self, mid: str, *, hard: bool = False, by: str | None = None) -> None:
        doc = self.messages[mid]
        if not hard:  # soft delete: the message stays as t "rm" (isDeletedMessage)
            editor = self.user(by) if by else self.users[doc["u"]["_id"]]
            now = self.now()
            doc.update(t="rm", msg="", editedAt=now, editedBy={"_id": editor._id, "username": editor.username}, _updatedAt=now)
            doc.pop("md", None)
            await self._emit(doc)
            return
        del self.messages[mid]
        self.deleted.append((doc["rid"], mid, self.now()))
        await self._notify_room(doc["rid"], "deleteMessage", [{"_id": mid}])

    async def system(self, rid: str, t: str, actor: str, msg: str, **extra: Any) -> dict | None:
        if t in self.hidden_system_messages:
            return None  # Hide_System_Messages: the change happens, nobody is told
        doc = await self._insert(self.user(actor), self.rooms[rid], msg, t=t, extra=extra)
        return to_wire(doc, "iso")

    async def add_member(self, rid: str, username: str, by: str | None = None) -> None:
        room, user = self.rooms[rid], self.user(username)
        self._subscribe(room, user, self.now())
        await self.system(rid, "au" if by else "uj", by or username, username)

    async def remove_member(self, rid: str, username: str, by: str | None = None) -> None:
        room, user = self.rooms[rid], self.user(username)
        await self.system(rid, "ru" if by else "ul", by or username, username)
        if user._id in room.uids:
            room.uids.remove(user._id)
            room.usernames.remove(user.username)
        self.subscriptions.pop((rid, user._id), None)
        self.removed_subscriptions.append((rid, user._id, self.now()))

    async def set_role(self, rid: str, username: str, role: str, on: bool = True, by: str = "admin") -> None:
        sub = self.subscriptions[(rid, self.user(username)._id)]
        if on and role not in sub.roles:
            sub.roles.append(role)
        elif not on and role in sub.roles:
            sub.roles.remove(role)
        sub.updated_at = self.now()
        actor = by if any(u.username == by for u in self.users.values()) else username
        await self.system(rid, "subscription-role-added" if on else "subscription-role-removed", actor, username, role=role)

    # ---- readers for tests ---------------------------------------------------------------

    def room_messages(self, rid: str, *, include_system: bool = False) -> list[dict]:
        docs = [d for d in self.messages.values() if d["rid"] == rid and (include_system or not d.get("t"))]
        return [to_wire(d, "iso") for d in sorted(docs, key=lambda d: d["ts"])]

    def messages_by(self, username: str, rid: str | None = None) -> list[dict]:
        uid = self.user(username)._id
        return [m for m in (self.room_messages(rid) if rid else self.all_messages()) if m["u"]["_id"] == uid]

    def all_messages(self) -> list[dict]:
        return [to_wire(d, "iso") for d in sorted(self.messages.values(), key=lambda d: d["ts"]) if not d.get("t")]

    def replies(self, mid: str) -> list[dict]:
        return [m for m in self.all_messages() if m.get("tmid") == mid]

    def message(self, mid: str) -> dict | None:
        doc = self.messages.get(mid)
        return to_wire(doc, "iso") if doc else None

    def live_sessions(self, username: str) -> int:
        uid = self.user(username)._id
        return sum(1 for s in self.sessions if s.uid == uid and any(k == "__my_messages__" for _, k in s.subs.values()))

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        return await wait_until(predicate, timeout, "the fake server never saw the expected state")

    # ---- faults --------------------------------------------------------------------------

    def _abort(self, session: Session) -> None:
        transport = session.request.transport
        if transport is not None:
            transport.abort()  # no close frame: an abrupt TCP drop

    async def drop_sockets(self, how: str | int = "abrupt", username: str | None = None) -> int:
        """End DDP connections: "abrupt" (no close frame) or a close code (1000, 1002, 4000)."""
        uid = self.user(username)._id if username else None
        victims = [s for s in self.sessions if uid is None or s.uid == uid]
        for session in victims:
            if how == "abrupt":
                self._abort(session)
            else:
                await session.ws.close(code=int(how), message=b"TIMEOUT" if int(how) == 4000 else b"")
        return len(victims)

    def stop_answering_pings(self, username: str | None = None) -> None:
        """Current connections keep delivering but never answer a client ping again."""
        for session in self.sessions:
            if username is None or session.uid == self.user(username)._id:
                session.answer_pings = False

    def half_open(self, username: str | None = None) -> None:
        """Current connections go silent both ways while TCP stays up (a dead NAT, a
        suspended laptop): only the client's own ping can notice."""
        for session in self.sessions:
            if username is None or session.uid == self.user(username)._id:
                session.frozen = True

    async def restart(self, downtime: float = 0.0) -> None:
        """All sessions vanish (no close frame), tokens stay; the server answers 503 meanwhile."""
        self.down_until = time.monotonic() + downtime
        for session in list(self.sessions):
            self._abort(session)

    async def revoke_token(self, username: str, *, close_sessions: bool = True) -> None:
        """Remove every login token and PAT of `username` (logout elsewhere, admin action).
        Meteor closes the connections logged in with a removed token."""
        user = self.user(username)
        revoked = set(user.tokens)
        user.tokens.clear()
        if close_sessions:
            for session in list(self.sessions):
                if session.token in revoked:
                    await session.ws.close(code=1000)

    def set_rate_limit(self, calls: int | None, window: float = 60.0, routes: set[str] | None = None) -> None:
        """Limit each (route, method, client) to `calls` per `window` seconds; None turns it off."""
        self.rate_limit_calls, self.rate_limit_window, self.rate_limit_routes = calls, window, routes
        self._buckets.clear()

    def exhaust_rate_limit(self, endpoint: str, method: str = "GET", remote: str = "127.0.0.1") -> None:
        """Another client behind the same address used up the bucket (the key is route + IP)."""
        assert self.rate_limit_calls is not None
        reset = time.time() * 1000 + self.rate_limit_window * 1000
        self._buckets[(f"/api/v1/{endpoint}{method}", remote)] = [reset, self.rate_limit_calls]

    # ---- REST ------------------------------------------------------------------------------

    async def _info(self, request: web.Request) -> web.Response:
        """GET /api/info: the version without its patch level unless the caller may view
        statistics (getServerInfo); the bot is not such a caller."""
        if time.monotonic() < self.down_until:
            return web.json_response({"success": False, "error": "Service Unavailable"}, status=503)
        if not self.info_visible:
            return web.Response(status=404, text="Not Found")
        major, minor = self.version[:2]
        return web.json_response({"version": f"{major}.{minor}", "minimumClientVersions": {"desktop": "3.9.6", "mobile": "4.39.0"},
                                  "success": True})

    def _auth_body(self) -> dict:
        if self.version >= (8, 0, 0):
            return {"success": False, "error": "You must be logged in to do this."}
        return {"success": False, "error": "You must be logged in to do this.", "status": "error", "message": "You must be logged in to do this."}

    def _authenticate(self, request: web.Request) -> User | None:
        uid, token = request.headers.get("X-User-Id"), request.headers.get("X-Auth-Token")
        user = self.users.get(uid or "")
        if user is None or not token or token not in user.tokens:
            return None
        return user

    def _rate_limit(self, endpoint: str, method: str, request: web.Request, user: User | None) -> tuple[dict, ApiFailure | None]:
        if self.rate_limit_calls is None or (self.rate_limit_routes is not None and endpoint not in self.rate_limit_routes):
            return {}, None
        if user is not None and self.rate_limit_bypass_for_bot and BYPASS_ROLES & set(user.roles):
            return {}, None  # api-bypass-rate-limit
        key = (f"/api/v1/{endpoint}{method}", request.remote or "")
        now_ms = time.time() * 1000
        bucket = self._buckets.get(key)
        if bucket is None or now_ms >= bucket[0]:
            bucket = [now_ms + self.rate_limit_window * 1000, 0]
            self._buckets[key] = bucket
        bucket[1] += 1
        headers = {
            "X-RateLimit-Limit": str(self.rate_limit_calls),
            "X-RateLimit-Remaining": str(max(0, self.rate_limit_calls - int(bucket[1]))),
            "X-RateLimit-Reset": str(int(bucket[0])),
        }
        if bucket[1] > self.rate_limit_calls:
            seconds = max(1, -(-int(bucket[0] - now_ms) // 1000))
            return headers, ApiFailure(429, {
                "success": False,
                "error": f"Error, too many requests. Please slow down. You must wait {seconds} seconds before trying this endpoint again. [error-too-many-requests]",
            })
        return headers, None

    async def _rest(self, request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        if time.monotonic() < self.down_until:
            return web.json_response({"success": False, "error": "Service Unavailable"}, status=503)
        handler = self._routes.get((request.method, endpoint))
        if handler is None:
            self.calls.append((request.method, endpoint, 404))
            return web.json_response({"status": "error", "message": "API endpoint does not exist"}, status=404)
        user = self._authenticate(request)
        headers, limited = self._rate_limit(endpoint, request.method, request, user)
        try:
            if limited is not None:
                raise limited
            if endpoint not in ("login", "settings.public") and user is None:
                raise ApiFailure(401, self._auth_body())
            body = {}
            if request.method == "POST":
                try:
                    body = await request.json()
                except ValueError:
                    raise failure("error-invalid-body", "Invalid body")
            result = await handler(user, dict(request.query), body)
            status, payload = 200, {**to_wire(result, "iso"), "success": True}
        except ApiFailure as exc:
            status, payload = exc.status, exc.body
        self.calls.append((request.method, endpoint, status))
        return web.json_response(payload, status=status, headers=headers)

    def _me(self, user: User) -> dict:
        return {**user.brief(), "roles": list(user.roles), "active": True, "status": "online", "utcOffset": 0, "avatarUrl": f"{self.url}/avatar/{user.username}"}

    async def _api_login(self, _: User | None, query: dict, body: dict) -> dict:
        user: User | None = None
        if "resume" in body and "password" not in body:
            user = next((u for u in self.users.values() if body["resume"] in u.tokens), None)
            if user is None:
                raise self._login_failure(403, "You've been logged out by the server. Please log in again.")
            token = body["resume"]
        else:
            name = body.get("user") or body.get("username") or body.get("email")
            user = next((u for u in self.users.values() if u.username == name), None)
            if user is None:
                raise self._login_failure(403, "User not found", unauthorized=True)
            if user.password is None or body.get("password") != user.password:
                raise self._login_failure(403, "Incorrect password")
            if user.totp and not body.get("code"):
                if self.version >= (8, 0, 0):  # 8.0 answers every refused login alike
                    raise ApiFailure(401, {"success": False, "error": "unauthorized"})
                raise ApiFailure(401, {"success": False, "error": "TOTP Required [totp-required]", "errorType": "totp-required", "details": {"method": "email", "codeGenerated": True}})
            token = secrets.token_urlsafe(32)
            user.tokens.add(token)
        return {"status": "success", "data": {"authToken": token, "userId": user._id, "me": self._me(user)}}

    def _login_failure(self, code: int, reason: str, unauthorized: bool = False) -> ApiFailure:
        if self.version >= (8, 0, 0):
            return ApiFailure(401, {"success": False, "error": "unauthorized"})
        if unauthorized:
            return ApiFailure(401, {"status": "error", "error": "Unauthorized", "message": "Unauthorized"})
        return ApiFailure(401, {"status": "error", "error": code, "message": reason})

    async def _api_logout(self, user: User, query: dict, body: dict) -> dict:
        user.tokens.clear()
        return {"status": "success", "data": {"message": "You've been logged out!"}}

    async def _api_me(self, user: User, query: dict, body: dict) -> dict:
        return self._me(user)

    def _sub_doc(self, sub: Subscription) -> dict:
        room, user = self.rooms[sub.rid], self.users[sub.uid]
        doc = {"_id": sub._id, "rid": sub.rid, "t": room.t, "open": True, "alert": False, "unread": 0,
               "userMentions": 0, "groupMentions": 0, "u": user.brief(), "_updatedAt": sub.updated_at, "ts": room.ts}
        if room.t == "d":
            other = next((self.users[u] for u in room.uids if u != user._id), user)
            doc.update(name=other.username, fname=other.name)
        else:
            doc.update(name=room.name, fname=room.name)
        if sub.roles:
            doc["roles"] = list(sub.roles)
        return doc

    async def _api_subscriptions_get(self, user: User, query: dict, body: dict) -> dict:
        since = parse_iso(query["updatedSince"]) if query.get("updatedSince") else None
        update = [self._sub_doc(s) for s in self.subscriptions.values() if s.uid == user._id and (since is None or s.updated_at > since)]
        remove = [{"rid": rid, "_deletedAt": at} for rid, uid, at in self.removed_subscriptions if uid == user._id and since is not None and at > since]
        return {"update": update, "remove": remove}

    def _room_doc(self, room: Room) -> dict:
        doc: dict[str, Any] = {"_id": room._id, "t": room.t, "msgs": sum(1 for m in self.messages.values() if m["rid"] == room._id),
                               "usersCount": len(room.uids), "ts": room.ts, "_updatedAt": room.updated_at}
        if room.t == "d":
            doc.update(usernames=list(room.usernames), uids=list(room.uids))
        else:
            doc.update(name=room.name, fname=room.name)
        return doc

    async def _api_rooms_get(self, user: User, query: dict, body: dict) -> dict:
        since = parse_iso(query["updatedSince"]) if query.get("updatedSince") else None
        rooms = [self._room_doc(r) for r in self.rooms.values() if user._id in r.uids and (since is None or r.updated_at > since)]
        return {"update": rooms, "remove": []}

    def _room_for_write(self, user: User, rid: str | None) -> Room:
        room = self.rooms.get(rid or "")
        if room is None:
            raise failure("error-invalid-room", "Invalid room")
        if user._id not in room.uids:
            raise failure("error-not-allowed", "Not allowed")
        return room

    async def _api_send_message(self, user: User, query: dict, body: dict) -> dict:
        # The request schema (rest-typings isChatSendMessageProps, additionalProperties false),
        # checked before anything else; ajv's message does not name the key.
        allowed = {"message", "previewUrls"} if self.version >= (6, 4, 0) else {"message"}
        if set(body) - allowed:
            raise failure("invalid-params", "must NOT have additional properties")
        message = body.get("message")
        if not isinstance(message, dict) or not message.get("rid"):
            raise failure("error-invalid-params", "The 'message' param with 'rid' is required")
        if message.get("t"):
            raise failure("error-invalid-params", "Cannot send system messages using 'chat.sendMessage'")
        if message.get("tshow") and not message.get("tmid"):
            raise failure("invalid-params", "tshow provided but missing tmid")
        mid = message.get("_id")
        if mid and mid in self.messages:
            if self.duplicate_error == "mongo":
                raise ApiFailure(400, {"success": False, "error": f'E11000 duplicate key error collection: rocketchat.rocketchat_message index: _id_ dup key: {{ _id: "{mid}" }}'})
            raise failure("error-message-already-exists", "The message already exists")
        text = message.get("msg") or ""
        if len(text.encode("utf-16-le")) // 2 > self.max_message_size:  # JavaScript's length
            raise failure("error-message-size-exceeded", "Message size exceeds the maximum allowed")
        room = self._room_for_write(user, message["rid"])
        doc = await self._insert(user, room, text, mid=mid, tmid=message.get("tmid"), tshow=message.get("tshow"), preview_urls=body.get("previewUrls"))
        return {"message": doc}

    async def _api_settings_public(self, _: User | None, query: dict, body: dict) -> dict:
        # Only the setting the bot reads; `_id` filters as in 7.0 and later.
        settings = [{"_id": "Message_MaxAllowedSize", "value": self.max_message_size}]
        wanted = {s.strip() for s in query.get("_id", "").split(",") if s.strip()}
        shown = [s for s in settings if not wanted or s["_id"] in wanted]
        return {"settings": shown, "count": len(shown), "offset": 0, "total": len(shown)}

    async def _api_post_message(self, user: User, query: dict, body: dict) -> dict:
        target = body.get("roomId") or body.get("channel") or ""
        room: Room | None = None
        if target.startswith("@"):
            other = next((u for u in self.users.values() if u.username == target[1:]), None)
            room = self._dm(user, other) if other else None
        elif target.startswith("#"):
            room = next((r for r in self.rooms.values() if r.name == target[1:]), None)
        else:
            room = self.rooms.get(target) or next((r for r in self.rooms.values() if r.name == target), None)
        if room is None:
            raise ApiFailure(400, {"success": False, "error": "[invalid-channel]", "errorType": "invalid-channel"})
        room = self._room_for_write(user, room._id)
        doc = await self._insert(user, room, body.get("text") or "", tmid=body.get("tmid"), tshow=body.get("tshow"))
        return {"ts": int(doc["ts"].timestamp() * 1000), "channel": room.name or room._id, "message": doc}

    async def _api_get_message(self, user: User, query: dict, body: dict) -> dict:
        doc = self.messages.get(query.get("msgId", ""))
        if doc is None or not self._can_access(self.rooms[doc["rid"]], user._id):
            raise failure("error-message-not-found", "Message not found")
        return {"message": doc}

    async def _api_react(self, user: User, query: dict, body: dict) -> dict:
        emoji = body.get("emoji") or body.get("reaction")
        if not emoji:
            raise failure("error-emoji-param-not-provided", "The required \"emoji\" param is missing.")
        doc = self.messages.get(body.get("messageId", ""))
        if doc is None:
            raise failure("error-message-not-found", "Message not found")
        if emoji.strip(":") not in EMOJI:
            raise failure("error-not-allowed", "Invalid emoji provided.")
        self._room_for_write(user, doc["rid"])
        await self.react(doc["_id"], emoji, user.username, body.get("shouldReact"))
        return {}

    async def _api_sync_messages(self, user: User, query: dict, body: dict) -> dict:
        rid, last = query.get("roomId"), query.get("lastUpdate")
        if not rid:
            raise failure("error-roomId-param-not-provided", "The required \"roomId\" query param is missing.")
        if not last:
            raise failure("error-lastUpdate-param-not-provided", "The required \"lastUpdate\" query param is missing.")
        room = self.rooms.get(rid)
        if room is None or not self._can_access(room, user._id):
            raise failure("error-not-allowed", "Not allowed")
        since = parse_iso(last)
        updated = sorted((d for d in self.messages.values() if d["rid"] == rid and d["_updatedAt"] > since), key=lambda d: d["ts"], reverse=True)
        deleted = [{"_id": mid, "_deletedAt": at} for r, mid, at in self.deleted if r == rid and at > since]
        return {"result": {"updated": updated, "deleted": deleted}}

    async def _api_im_create(self, user: User, query: dict, body: dict) -> dict:
        name = body.get("username")
        other = next((u for u in self.users.values() if u.username == name), None)
        if other is None:
            raise failure("error-invalid-user", "Invalid user", details={"method": "createDirectMessage"})
        room = self._dm(user, other)
        return {"room": {"_id": room._id, "rid": room._id, "t": "d", "usernames": list(room.usernames), "uids": list(room.uids)}}

    def _roles_of(self, room: Room) -> dict:
        entries = [{"_id": s._id, "rid": room._id, "u": self.users[s.uid].brief(), "roles": list(s.roles)}
                   for (rid, _), s in self.subscriptions.items() if rid == room._id and s.roles]
        return {"roles": entries}

    async def _api_rooms_roles(self, user: User, query: dict, body: dict) -> dict:
        if self.version < (7, 10, 0):
            raise ApiFailure(404, {"status": "error", "message": "API endpoint does not exist"})
        room = self.rooms.get(query.get("rid", ""))
        if room is None or not self._can_access(room, user._id):
            raise failure("error-not-allowed", "Not allowed")
        return self._roles_of(room)

    def _typed_room(self, user: User, query: dict, t: str) -> Room:
        rid, name = query.get("roomId"), query.get("roomName")
        if not rid and not name:
            raise failure("error-room-param-not-provided", "The parameter \"roomId\" or \"roomName\" is required")
        room = self.rooms.get(rid) if rid else next((r for r in self.rooms.values() if r.name == name), None)
        if room is None or room.t != t:
            raise failure("error-room-not-found", "The required \"roomId\" or \"roomName\" param provided does not match any channel")
        if not self._can_access(room, user._id):
            raise failure("error-not-allowed", "Not allowed")
        return room

    async def _api_channels_roles(self, user: User, query: dict, body: dict) -> dict:
        return self._roles_of(self._typed_room(user, query, "c"))

    async def _api_groups_roles(self, user: User, query: dict, body: dict) -> dict:
        return self._roles_of(self._typed_room(user, query, "p"))

    async def _api_users_info(self, user: User, query: dict, body: dict) -> dict:
        target = self.users.get(query.get("userId", "")) or next((u for u in self.users.values() if u.username == query.get("username")), None)
        if target is None:
            raise failure("error-invalid-user", "Invalid user")
        info: dict[str, Any] = {**target.brief(), "active": True, "status": "online", "type": "user"}
        if "admin" in user.roles or target is user:  # view-full-other-user-info
            info["roles"] = list(target.roles)
        return {"user": info}

    async def _api_history(self, user: User, query: dict, body: dict) -> dict:
        room = self.rooms.get(query.get("roomId", ""))
        if room is None or not self._can_access(room, user._id):
            raise failure("error-room-not-found", "The required \"roomId\" param provided does not match any room")
        latest = parse_iso(query["latest"]) if query.get("latest") else None
        oldest = parse_iso(query["oldest"]) if query.get("oldest") else None
        inclusive = query.get("inclusive") == "true"
        threads = query.get("showThreadMessages") == "true"
        count = int(query.get("count", 20))

        def keep(d: dict) -> bool:
            if d["rid"] != room._id or (d.get("tmid") and not d.get("tshow") and not threads):
                return False
            if latest and (d["ts"] > latest or (d["ts"] == latest and not inclusive)):
                return False
            if oldest and (d["ts"] < oldest or (d["ts"] == oldest and not inclusive)):
                return False
            return True

        docs = sorted((d for d in self.messages.values() if keep(d)), key=lambda d: d["ts"], reverse=True)[:count]
        return {"messages": docs}

    # ---- DDP -------------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if time.monotonic() < self.down_until:
            return web.Response(status=503, text="restarting")
        ws = web.WebSocketResponse(autoping=True, heartbeat=None)
        await ws.prepare(request)
        session = Session(ws, request)
        self.sessions.add(session)
        self.connections += 1
        heartbeat = asyncio.get_running_loop().create_task(self._heartbeat(session))
        try:
            welcome = {"server_id": "0"} if self.welcome == "plain" else {"msg": "server_id", "server_id": "0"}
            await self._send(session, welcome)
            async for raw in ws:
                if raw.type != WSMsgType.TEXT:
                    continue
                if session.frozen:
                    continue
                session.last_frame, session.pinged_at = time.monotonic(), None
                try:
                    frame = json.loads(raw.data)
                except ValueError:
                    await self._send(session, {"msg": "error", "reason": "Bad request", "offendingMessage": raw.data})
                    continue
                if not await self._on_frame(session, frame):
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            heartbeat.cancel()
            self.sessions.discard(session)
            await asyncio.gather(heartbeat, return_exceptions=True)
        return ws

    async def _send(self, session: Session, frame: dict) -> None:
        if session.frozen or session.ws.closed:
            return
        try:
            await session.ws.send_str(json.dumps(frame))
        except (ConnectionResetError, RuntimeError):
            pass

    async def _heartbeat(self, session: Session) -> None:
        tick = min(self.server_ping_interval, self.server_ping_timeout) / 4
        while not session.ws.closed:
            await asyncio.sleep(tick)
            if session.frozen:
                continue
            now = time.monotonic()
            if session.pinged_at is None and now - session.last_frame >= self.server_ping_interval:
                session.pinged_at = now
                await self._send(session, {"msg": "ping"})
            elif session.pinged_at is not None and now - session.pinged_at >= self.server_ping_timeout:
                await session.ws.close(code=4000, message=b"TIMEOUT")
                return

    async def _on_frame(self, session: Session, frame: Any) -> bool:
        if not isinstance(frame, dict):
            return True
        kind = frame.get("msg")
        if session.session_id is None:
            if kind != "connect":
                if self.first_frame_error == "close":
                    await session.ws.close(code=1002, message=b"Must connect first")
                    return False
                await self._send(session, {"msg": "error", "reason": "Must connect first", "offendingMessage": frame})
                return True
            if frame.get("version") not in ("1", "pre1", "pre2"):
                await self._send(session, {"msg": "failed", "version": "1"})
                await session.ws.close()
                return False
            session.session_id = meteor_id(self.rng)  # any "session" sent by the client is ignored
            await self._send(session, {"msg": "connected", "session": session.session_id})
            return True
        if kind == "ping":
            if session.answer_pings:
                await self._send(session, {"msg": "pong", **({"id": frame["id"]} if "id" in frame else {})})
        elif kind == "pong":
            self.pongs += 1
        elif kind == "method":
            await self._on_method(session, frame)
        elif kind == "sub":
            await self._on_sub(session, frame)
        elif kind == "unsub":
            session.subs.pop(str(frame.get("id")), None)
            await self._send(session, {"msg": "nosub", "id": frame.get("id")})
        return True

    async def _on_method(self, session: Session, frame: dict) -> None:
        call_id = frame.get("id")
        if not isinstance(call_id, str):
            await self._send(session, {"msg": "error", "reason": "Malformed method invocation", "offendingMessage": frame})
            return
        name, params = frame.get("method"), frame.get("params") or []
        reply: dict[str, Any] = {"msg": "result", "id": call_id}
        if name == "login":
            result, error = self._ddp_login(session, params[0] if params else {})
            if error:
                reply["error"] = error
            else:
                reply["result"] = result
        else:
            reply["error"] = meteor_error(404, f"Method '{name}' not found")
        updated = {"msg": "updated", "methods": [call_id]}
        first, second = (reply, updated) if self.rng.random() < 0.5 else (updated, reply)
        await self._send(session, first)
        await self._send(session, second)

    def _ddp_login(self, session: Session, params: dict) -> tuple[dict | None, dict | None]:
        user: User | None = None
        if "resume" in params:
            token = params["resume"]
            user = next((u for u in self.users.values() if token in u.tokens), None)
            kind = "resume"
            if user is None:
                self.ddp_logins.append((kind, False))
                return None, meteor_error(403, LOGGED_OUT)
        else:
            kind = "password"
            name = (params.get("user") or {}).get("username")
            user = next((u for u in self.users.values() if u.username == name), None)
            if user is None:
                self.ddp_logins.append((kind, False))
                return None, meteor_error(403, "User not found")
            digest = (params.get("password") or {}).get("digest")
            if user.password is None or digest != hashlib.sha256(user.password.encode()).hexdigest():
                self.ddp_logins.append((kind, False))
                return None, meteor_error(403, "Incorrect password")
            token = secrets.token_urlsafe(32)
            user.tokens.add(token)
        session.uid, session.token = user._id, token
        self.ddp_logins.append((kind, True))
        expires = datetime.now(timezone.utc) + timedelta(days=90)
        return {"id": user._id, "token": token, "tokenExpires": {"$date": int(expires.timestamp() * 1000)}, "type": kind}, None

    async def _on_sub(self, session: Session, frame: dict) -> None:
        sub_id, name, params = str(frame.get("id")), frame.get("name"), frame.get("params") or []
        key = params[0] if params else None
        options = params[1] if len(params) > 1 else False
        if name == "stream-room-messages" and isinstance(key, str):
            if key != "__my_messages__":
                room = self.rooms.get(key)
                if room is None or not self._can_access(room, session.uid):
                    await self._send(session, {"msg": "nosub", "id": sub_id, "error": meteor_error("not-allowed", "Not allowed")})
                    return
        elif name == "stream-notify-room" and isinstance(key, str) and "/" in key:
            room = self.rooms.get(key.split("/", 1)[0])
            if room is None or not self._can_access(room, session.uid):
                await self._send(session, {"msg": "nosub", "id": sub_id, "error": meteor_error("not-allowed", "Not allowed")})
                return
        else:
            await self._send(session, {"msg": "nosub", "id": sub_id, "error": meteor_error(404, f"Subscription '{name}' not found")})
            return
        session.subs[sub_id] = (name, key)
        if isinstance(options, dict) and options.get("useCollection"):
            await self._send(session, {"msg": "added", "collection": name, "id": "id", "fields": {"eventName": key}})
        # ready may batch several ids: flush once the frames already received are handled
        session.pending_ready.append(sub_id)
        if len(session.pending_ready) == 1:
            asyncio.get_running_loop().call_soon(lambda: self._spawn(self._flush_ready(session)))

    async def _flush_ready(self, session: Session) -> None:
        subs, session.pending_ready = session.pending_ready, []
        if subs:
            await self._send(session, {"msg": "ready", "subs": subs})

    async def _emit(self, doc: dict) -> None:
        """Broadcast one inserted or updated message document (watch.messages)."""
        if doc.get("_hidden") or doc.get("imported"):
            return
        room = self.rooms[doc["rid"]]
        wire = to_wire(doc, "ejson")
        for session in list(self.sessions):
            if session.uid is None or not self._can_access(room, session.uid):
                continue  # allowEmit needs a logged-in user with access
            for name, key in list(session.subs.values()):
                if name != "stream-room-messages":
                    continue
                if key == "__my_messages__":
                    allowed: dict[str, Any] = {"roomParticipant": session.uid in room.uids, "roomType": room.t}
                    if room.t != "d":
                        allowed["roomName"] = room.name
                    args: list = [wire, allowed] if self.stream_room_info else [wire]
                elif key == room._id:
                    args = [wire]
                else:
                    continue
                frame = {"msg": "changed", "collection": "stream-room-messages", "id": "id", "fields": {"eventName": key, "args": args}}
                for _ in range(2 if self.double_deliver else 1):
                    await self._send(session, frame)

    async def _notify_room(self, rid: str, event: str, args: list) -> None:
        key = f"{rid}/{event}"
        for session in list(self.sessions):
            if any(n == "stream-notify-room" and k == key for n, k in session.subs.values()):
                await self._send(session, {"msg": "changed", "collection": "stream-notify-room", "id": "id", "fields": {"eventName": key, "args": args}})
