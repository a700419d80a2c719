"""Rocket.Chat benchmark: the bot's command-to-reply time beside the fake server's own echo
round trip, on the fake Rocket.Chat (tests/rocketchat/fake_server.py).

    .venv/bin/python bench/bench_rocketchat.py [--rounds 200] [--burst 200] [--echo-bot] [--era 6.3|7.x|8.x]

No real Rocket.Chat can run here (docs/rocketchat.md), so these numbers measure the bot and
the protocol path (REST in, DDP stream out, outbox, REST back, stream again) on a local fake,
not a production server. Measured, interleaved round by round:
- echo: a plain client (raw aiohttp, none of the bot's code) posts with chat.sendMessage and
  waits until its own message comes back on its `__my_messages__` stream;
- command: the same client posts `!agenda` and waits until the bot's reply reaches its stream.
  The bot is the real App (SQLite file, outbox, dispatcher) with the real RocketChatBackend,
  in this process; `--echo-bot` replaces the App by a deliver that answers at once (the
  backend's own overhead).
- burst: `--burst` commands posted back to back, all answered, none twice; drain time.
`--era` runs the fake as a server of that era (tests/rocketchat/conftest.py ERAS): 6.3 takes
no previewUrls, 8.x streams without the room argument, so the bot checks its own rooms.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.backends.base import Incoming, Outgoing  # noqa: E402
from bot.backends.rocketchat import RocketChatBackend  # noqa: E402
from bot.richtext import Doc  # noqa: E402
from tests.rocketchat.conftest import BOT, ERAS, MemoryState, make_config, populate  # noqa: E402
from tests.rocketchat.fake_server import FakeRocketChat  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))] if s else float("nan")


def ms(x: float) -> str:
    return f"{x * 1000:.2f} ms"


class PlainClient:
    """A person's client: REST to post, one DDP stream to watch, timestamps on arrival."""

    def __init__(self, url: str, username: str, password: str, preview_urls: bool = True) -> None:
        self.url, self.username, self.password = url, username, password
        self.preview_urls = preview_urls  # the server takes previewUrls (6.4+)
        self.seen: dict[str, float] = {}  # message _id -> first time seen on the stream
        self.by_bot: list[tuple[float, dict]] = []
        self.waiters: list[tuple[callable, asyncio.Future]] = []
        self.ids = itertools.count()

    async def start(self, bot_id: str) -> None:
        self.bot_id = bot_id
        self.http = aiohttp.ClientSession()
        async with self.http.post(f"{self.url}/api/v1/login", json={"user": self.username, "password": self.password}) as r:
            data = (await r.json())["data"]
        self.headers = {"X-User-Id": data["userId"], "X-Auth-Token": data["authToken"]}
        self.ws = await self.http.ws_connect(self.url.replace("http", "ws", 1) + "/websocket")
        await self.ws.send_json({"msg": "connect", "version": "1", "support": ["1"]})
        await self.ws.send_json({"msg": "method", "method": "login", "id": "l", "params": [{"resume": data["authToken"]}]})
        await self.ws.send_json({"msg": "sub", "id": "s", "name": "stream-room-messages", "params": ["__my_messages__", False]})
        while True:
            frame = json.loads((await self.ws.receive()).data)
            if frame.get("msg") == "ready":
                break
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw.data)
            if frame.get("msg") == "ping":
                await self.ws.send_json({"msg": "pong"})
            if frame.get("msg") != "changed":
                continue
            msg = frame["fields"]["args"][0]
            now = time.perf_counter()
            self.seen.setdefault(msg["_id"], now)
            if msg["u"]["_id"] == self.bot_id and msg["_id"] not in {m["_id"] for _, m in self.by_bot[-50:]}:
                self.by_bot.append((now, msg))
            for pred, fut in list(self.waiters):
                if not fut.done() and pred(msg):
                    fut.set_result(now)

    async def post(self, rid: str, text: str, mid: str | None = None) -> str:
        mid = mid or f"bench{next(self.ids)}"
        body: dict = {"message": {"_id": mid, "rid": rid, "msg": text}}
        if self.preview_urls:
            body["previewUrls"] = []
        async with self.http.post(f"{self.url}/api/v1/chat.sendMessage", json=body, headers=self.headers) as r:
            assert r.status == 200, await r.text()
        return mid

    def expect(self, pred) -> asyncio.Future:
        """Start watching before posting: the fake streams the message before REST answers."""
        fut = asyncio.get_running_loop().create_future()
        entry = (pred, fut)
        self.waiters.append(entry)
        fut.add_done_callback(lambda _: self.waiters.remove(entry))
        return fut

    async def close(self) -> None:
        self.reader.cancel()
        await asyncio.gather(self.reader, return_exceptions=True)
        await self.ws.close()
        await self.http.close()


