"""The faithful fake checked against the protocol (docs/rocketchat-protocol.md) with a raw client, so
that the backend's tests rest on a fake that behaves like the documented server."""
from __future__ import annotations

import asyncio
import hashlib
import json
import time

import aiohttp
import pytest

from tests.rocketchat.conftest import BOT, BOT_PASSWORD, populate, start_fake


@pytest.fixture
async def server():
    fake = await start_fake("faithful", server_ping_interval=0.1, server_ping_timeout=0.15)
    fake.rooms_by_name = await populate(fake)
    async with aiohttp.ClientSession() as http:
        fake.http = http
        try:
            yield fake
        finally:
            await fake.close()


async def rest(fake, method, endpoint, user=None, **kw):
    headers = {}
    if user is not None:
        token = fake.create_pat(user)
        headers = {"X-User-Id": fake.user_id(user), "X-Auth-Token": token}
    async with fake.http.request(method, f"{fake.url}/api/v1/{endpoint}", headers=headers, **kw) as r:
        return r.status, await r.json(), r.headers


class Raw:
    def __init__(self, ws):
        self.ws = ws

    async def send(self, frame):
        await self.ws.send_str(json.dumps(frame))

    async def recv(self, timeout=2.0):
        msg = await asyncio.wait_for(self.ws.receive(), timeout)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return msg
        return json.loads(msg.data)

    async def until(self, pred, timeout=2.0):
        end = time.monotonic() + timeout
        while True:
            frame = await self.recv(max(0.01, end - time.monotonic()))
            if isinstance(frame, dict) and pred(frame):
                return frame


async def ddp(fake, connect=True):
    raw = Raw(await fake.http.ws_connect(f"{fake.url.replace('http', 'ws')}/websocket"))
    assert await raw.recv() == {"server_id": "0"}
    if connect:
        await raw.send({"msg": "connect", "version": "1", "support": ["1"], "session": "ignored"})
        frame = await raw.recv()
        assert frame["msg"] == "connected" and frame["session"] != "ignored"
    return raw


async def test_auth_statuses_and_both_body_eras(server):
    status, body, _ = await rest(server, "GET", "me")
    assert status == 401 and body == {"success": False, "error": "You must be logged in to do this."}
    status, body, _ = await rest(server, "POST", "login", json={"user": BOT, "password": "wrong"})
    assert status == 401 and body == {"success": False, "error": "unauthorized"}
    status, body, _ = await rest(server, "POST", "login", json={"user": BOT, "password": BOT_PASSWORD})
    assert status == 200 and body["status"] == "success" and set(body["data"]) == {"authToken", "userId", "me"}
    server.version = (7, 9, 0)
    status, body, _ = await rest(server, "GET", "me")
    assert status == 401 and body["status"] == "error" and body["message"] == "You must be logged in to do this."
    status, body, _ = await rest(server, "POST", "login", json={"user": BOT, "password": "wrong"})
    assert status == 401 and body == {"status": "error", "error": 403, "message": "Incorrect password"}


async def test_rate_limit_headers_and_429_body(server):
    server.set_rate_limit(2, window=5, routes={"me"})
    statuses = []
    for _ in range(3):
        status, body, headers = await rest(server, "GET", "me", user="alice")
        statuses.append(status)
    assert statuses == [200, 200, 429]
    assert "Retry-After" not in headers
    assert int(headers["X-RateLimit-Reset"]) > time.time() * 1000  # epoch milliseconds
    assert headers["X-RateLimit-Remaining"] == "0"
    assert body["error"] == "Error, too many requests. Please slow down. You must wait 5 seconds before trying this endpoint again. [error-too-many-requests]"
    status, _, headers = await rest(server, "GET", "me", user=BOT)  # the bot role bypasses
    assert status == 200 and "X-RateLimit-Limit" not in headers


async def test_send_message_rules(server):
    chambre = server.rooms_by_name["chambre"]
    root = await server.post_as("alice", chambre, "racine")
    reply = await server.post_as("bob", chambre, "réponse", tmid=root["_id"])
    status, body, _ = await rest(server, "POST", "chat.sendMessage", user="carol",
                                 json={"message": {"_id": "client-id-1", "rid": chambre, "msg": "x", "tmid": reply["_id"]}})
    assert status == 200 and body["message"]["tmid"] == root["_id"]  # threads do not nest
    assert body["message"]["ts"].endswith("Z")  # REST dates are ISO
    status, body, _ = await rest(server, "POST", "chat.sendMessage", user="carol", json={"message": {"_id": "client-id-1", "rid": chambre, "msg": "x"}})
    assert status == 400 and "duplicate key" in body["error"]
    status, body, _ = await rest(server, "POST", "chat.sendMessage", user="carol", json={"message": {"rid": chambre, "msg": "x", "tshow": True}})
    assert status == 400 and body["errorType"] == "invalid-params"
    status, body, _ = await rest(server, "POST", "chat.postMessage", user="carol", json={"channel": "#nulle-part", "text": "x"})
    assert status == 400 and body["error"] == "[invalid-channel]"
    assert server.message(root["_id"])["tcount"] == 2


