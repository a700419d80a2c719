"""One delivery policy, tested once for both chats: the whole bot on the real Synapse and on the
faithful fake Rocket.Chat, the same scenarios for each.

- A message the chat refuses for good (a room the bot may not write in) is given up at once,
  and the reply queued behind it goes out without waiting.
- A message the chat cannot take now (the server away) is tried again with backoff, its
  count of tries kept in the outbox: after a restart of the bot, it goes out once, with the
  count it had, not counted again from zero.

(tests/core/test_outbox.py covers the same policy with a backend double on a manual clock.)
"""
from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from bot.app import App
from bot.backends.rocketchat import RocketChatBackend
from bot.config import ChambreConfig, Config, MatrixConfig
from bot.richtext import Doc
from storage.store import Store
from tests.matrix.conftest import crypto_settings, unique
from tests.matrix.synapse import Synapse
from tests.rocketchat.conftest import BOT, FAST, fake, make_config  # noqa: F401  (fake: a fixture)
from tests.support import wait_until


class MatrixChat:
    """The bot in a Matrix room of the real Synapse; alice types there."""

    name = "matrix"

    def __init__(self, synapse: Synapse, people: Any) -> None:
        self.synapse, self.people = synapse, people

    async def setup(self) -> None:
        self.bot = self.synapse.register(unique("bot"))
        self.alice = await self.people("alice")
        self.room = await self.alice.create_room(invite=[self.bot.user_id])
        # A room the bot was never invited to: its messages there are refused (403), and so
        # is joining it.
        self.closed_room = await self.alice.create_room()

    def config(self, db: Path) -> Config:
        return Config(chambre=ChambreConfig(database=str(db), language="fr"),
                      matrix=MatrixConfig(homeserver=self.synapse.url, user_id=self.bot.user_id,
                                          password=self.bot.password, rooms=[self.room],
                                          **crypto_settings(db.parent)))

    def prepare(self, app: App) -> None:
        pass  # the backend as `chambre-bot run` builds it

    async def ready(self, app: App) -> None:
        await wait_until(lambda: app.backends["matrix"].sync_count, 30, "the bot never synced")

    @property
    def target(self) -> str:
        return self.room

    @property
    def refused_target(self) -> str:
        return self.closed_room

    async def command(self, text: str) -> str:
        return await self.alice.say(self.room, text)

    async def shown(self) -> list[str]:
        """What the bot posted in the room, oldest first."""
        return [e["content"]["body"] for e in await self.alice.events(self.room) if e["sender"] == self.bot.user_id]

    async def go_away(self) -> None:
        await asyncio.to_thread(self.synapse.stop)

    async def come_back(self) -> None:
        await asyncio.to_thread(self.synapse.start)


class RocketChatChat:
    """The bot in the `chambre` channel of the faithful fake; alice types there."""

    name = "rocketchat"

    def __init__(self, server: Any) -> None:
        self.server = server

    async def setup(self) -> None:
        self.rid = self.server.rooms_by_name["chambre"]

    def config(self, db: Path) -> Config:
        return Config(chambre=ChambreConfig(database=str(db), language="fr"),
                      rocketchat=make_config(self.server.url, channels=["chambre"]))

    def prepare(self, app: App) -> None:
        # The production backend with test-sized timers (App would build it with the defaults).
        app.backends["rocketchat"] = RocketChatBackend(app.config.rocketchat, app.state_for("rocketchat"), app.clock,
                                                       **FAST)

    async def ready(self, app: App) -> None:
        await wait_until(lambda: app.backends["rocketchat"].live, 10, "the backend never went live")

    @property
    def target(self) -> str:
        return "rocketchat:chambre"

    @property
    def refused_target(self) -> str:
        # A channel the bot is not a member of: the server answers "not allowed".
        return f"rocketchat:{self.server.rooms_by_name['ailleurs']}"

    async def command(self, text: str) -> str:
        return (await self.server.post_as("alice", self.rid, text))["_id"]

    async def shown(self) -> list[str]:
        return [m["msg"] for m in self.server.messages_by(BOT, self.rid)]

    async def go_away(self) -> None:
        await self.server.restart(downtime=3600)  # every socket dropped, 503 meanwhile

    async def come_back(self) -> None:
        self.server.down_until = 0.0