async def start_bot(fake: FakeRocketChat, echo_bot: bool, workdir: Path):
    config = make_config(fake.url)
    if echo_bot:
        backend = RocketChatBackend(config, MemoryState())

        async def deliver(msg: Incoming) -> None:
            if not msg.text.startswith("!"):
                return  # like the App: only commands get an answer
            await backend.send(Outgoing(send_key=f"r{msg.event_id}"[:64], body=Doc.text("pong"), room=msg.room, thread=msg.thread))

        task = asyncio.create_task(backend.run(deliver))

        async def stop() -> None:
            await backend.stop()
            await task

        while not backend.live:
            await asyncio.sleep(0.01)
        return stop
    from bot.app import App
    from bot.config import ChambreConfig, Config

    cfg = Config(chambre=ChambreConfig(database=str(workdir / "chambre.db")), rocketchat=config, path=workdir / "c.toml")
    app = App(cfg, db_path=str(workdir / "chambre.db"))
    await app.start()
    while not app.backends["rocketchat"].live:  # caught up, listening
        await asyncio.sleep(0.01)
    return app.stop


async def main(rounds: int, burst: int, echo_bot: bool, era: str | None = None) -> dict:
    fake = await FakeRocketChat(seed=1, **ERAS.get(era or "", {})).start()
    rooms = await populate(fake)
    chambre = rooms["chambre"]
    bot_id = fake.user_id(BOT)
    with tempfile.TemporaryDirectory() as tmp:
        stop_bot = await start_bot(fake, echo_bot, Path(tmp))
        client = PlainClient(fake.url, "bob", "pw-bob", preview_urls=fake.version >= (6, 4))
        await client.start(bot_id)
        echo, command = [], []
        try:
            for n in range(rounds):
                mid = f"echo{n}"
                seen = client.expect(lambda m, mid=mid: m["_id"] == mid)
                t0 = time.perf_counter()
                await client.post(chambre, f"bonjour {n}", mid)
                echo.append(await asyncio.wait_for(seen, 10) - t0)

                before = len(client.by_bot)
                reply = client.expect(lambda m, b=before: m["u"]["_id"] == bot_id and len(client.by_bot) > b)
                t0 = time.perf_counter()
                await client.post(chambre, "!agenda")
                command.append(await asyncio.wait_for(reply, 10) - t0)

            before = len(fake.messages_by(BOT, chambre))
            t0 = time.perf_counter()
            for n in range(burst):
                await client.post(chambre, f"!odj ajouter point {n}")
            await fake.wait_for(lambda: len(fake.messages_by(BOT, chambre)) >= before + burst, timeout=120)
            drain = time.perf_counter() - t0
            await asyncio.sleep(0.5)
            extra = len(fake.messages_by(BOT, chambre)) - before - burst
        finally:
            await client.close()
            await stop_bot()
            await fake.close()
    result = {
        "rounds": rounds,
        "era": era or "default (8.0, room argument)",
        "bot": "echo deliver (backend only)" if echo_bot else "App (SQLite, outbox, dispatcher)",
        "echo_p50_ms": round(pct(echo, 50) * 1000, 2),
        "echo_p99_ms": round(pct(echo, 99) * 1000, 2),
        "command_p50_ms": round(pct(command, 50) * 1000, 2),
        "command_p99_ms": round(pct(command, 99) * 1000, 2),
        "command_over_echo_p50": round(statistics.median(command) / statistics.median(echo), 2),
        "burst": burst,
        "burst_drain_s": round(drain, 2),
        "burst_replies_twice": extra,
    }
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--echo-bot", action="store_true")
    parser.add_argument("--era", choices=sorted(ERAS))
    args = parser.parse_args()
    out = asyncio.run(main(args.rounds, args.burst, args.echo_bot, args.era))
    print(f"{'':24}{'p50':>12}{'p99':>12}")
    print(f"{'echo round trip':24}{ms(out['echo_p50_ms'] / 1000):>12}{ms(out['echo_p99_ms'] / 1000):>12}")
    print(f"{'command -> reply':24}{ms(out['command_p50_ms'] / 1000):>12}{ms(out['command_p99_ms'] / 1000):>12}")
    print(f"bot: {out['bot']}; server: {out['era']}; ratio of medians {out['command_over_echo_p50']}")
    print(f"burst of {out['burst']}: drained in {out['burst_drain_s']} s, {out['burst_replies_twice']} replies twice")
    print(json.dumps(out))