async def test_react_im_create_users_info_and_history(server):
    chambre = server.rooms_by_name["chambre"]
    msg = await server.post_as("alice", chambre, "hello")
    ok = {"messageId": msg["_id"], "emoji": ":thumbsup:"}
    assert (await rest(server, "POST", "chat.react", user="bob", json=ok))[0] == 200
    assert server.message(msg["_id"])["reactions"] == {":thumbsup:": {"usernames": ["bob"]}}
    await rest(server, "POST", "chat.react", user="bob", json=ok)  # no shouldReact: toggles
    assert "reactions" not in server.message(msg["_id"])
    status, body, _ = await rest(server, "POST", "chat.react", user="bob", json={"messageId": msg["_id"], "emoji": "licorne-inconnue"})
    assert status == 400 and body["errorType"] == "error-not-allowed"

    first = (await rest(server, "POST", "im.create", user="bob", json={"username": "dave"}))[1]["room"]
    again = (await rest(server, "POST", "im.create", user="bob", json={"username": "dave"}))[1]["room"]
    assert first["rid"] == first["_id"] == again["rid"] == "".join(sorted([server.user_id("bob"), server.user_id("dave")]))
    status, body, _ = await rest(server, "POST", "im.create", user="bob", json={"username": "personne"})
    assert status == 400 and body["errorType"] == "error-invalid-user"

    _, body, _ = await rest(server, "GET", "users.info", user="bob", params={"username": BOT})
    assert "roles" not in body["user"]
    server.user("alice").roles.append("admin")
    _, body, _ = await rest(server, "GET", "users.info", user="alice", params={"username": BOT})
    assert body["user"]["roles"] == ["bot"]

    await server.post_as("bob", chambre, "dans le fil", tmid=msg["_id"])
    _, body, _ = await rest(server, "GET", "channels.history", user="bob", params={"roomId": chambre})
    assert [m["msg"] for m in body["messages"]][:1] == ["hello"]  # newest first, thread hidden
    _, body, _ = await rest(server, "GET", "channels.history", user="bob", params={"roomId": chambre, "showThreadMessages": "true"})
    assert [m["msg"] for m in body["messages"]][:2] == ["dans le fil", "hello"]
    status, body, _ = await rest(server, "GET", "channels.roles", user="bob", params={})
    assert status == 400 and body["errorType"] == "error-room-param-not-provided"
    status, _, _ = await rest(server, "GET", "groups.roles", user="bob", params={"roomId": chambre})
    assert status == 400  # chambre is a channel, not a group


async def test_ddp_handshake_methods_and_subscriptions(server):
    raw = await ddp(server, connect=False)
    await raw.send({"msg": "sub", "id": "x", "name": "stream-room-messages", "params": ["__my_messages__", False]})
    assert (await raw.recv())["msg"] == "error"  # connect must come first
    server.first_frame_error = "close"
    raw = await ddp(server, connect=False)
    await raw.send({"msg": "ping"})
    closed = await raw.recv()
    assert raw.ws.close_code == 1002 or getattr(closed, "data", None) == 1002

    raw = await ddp(server)
    await raw.send({"msg": "ping", "id": "abc"})
    assert await raw.until(lambda f: f["msg"] == "pong") == {"msg": "pong", "id": "abc"}
    await raw.send({"msg": "sub", "id": "before-login", "name": "stream-room-messages", "params": ["__my_messages__", False]})
    assert (await raw.until(lambda f: f["msg"] == "ready"))["subs"] == ["before-login"]
    await server.post_as("alice", server.rooms_by_name["chambre"], "nobody hears this")
    await raw.send({"msg": "method", "method": "getRoomRoles", "id": "m1", "params": []})
    result = await raw.until(lambda f: f["msg"] == "result")  # nothing delivered before login
    assert result["error"]["error"] == 404 and result["error"]["reason"] == "Method 'getRoomRoles' not found"

    digest = hashlib.sha256(BOT_PASSWORD.encode()).hexdigest()
    await raw.send({"msg": "method", "method": "login", "id": "l1", "params": [{"user": {"username": BOT}, "password": {"digest": digest, "algorithm": "sha-256"}}]})
    result = await raw.until(lambda f: f["msg"] == "result")
    assert result["result"]["id"] == server.user_id(BOT) and "$date" in result["result"]["tokenExpires"]
    await raw.send({"msg": "sub", "id": "u", "name": "stream-nowhere", "params": ["x", False]})
    assert (await raw.until(lambda f: f["msg"] == "nosub"))["error"]["error"] == 404
    await raw.send({"msg": "sub", "id": "r", "name": "stream-room-messages", "params": [server.rooms_by_name["ailleurs"], {"useCollection": True, "args": []}]})
    assert (await raw.until(lambda f: f["msg"] in ("added", "ready")))["msg"] == "added"
    msg = await server.post_as("alice", server.rooms_by_name["ailleurs"], "public")
    frame = await raw.until(lambda f: f["msg"] == "changed" and f["fields"]["eventName"] == "__my_messages__")
    assert frame["collection"] == "stream-room-messages" and frame["id"] == "id"
    message, allowed = frame["fields"]["args"]
    assert message["_id"] == msg["_id"] and "$date" in message["ts"]
    assert allowed == {"roomParticipant": False, "roomType": "c", "roomName": "ailleurs"}
    per_room = await raw.until(lambda f: f["msg"] == "changed" and f["fields"]["eventName"] == server.rooms_by_name["ailleurs"])
    assert per_room["fields"]["args"] == [message]
    await raw.send({"msg": "unsub", "id": "r"})
    assert await raw.until(lambda f: f["msg"] == "nosub") == {"msg": "nosub", "id": "r"}


