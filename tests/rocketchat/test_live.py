"""The exactly-once scenario against a real Rocket.Chat, when one is given.

Runs only with ROCKETCHAT_E2E_URL, ROCKETCHAT_E2E_USER and ROCKETCHAT_E2E_PASSWORD (the
bot account) plus ROCKETCHAT_E2E_MEMBER / ROCKETCHAT_E2E_MEMBER_PASSWORD (a person) and
ROCKETCHAT_E2E_CHANNEL (a channel both are in). No real server can run here (see
docs/rocketchat.md), so this is skipped in CI; it is the suite's only skip.
"""
from __future__ import annotations

import os
import uuid
from collections import Counter

import aiohttp
import pytest

from bot.backends.base import Outgoing
from bot.richtext import Doc
from tests.rocketchat.conftest import Harness, make_config

ENV = ["ROCKETCHAT_E2E_URL", "ROCKETCHAT_E2E_USER", "ROCKETCHAT_E2E_PASSWORD",
       "ROCKETCHAT_E2E_MEMBER", "ROCKETCHAT_E2E_MEMBER_PASSWORD", "ROCKETCHAT_E2E_CHANNEL"]

pytestmark = pytest.mark.skipif(not all(os.environ.get(k) for k in ENV),
                                reason="no real Rocket.Chat: set " + ", ".join(ENV))


class Person:
    """A member typing through REST, as any client does."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http, self.api = http, url.rstrip("/") + "/api/v1/"

    async def login(self, user: str, password: str) -> None:
        async with self.http.post(self.api + "login", json={"user": user, "password": password}) as r:
            data = (await r.json())["data"]
        self.headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}

    async def call(self, method: str, endpoint: str, **kw) -> dict:
        async with self.http.request(method, self.api + endpoint, headers=self.headers, **kw) as r:
            body = await r.json()
            assert r.status == 200, body
            return body


async def test_exactly_once_on_a_real_server():
    env = {k: os.environ[k] for k in ENV}
    async with aiohttp.ClientSession() as http:
        person = Person(http, env["ROCKETCHAT_E2E_URL"])
        await person.login(env["ROCKETCHAT_E2E_MEMBER"], env["ROCKETCHAT_E2E_MEMBER_PASSWORD"])
        subs = await person.call("GET", "subscriptions.get")
        rid = next(s["rid"] for s in subs["update"] if s.get("name") == env["ROCKETCHAT_E2E_CHANNEL"])
        config = make_config(env["ROCKETCHAT_E2E_URL"], username=env["ROCKETCHAT_E2E_USER"],
                             password=env["ROCKETCHAT_E2E_PASSWORD"], channels=[env["ROCKETCHAT_E2E_CHANNEL"]])

        class Server:  # what Harness needs from a fake
            url = env["ROCKETCHAT_E2E_URL"]

        h = await Harness(Server(), config=config, ping_interval=5.0, pong_timeout=5.0).start()
        try:
            run = uuid.uuid4().hex[:8]
            posted = []
            for n in range(6):
                body = await person.call("POST", "chat.sendMessage", json={"message": {"rid": rid, "msg": f"!e2e {run} {n}"}})
                posted.append(body["message"]["_id"])
                if n == 1:
                    await person.call("POST", "chat.react", json={"messageId": posted[0], "emoji": "thumbsup", "shouldReact": True})
                    await person.call("POST", "chat.update", json={"roomId": rid, "msgId": posted[0], "text": f"!e2e {run} 0 edited"})
                if n == 3 and h.backend._conn is not None:
                    await h.backend._conn.close()  # our own drop: the catch-up must fill the gap
            await h.wait(lambda: set(posted) <= {m.event_id for m in h.delivered}, timeout=30)
            # A marker said once live: anything sent before it (a copy, a late update) has
            # been through the backend when it arrives, so the counts below are final.
            await h.wait(lambda: h.backend.live, timeout=30)
            marker = f"!e2e {run} marker"
            await person.call("POST", "chat.sendMessage", json={"message": {"rid": rid, "msg": marker}})
            await h.wait(lambda: marker in h.texts(), timeout=30)
            mine = Counter(m.event_id for m in h.delivered if f" {run} " in m.text and m.text != marker)
            assert mine == Counter({mid: 1 for mid in posted})
            key = f"e2e{run}"
            out = Outgoing(send_key=key, body=Doc.text(f"e2e {run} ok"), room=rid)
            await h.backend.send(out)
            await h.backend.send(out)
            found = await person.call("GET", "chat.getMessage", params={"msgId": key})
            assert found["message"]["msg"] == f"e2e {run} ok"
        finally:
            await h.stop()