@pytest.fixture(params=["matrix", "rocketchat"])
def chat(request: pytest.FixtureRequest) -> Any:
    """The chat under test: the real Synapse, or the faithful fake Rocket.Chat."""
    if request.param == "matrix":
        synapse = request.getfixturevalue("running_synapse")
        # A test that stops Synapse and fails before starting it again leaves it to the next.
        request.addfinalizer(lambda: synapse.proc is None and synapse.start())
        return MatrixChat(synapse, request.getfixturevalue("people"))
    return RocketChatChat(request.getfixturevalue("fake"))


@pytest.fixture
async def start_app(chat: Any, tmp_path: Path) -> AsyncIterator[Any]:
    """start_app() -> a started App on `chat`, its backend ready (the same database each time)."""
    apps: list[App] = []
    await chat.setup()

    async def start() -> App:
        config = chat.config(tmp_path / "chambre.db")
        app = App(config)
        app.build_backends()
        chat.prepare(app)
        apps.append(app)
        await app.start()
        await chat.ready(app)
        return app

    yield start
    for app in apps:
        await app.stop()


async def post(app: App, name: str, text: str, target: str) -> None:
    """Queue a post for `target` as the scheduler does, and wake the outbox."""
    destination = app.destination(target)
    assert destination is not None, target
    now = app.clock.now()

    def write(db: Any) -> None:
        with db.atomic():
            app.enqueue_post(Store(db), name, Doc.text(text), destination, now)

    await app.db.run(write)
    app.notify(destination[0])


def outbox_row(db: Path, text: str) -> tuple[int, bool, str | None] | None:
    """(tries counted, sent or given up, why) of the outbox row whose body holds `text`
    (ASCII: bodies are stored as JSON), or None while there is none."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT attempts, sent_at IS NOT NULL, last_error FROM outbox WHERE body LIKE ?",
                            [f"%{text}%"]).fetchall()
    finally:
        conn.close()
    assert len(rows) <= 1, rows
    if not rows:
        return None
    attempts, done, error = rows[0]
    return attempts, bool(done), error


def sent(db: Path, text: str) -> bool:
    row = outbox_row(db, text)
    return row is not None and row[1]


async def test_a_refused_message_is_given_up_at_once_and_the_next_goes_out(chat, start_app, tmp_path):
    db = tmp_path / "chambre.db"
    app = await start_app()
    await post(app, "refused", "Annonce interdite", chat.refused_target)
    await chat.command("!odj ajouter Trouver une salle")
    # Queued behind the refused post, the reply arrives without waiting out any backoff.
    await wait_until(lambda: sent(db, "Trouver une salle"), 15,
                     lambda: f"the reply waited behind the refused post: {outbox_row(db, 'Annonce interdite')}")
    await asyncio.wait_for(app.drained(chat.name), 15)
    attempts, done, error = outbox_row(db, "Annonce interdite")
    assert (attempts, done) == (1, True) and error.startswith("gave up: Refused"), (attempts, done, error)
    shown = await chat.shown()
    assert len(shown) == 1 and "Trouver une salle" in shown[0], shown


async def test_a_transient_failure_is_retried_and_its_count_survives_a_restart(chat, start_app, tmp_path):
    db = tmp_path / "chambre.db"
    first = await start_app()
    await chat.go_away()
    await post(first, "during", "Posted during the outage", chat.target)
    await wait_until(lambda: (outbox_row(db, "during the outage") or (0,))[0] >= 2, 30,
                     lambda: f"not retried: {outbox_row(db, 'during the outage')}")
    await first.stop()
    tries, done, error = outbox_row(db, "during the outage")
    assert not done and error.startswith("RetryLater"), (tries, done, error)

    await chat.come_back()
    second = await start_app()
    await wait_until(lambda: sent(db, "during the outage"), 30, "never sent after the restart")
    await asyncio.wait_for(second.drained(chat.name), 15)
    assert outbox_row(db, "during the outage")[0] == tries  # kept across the restart, not counted from zero
    assert [t for t in await chat.shown() if "during the outage" in t] == ["Posted during the outage"]