async def test_server_heartbeat_closes_a_silent_client_with_4000(server):
    raw = await ddp(server)
    assert await raw.until(lambda f: f["msg"] == "ping") == {"msg": "ping"}
    closed = await raw.recv(timeout=2)
    assert getattr(closed, "type", None) in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert raw.ws.close_code == 4000
    await raw.ws.close()


@pytest.mark.parametrize("kind", ["faithful", "alt"])
async def test_each_era_as_a_raw_client_sees_it(kind):
    """/api/info, chat.sendMessage's request schema, rooms.roles, and 8.0's bodies, in each
    era, on both fakes (docs/rocketchat-protocol.md, Versions; rest-typings isChatSendMessageProps)."""
    async with aiohttp.ClientSession() as http:
        for era, info, preview_ok, rooms_roles in [("6.3", "6.3", False, False), ("7.x", "7.10", True, True), ("8.x", "8.0", True, True)]:
            fake = await start_fake(kind, era)
            try:
                fake.rooms_by_name = await populate(fake)
                fake.http = http
                async with http.get(f"{fake.url}/api/info") as r:
                    assert r.status == 200 and (await r.json())["version"] == info  # no patch level
                chambre = fake.rooms_by_name["chambre"]
                status, body, _ = await rest(fake, "POST", "chat.sendMessage", user="carol",
                                             json={"message": {"rid": chambre, "msg": "x"}, "previewUrls": []})
                if preview_ok:
                    assert status == 200
                else:  # ajv's words; the alt fake names the key
                    assert status == 400 and body["errorType"] == "invalid-params" and "additional propert" in body["error"]
                status, _, _ = await rest(fake, "POST", "chat.sendMessage", user="carol", json={"message": {"rid": chambre, "msg": "x"}})
                assert status == 200
                status, _, _ = await rest(fake, "GET", "rooms.roles", user="carol", params={"rid": chambre})
                assert status == (200 if rooms_roles else 404)
                status, body, _ = await rest(fake, "POST", "login", json={"user": BOT, "password": "faux"})
                assert status == 401 and (body == {"success": False, "error": "unauthorized"}) == (era == "8.x")
            finally:
                await fake.close()


async def test_a_stream_without_its_room_argument():
    fake = await start_fake("faithful", "8.x", server_ping_interval=5, server_ping_timeout=5)
    try:
        fake.rooms_by_name = await populate(fake)
        async with aiohttp.ClientSession() as http:
            fake.http = http
            raw = await ddp(fake)
            await raw.send({"msg": "method", "method": "login", "id": "l", "params": [{"resume": fake.create_pat("bob")}]})
            await raw.until(lambda f: f["msg"] == "result")
            await raw.send({"msg": "sub", "id": "s", "name": "stream-room-messages", "params": ["__my_messages__", False]})
            await raw.until(lambda f: f["msg"] == "ready")
            msg = await fake.post_as("alice", fake.rooms_by_name["chambre"], "salut")
            frame = await raw.until(lambda f: f["msg"] == "changed")
            assert [m["_id"] for m in frame["fields"]["args"]] == [msg["_id"]]  # the message alone
            await raw.ws.close()
    finally:
        await fake.close()


async def test_hide_system_messages_changes_roles_silently():
    fake = await start_fake("faithful", hidden_system_messages=("subscription-role-added",))
    try:
        fake.rooms_by_name = await populate(fake)
        chambre = fake.rooms_by_name["chambre"]
        await fake.set_role(chambre, "bob", "moderator")
        assert not any(m.get("t") == "subscription-role-added" and m["msg"] == "bob"
                       for m in fake.room_messages(chambre, include_system=True))
        async with aiohttp.ClientSession() as http:
            fake.http = http
            _, body, _ = await rest(fake, "GET", "rooms.roles", user="alice", params={"rid": chambre})
        assert {e["u"]["username"]: e["roles"] for e in body["roles"]}["bob"] == ["moderator"]
    finally:
        await fake.close()
