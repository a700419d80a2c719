"""A second, smaller fake Rocket.Chat, written apart from fake_server.py and only from the
wire shapes in docs/rocketchat-protocol.md, so that a test passing against both is about the
protocol and not about one fake's habits.

Deliberately different choices: by default it plays a pre-7.10 server with legacy (pre-8)
error bodies (no `rooms.roles`, so the client must fall back to `channels.roles`/`groups.roles`);
`version` moves it to another era: `/api/info` tells it, `chat.sendMessage` refuses
`previewUrls` before 6.4 (with a text that names the key, where the faithful fake has ajv's,
which does not), `rooms.roles` answers from 7.10, 8.0's bare error bodies; and
`stream_room_info=False` leaves out the stream's undeclared second argument. It sends
the ddp-streamer welcome `{"msg":"server_id"}`, answers `result` before `updated`, refuses a
duplicate `_id` with a Meteor-style error, keeps times as integer milliseconds, and is one
if/elif dispatcher over plain dicts.
"""
from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import WSMsgType, web

from tests.support import wait_until

NOT_LOGGED_IN = "You must be logged in to do this."


def _ms() -> int:
    return int(time.time() * 1000)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms_of(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _new_id() -> str:
    return uuid.uuid4().hex[:17]


class AltFake:
    def __init__(self, version: str = "7.9.0", stream_room_info: bool = True, info_visible: bool = True) -> None:
        self.version = tuple(int(x) for x in version.split("."))
        self.stream_room_info = stream_room_info
        self.info_visible = info_visible
        self.calls: list[tuple[str, str, int]] = []  # (method, endpoint, status), as the faithful fake keeps
        self.users: list[dict] = []  # {"_id","username","password","roles","tokens"}
        self.rooms: list[dict] = []  # {"_id","t","name","members":{uid: [roles]}}
        self.msgs: list[dict] = []  # documents with integer-ms times
        self.sockets: list[dict] = []  # {"ws","request","uid","token","my_messages"}
        self.limit: tuple[int, float] | None = None
        self.limit_routes: set[str] | None = None
        self.rate_limit_bypass_for_bot = True
        self.ddp_logins: list[tuple[str, bool]] = []
        self.hits: dict[str, list[float]] = {}
        self.down_until = 0.0
        self.last_ms = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> "AltFake":
        app = web.Application()
        app.router.add_route("*", "/api/v1/{name}", self.logged_rest)
        app.router.add_get("/api/info", self.info)
        app.router.add_get("/websocket", self.ddp)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = "http://127.0.0.1:%d" % site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        for s in list(self.sockets):
            s["request"].transport.abort()
        if self.runner:
            await self.runner.cleanup()

    def tick(self) -> int:
        self.last_ms = max(_ms(), self.last_ms + 1)
        return self.last_ms

    # -- lookups -------------------------------------------------------------------------
    def user(self, username: str) -> dict:
        return next(u for u in self.users if u["username"] == username)

    def room(self, rid: str) -> dict | None:
        return next((r for r in self.rooms if r["_id"] == rid), None)

    def msg(self, mid: str) -> dict | None:
        return next((m for m in self.msgs if m["_id"] == mid), None)

    # -- control API (same names as the faithful fake) ------------------------------------
    def add_user(self, username: str, password: str | None = None, roles: tuple = ("user",)) -> dict:
        u = {"_id": _new_id(), "username": username, "password": password, "roles": list(roles), "tokens": []}
        self.users.append(u)
        return u

    def create_room(self, name: str, t: str = "c", members: list = (), owner: str | None = None) -> str:
        r = {"_id": _new_id(), "t": t, "name": name, "members": {self.user(m)["_id"]: [] for m in members}}
        if owner:
            r["members"].setdefault(self.user(owner)["_id"], []).append("owner")
        self.rooms.append(r)
        return r["_id"]

    async def set_role(self, rid: str, username: str, role: str, on: bool = True) -> None:
        roles = self.room(rid)["members"][self.user(username)["_id"]]
        if on and role not in roles:
            roles.append(role)
        if not on and role in roles:
            roles.remove(role)
        await self.insert(username, rid, username, t="subscription-role-added" if on else "subscription-role-removed", role=role)

    async def add_member(self, rid: str, username: str) -> None:
        self.room(rid)["members"][self.user(username)["_id"]] = []
        await self.insert(username, rid, username, t="uj")

    async def insert(self, username: str, rid: str, text: str, mid: str | None = None, tmid: str | None = None, **extra: Any) -> dict:
        u = self.user(username)
        now = self.tick()
        if tmid and self.msg(tmid) and self.msg(tmid).get("tmid"):
            tmid = self.msg(tmid)["tmid"]
        m = {"_id": mid or _new_id(), "rid": rid, "msg": text, "ts": now, "_updatedAt": now,
             "u": {"_id": u["_id"], "username": username, "name": username}, **extra}
        if tmid:
            m["tmid"] = tmid
        self.msgs.append(m)
        await self.broadcast(m)
        if tmid:
            root = self.msg(tmid)
            root["tcount"] = root.get("tcount", 0) + 1
            root["tlm"] = now
            root["_updatedAt"] = self.tick()
            await self.broadcast(root)
        return m

    async def post_as(self, username: str, rid: str, text: str, tmid: str | None = None) -> dict:
        return self.wire(await self.insert(username, rid, text, tmid=tmid), dates="iso")

    async def edit(self, mid: str, text: str) -> None:
        m = self.msg(mid)
        m["msg"] = text
        m["editedAt"] = m["_updatedAt"] = self.tick()
        m["editedBy"] = {"_id": m["u"]["_id"], "username": m["u"]["username"]}
        await self.broadcast(m)

    async def react(self, mid: str, emoji: str, username: str, should: bool | None = None) -> None:
        m = self.msg(mid)
        names = m.setdefault("reactions", {}).setdefault(":%s:" % emoji.strip(":"), {"usernames": []})["usernames"]
        if should is None:
            should = username not in names  # no shouldReact: a toggle
        if should and username not in names:
            names.append(username)
        if not should and username in names:
            names.remove(username)
        m["_updatedAt"] = self.tick()
        await self.broadcast(m)

    async def drop_sockets(self, how: Any = "abrupt") -> int:
        n = len(self.sockets)
        for s in list(self.sockets):
            if how == "abrupt":
                s["request"].transport.abort()
            else:
                await s["ws"].close(code=int(how))
        return n

    async def restart(self, downtime: float = 0.0) -> None:
        self.down_until = time.monotonic() + downtime
        await self.drop_sockets("abrupt")

    async def revoke_token(self, username: str) -> None:
        u = self.user(username)
        gone = set(u["tokens"])
        u["tokens"] = []
        for s in list(self.sockets):
            if s["token"] in gone:
                await s["ws"].close(code=1000)

    def user_id(self, username: str) -> str:
        return self.user(username)["_id"]

    def create_pat(self, username: str) -> str:
        token = "pat-" + uuid.uuid4().hex
        self.user(username)["tokens"].append(token)
        return token

    def open_dm(self, a: str, b: str) -> str:
        ua, ub = self.user(a), self.user(b)
        rid = "".join(sorted([ua["_id"], ub["_id"]]))
        if not self.room(rid):
            self.rooms.append({"_id": rid, "t": "d", "name": None, "members": {ua["_id"]: [], ub["_id"]: []}})
        return rid

    def set_rate_limit(self, calls: int | None, window: float = 60.0, routes: set | None = None) -> None:
        self.limit = None if calls is None else (calls, window)
        self.limit_routes = routes
        self.hits = {}

    # -- readers -------------------------------------------------------------------------
    def room_messages(self, rid: str) -> list[dict]:
        return [self.wire(m, "iso") for m in self.msgs if m["rid"] == rid and "t" not in m]

    def messages_by(self, username: str, rid: str | None = None) -> list[dict]:
        return [self.wire(m, "iso") for m in self.msgs if m["u"]["username"] == username and "t" not in m and (rid is None or m["rid"] == rid)]

    def replies(self, mid: str) -> list[dict]:
        return [self.wire(m, "iso") for m in self.msgs if m.get("tmid") == mid]

    def message(self, mid: str) -> dict | None:
        m = self.msg(mid)
        return self.wire(m, "iso") if m else None

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        return await wait_until(predicate, timeout, "alt fake: condition never met")

    # -- wire ----------------------------------------------------------------------------
    @staticmethod
    def wire(m: dict, dates: str) -> dict:
        out = json.loads(json.dumps(m))
        for k in ("ts", "_updatedAt", "editedAt", "tlm"):
            if k in out:
                out[k] = {"$date": out[k]} if dates == "ejson" else _iso(out[k])
        return out

    async def broadcast(self, m: dict) -> None:
        r = self.room(m["rid"])
        for s in list(self.sockets):
            if not s["uid"] or not s["my_messages"]:
                continue
            member = s["uid"] in r["members"]
            if r["t"] != "c" and not member:
                continue
            info = {"roomParticipant": member, "roomType": r["t"]}
            if r["t"] != "d":
                info["roomName"] = r["name"]
            args = [self.wire(m, "ejson"), info] if self.stream_room_info else [self.wire(m, "ejson")]
            frame = {"msg": "changed", "collection": "stream-room-messages", "id": "id",
                     "fields": {"eventName": "__my_messages__", "args": args}}
            try:
                await s["ws"].send_str(json.dumps(frame))
            except (ConnectionResetError, RuntimeError):
                pass

    # -- REST ----------------------------------------------------------------------------
    def fail(self, status: int, body: dict) -> web.Response:
        return web.json_response(body, status=status)

    def err(self, code: str, reason: str) -> web.Response:
        return self.fail(400, {"success": False, "error": f"{reason} [{code}]", "errorType": code})

    def ok(self, body: dict, headers: dict | None = None) -> web.Response:
        body["success"] = True
        return web.json_response(body, headers=headers)

    def v8(self) -> bool:
        return self.version >= (8, 0)

    async def info(self, req: web.Request) -> web.Response:
        if time.monotonic() < self.down_until:
            return self.fail(503, {"success": False, "error": "down"})
        if not self.info_visible:
            return web.Response(status=404, text="404: Not Found")
        return self.ok({"version": "%d.%d" % self.version[:2]})

    async def logged_rest(self, req: web.Request) -> web.Response:
        resp = await self.rest(req)
        self.calls.append((req.method, req.match_info["name"], resp.status))
        return resp

    async def rest(self, req: web.Request) -> web.Response:
        if time.monotonic() < self.down_until:
            return self.fail(503, {"success": False, "error": "down"})
        name, q = req.match_info["name"], req.query
        body = await req.json() if req.method == "POST" else {}
        me = next((u for u in self.users if u["_id"] == req.headers.get("X-User-Id") and req.headers.get("X-Auth-Token") in u["tokens"]), None)
        headers: dict[str, str] = {}
        if self.limit and (self.limit_routes is None or name in self.limit_routes) and not (me and self.rate_limit_bypass_for_bot and "bot" in me["roles"]):
            calls, window = self.limit
            now = time.time()
            hits = [h for h in self.hits.get(name + req.method, []) if h > now - window] + [now]
            self.hits[name + req.method] = hits
            reset_ms = int((hits[0] + window) * 1000)
            headers = {"X-RateLimit-Limit": str(calls), "X-RateLimit-Remaining": str(max(0, calls - len(hits))), "X-RateLimit-Reset": str(reset_ms)}
            if len(hits) > calls:
                wait = max(1, int(window))
                return web.json_response({"success": False, "error": f"Error, too many requests. Please slow down. You must wait {wait} seconds before trying this endpoint again. [error-too-many-requests]"}, status=429, headers=headers)

        if name == "login":
            u = next((u for u in self.users if u["username"] == body.get("user") and u["password"] == body.get("password")), None)
            if u is None:
                if self.v8():
                    return self.fail(401, {"success": False, "error": "unauthorized"})
                return self.fail(401, {"status": "error", "error": 403, "message": "Incorrect password"})
            token = uuid.uuid4().hex
            u["tokens"].append(token)
            return self.ok({"status": "success", "data": {"authToken": token, "userId": u["_id"], "me": {"_id": u["_id"], "username": u["username"]}}})
        if me is None:
            if self.v8():
                return self.fail(401, {"success": False, "error": NOT_LOGGED_IN})
            return self.fail(401, {"success": False, "error": NOT_LOGGED_IN, "status": "error", "message": NOT_LOGGED_IN})
        if name == "me":
            return self.ok({"_id": me["_id"], "username": me["username"], "roles": me["roles"]}, headers)
        if name == "subscriptions.get":
            subs = []
            for r in self.rooms:
                if me["_id"] in r["members"]:
                    sub = {"_id": _new_id(), "rid": r["_id"], "t": r["t"], "u": {"_id": me["_id"], "username": me["username"]}}
                    if r["t"] != "d":
                        sub["name"] = r["name"]
                    subs.append(sub)
            return self.ok({"update": subs, "remove": []}, headers)
        if name == "chat.sendMessage":
            extra = sorted(set(body) - ({"message", "previewUrls"} if self.version >= (6, 4) else {"message"}))
            if extra:
                return self.err("invalid-params", "must NOT have additional property '%s'" % extra[0])
            m = body["message"]
            r = self.room(m.get("rid", ""))
            if r is None or me["_id"] not in r["members"]:
                return self.err("error-not-allowed", "Not allowed")
            if m.get("_id") and self.msg(m["_id"]):
                return self.err("error-duplicate-id", "Message already exists")
            doc = await self.insert(me["username"], r["_id"], m.get("msg", ""), mid=m.get("_id"), tmid=m.get("tmid"))
            return self.ok({"message": self.wire(doc, "iso")}, headers)
        if name == "chat.getMessage":
            m = self.msg(q.get("msgId", ""))
            return self.ok({"message": self.wire(m, "iso")}, headers) if m else self.err("error-message-not-found", "Not found")
        if name == "chat.syncMessages":
            since = _ms_of(q["lastUpdate"])
            upd = [self.wire(m, "iso") for m in self.msgs if m["rid"] == q["roomId"] and m["_updatedAt"] > since]
            return self.ok({"result": {"updated": upd[::-1], "deleted": []}}, headers)
        if name in ("im.create", "dm.create"):
            other = next((u for u in self.users if u["username"] == body.get("username")), None)
            if other is None:
                return self.err("error-invalid-user", "Invalid user")
            rid = self.open_dm(me["username"], other["username"])
            return self.ok({"room": {"rid": rid, "t": "d", "usernames": [me["username"], other["username"]]}}, headers)
        if name in ("channels.roles", "groups.roles") or (name == "rooms.roles" and self.version >= (7, 10)):
            r = self.room(q.get("rid" if name == "rooms.roles" else "roomId", ""))
            if r is None or (name != "rooms.roles" and r["t"] != ("c" if name == "channels.roles" else "p")):
                return self.err("error-room-not-found", "Room not found")
            roles = [{"rid": r["_id"], "u": {"_id": uid, "username": next(u["username"] for u in self.users if u["_id"] == uid)}, "roles": rs}
                     for uid, rs in r["members"].items() if rs]
            return self.ok({"roles": roles}, headers)
        if name == "chat.react":
            await self.react(body["messageId"], body["emoji"], me["username"], body.get("shouldReact"))
            return self.ok({}, headers)
        return self.fail(404, {"status": "error", "message": "API endpoint does not exist"})

    # -- DDP -----------------------------------------------------------------------------
    async def ddp(self, req: web.Request) -> web.StreamResponse:
        if time.monotonic() < self.down_until:
            return web.Response(status=503)
        ws = web.WebSocketResponse()
        await ws.prepare(req)
        s = {"ws": ws, "request": req, "uid": None, "token": None, "my_messages": False}
        self.sockets.append(s)
        try:
            await ws.send_str(json.dumps({"msg": "server_id", "server_id": "0"}))
            async for raw in ws:
                if raw.type != WSMsgType.TEXT:
                    continue
                f = json.loads(raw.data)
                kind = f.get("msg")
                if kind == "connect":
                    await ws.send_str(json.dumps({"msg": "connected", "session": _new_id()}))
                elif kind == "ping":
                    await ws.send_str(json.dumps({"msg": "pong", **({"id": f["id"]} if "id" in f else {})}))
                elif kind == "method" and f.get("method") == "login":
                    token = (f.get("params") or [{}])[0].get("resume")
                    u = next((u for u in self.users if token in u["tokens"]), None)
                    self.ddp_logins.append(("resume", u is not None))
                    if u is None:
                        reply = {"msg": "result", "id": f["id"], "error": {"error": 403, "reason": "You've been logged out by the server. Please log in again.", "errorType": "Meteor.Error"}}
                    else:
                        s["uid"], s["token"] = u["_id"], token
                        reply = {"msg": "result", "id": f["id"], "result": {"id": u["_id"], "token": token, "tokenExpires": {"$date": _ms() + 86400000}, "type": "resume"}}
                    await ws.send_str(json.dumps(reply))
                    await ws.send_str(json.dumps({"msg": "updated", "methods": [f["id"]]}))
                elif kind == "method":
                    await ws.send_str(json.dumps({"msg": "result", "id": f["id"], "error": {"error": 404, "reason": "Method '%s' not found" % f.get("method")}}))
                elif kind == "sub":
                    if f.get("name") == "stream-room-messages" and f["params"][0] == "__my_messages__":
                        s["my_messages"] = True
                        await ws.send_str(json.dumps({"msg": "ready", "subs": [f["id"]]}))
                    else:
                        await ws.send_str(json.dumps({"msg": "nosub", "id": f["id"], "error": {"error": "not-allowed"}}))
        except ConnectionResetError:
            pass
        finally:
            if s in self.sockets:
                self.sockets.remove(s)
        return ws
