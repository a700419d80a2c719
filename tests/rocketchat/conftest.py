"""Fixtures for the Rocket.Chat backend: a fake server with a small Chambre in it, and a
harness that runs the backend with a recording `deliver`."""
from __future__ import annotations

import asyncio
import socket
from typing import Any, Awaitable, Callable

import pytest
from aiohttp import web

from bot.backends.base import Incoming
from bot.backends.rocketchat import RocketChatBackend
from bot.config import RocketChatConfig
from tests.rocketchat.fake_server import FakeRocketChat
from tests.rocketchat.fake_server_alt import AltFake
from tests.support import MemoryState, wait_until  # noqa: F401  (MemoryState re-exported for the tests here)

BOT, BOT_PASSWORD = "chambot", "s3cret-bot"
CHANNELS = ["chambre", "bureau"]
BARRIER = "~barrière~"  # a marker message, never a command (see Harness.barrier)

# The servers groups actually run (issue 18), as options either fake understands:
# - 6.3: chat.sendMessage takes `message` and nothing else (previewUrls came in 6.4), no
#   rooms.roles (7.10) so roles come from channels.roles/groups.roles, pre-8 error bodies;
# - 7.x: previewUrls, rooms.roles, pre-8 error bodies;
# - 8.x: 8.0's bare error bodies (a refused login is just `unauthorized`), and a stream whose
#   `__my_messages__` events lack the second argument no published type declares. No server
#   is known to leave it out; the newest era plays it so that the fallback runs with the
#   newest behaviours.
ERAS: dict[str, dict[str, Any]] = {
    "6.3": {"version": "6.3.0"},
    "7.x": {"version": "7.10.0"},
    "8.x": {"version": "8.0.0", "stream_room_info": False},
}

# Timers shrunk so a dead link, a backoff or a rate-limit wait costs tens of milliseconds.
FAST = dict(
    ping_interval=0.2,
    pong_timeout=0.3,
    connect_timeout=2.0,
    backoff_base=0.05,
    backoff_max=0.3,
    stable_after=1.0,
    rate_limit_min_wait=0.05,
    server_retry_delay=0.1,
)


async def populate(fake: Any) -> dict[str, str]:
    """The same small world in either fake; returns room name -> room id."""
    fake.add_user(BOT, password=BOT_PASSWORD, roles=("bot",))
    for name in ("alice", "bob", "carol", "dave"):
        fake.add_user(name, password=f"pw-{name}")
    rooms = {
        "chambre": fake.create_room("chambre", members=[BOT, "alice", "bob", "carol"], owner="alice"),
        "bureau": fake.create_room("bureau", t="p", members=[BOT, "alice", "bob"]),
        "ailleurs": fake.create_room("ailleurs", members=["alice", "bob"]),  # the bot is not in it
        "bavardage": fake.create_room("bavardage", members=[BOT, "alice"]),  # not in the config
    }
    await fake.set_role(rooms["chambre"], "carol", "moderator")
    return rooms


def make_config(url: str, **overrides: Any) -> RocketChatConfig:
    values: dict[str, Any] = dict(url=url, username=BOT, password=BOT_PASSWORD, channels=list(CHANNELS))
    values.update(overrides)
    return RocketChatConfig(**values)


class Harness:
    """Runs one backend against a fake and records what it delivers."""

    def __init__(self, fake: Any, config: RocketChatConfig | None = None, state: MemoryState | None = None, **timers: Any) -> None:
        self.fake = fake
        self.config = config or make_config(fake.url)
        self.state = state or MemoryState()
        self.backend = RocketChatBackend(self.config, self.state, **{**FAST, **timers})
        self.delivered: list[Incoming] = []
        self.barriers: list[str] = []  # the barrier markers delivered, apart from the rest
        self.on_deliver: Callable[[Incoming], Awaitable[None]] | None = None
        self.task: asyncio.Task | None = None

    async def deliver(self, msg: Incoming) -> None:
        if msg.text.startswith(BARRIER):
            self.barriers.append(msg.text)
            return
        if self.on_deliver is not None:
            await self.on_deliver(msg)
        self.delivered.append(msg)

    async def start(self, wait_live: bool = True) -> "Harness":
        self.task = asyncio.create_task(self.backend.run(self.deliver))
        if wait_live:
            await self.wait(lambda: self.backend.connects >= 1 or self.task.done())
            if self.task.done():
                self.task.result()
        return self

    async def stop(self) -> None:
        await self.backend.stop()
        if self.task is not None:
            try:
                await asyncio.wait_for(self.task, 5)
            finally:
                self.task = None

    def texts(self) -> list[str]:
        return [m.text for m in self.delivered]

    async def wait(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        return await wait_until(predicate, timeout, lambda: f"timed out; delivered so far: {self.texts()}")

    async def wait_texts(self, *texts: str, timeout: float = 5.0) -> None:
        await self.wait(lambda: all(t in self.texts() for t in texts), timeout)

    async def barrier(self, room: str = "chambre", who: str = "alice") -> None:
        """Until everything the server sent before now has been through the backend, so that
        "delivered once" can be asserted without sleeping. The backend is first waited for
        live (caught up: no catch-up can deliver anything after this), then a marker is posted
        and waited for: the stream carries every room on one socket, in order, so any copy
        or update sent before the marker was handled before it."""
        await self.wait(lambda: self.backend.live)
        text = f"{BARRIER} {len(self.barriers) + 1}"
        await self.fake.post_as(who, self.fake.rooms_by_name[room], text)
        await self.wait(lambda: text in self.barriers)


async def start_fake(kind: str, era: str | None = None, **options: Any) -> Any:
    options = {**ERAS.get(era or "", {}), **options}
    if kind == "faithful":
        return await FakeRocketChat(seed=7, **options).start()
    return await AltFake(**options).start()


def closed_port() -> int:
    """A port nothing listens on (bound, then let go)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def plain_web_server() -> web.AppRunner:
    """A web server that is not Rocket.Chat: a home page, 404 elsewhere."""
    async def home(request: web.Request) -> web.Response:
        return web.Response(text="<h1>Bienvenue</h1>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/", home)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


@pytest.fixture
async def fake() -> Any:
    server = await start_fake("faithful")
    try:
        server.rooms_by_name = await populate(server)
        yield server
    finally:
        await server.close()


@pytest.fixture(params=["faithful", "alt"])
async def any_fake(request: pytest.FixtureRequest) -> Any:
    server = await start_fake(request.param)
    try:
        server.rooms_by_name = await populate(server)
        yield server
    finally:
        await server.close()


@pytest.fixture(params=[(kind, era) for era in ERAS for kind in ("faithful", "alt")], ids=lambda p: f"{p[0]}-{p[1]}")
async def era_fake(request: pytest.FixtureRequest) -> Any:
    """Either fake, playing each era of ERAS."""
    kind, era = request.param
    server = await start_fake(kind, era)
    try:
        server.rooms_by_name = await populate(server)
        server.era = era
        yield server
    finally:
        await server.close()


@pytest.fixture
async def harness(fake: Any) -> Any:
    h = Harness(fake)
    try:
        yield h
    finally:
        await h.stop()


def events(h: "Harness") -> list[tuple[str, str | None, str, str]]:
    """What the backend delivered besides messages, in order: (kind, target, text, sender)
    for each edit, reaction and removal (base.py)."""
    return [(m.kind, m.target, m.text, m.sender) for m in h.delivered if m.kind != "message"]
