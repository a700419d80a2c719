"""Matrix and Rocket.Chat at once, in one bot, on one set of records: a meeting proposed on
Rocket.Chat shows in `!agenda` on Matrix, a confirmation typed on Matrix shows on Rocket.Chat,
and a scheduled post configured for both reaches both.

The real Synapse of tests/matrix/conftest.py and the faithful fake Rocket.Chat of
tests/rocketchat (its `fake` fixture, imported below) run side by side; the App in-process,
then `chambre-bot run` as a process."""
from __future__ import annotations

import asyncio
import json
import re
import signal
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.config import ChambreConfig, Config, MatrixConfig, RhythmConfig
from tests.matrix.conftest import crypto_settings
from tests.matrix.synapse import Account, Synapse
from tests.matrix.test_app import body, run_bot, stop, write_config
from tests.rocketchat.conftest import BOT, BOT_PASSWORD, fake, make_config  # noqa: F401  (fake: a fixture)
from tests.support import outbox_settled, wait_until

PARIS = ZoneInfo("Europe/Paris")
CHANNEL = "chambre"  # alice, bob and carol are in it (tests/rocketchat/conftest.py populate)
PROPOSE = "!réunion proposer vendredi 19h ; Atelier briques ; MESHS"
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]


def fridays_in_full() -> list[str]:
    """"vendredi 4 décembre 2026, 19:00" for the coming Friday (and the one after, should the
    test run on a Friday evening)."""
    today = datetime.now(PARIS).date()
    first = today + timedelta(days=(4 - today.weekday()) % 7)
    return [f"vendredi {d.day} {MONTHS[d.month - 1]} {d.year}, 19:00" for d in (first, first + timedelta(days=7))]


def both_config(synapse: Synapse, bot: Account, room: str, rc_url: str, db: Path,
                rhythm: RhythmConfig | None = None) -> Config:
    return Config(
        chambre=ChambreConfig(database=str(db), language="fr"),
        matrix=MatrixConfig(homeserver=synapse.url, user_id=bot.user_id, password=bot.password, rooms=[room],
                            **crypto_settings(db.parent)),
        rocketchat=make_config(rc_url, channels=[CHANNEL]),
        rhythm=rhythm or RhythmConfig(),
    )


async def rocketchat_caught_up(fake: Any, timeout: float = 30.0) -> None:
    """The bot is subscribed and has caught up once: what is posted from now on is for it."""
    await fake.wait_for(lambda: fake.live_sessions(BOT) >= 1
                        and any(c[1] == "chat.syncMessages" for c in fake.calls), timeout=timeout)


def bot_messages(fake: Any, rid: str) -> list[str]:
    return [m["msg"] for m in fake.messages_by(BOT, rid)]


@pytest.fixture
async def start_both(running_synapse: Synapse, fake: Any, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """start_both(bot, room, clock=None, rhythm=None) -> a started App running both backends,
    built from the configuration as `chambre-bot run` builds them, each one ready."""
    apps: list[App] = []

    async def start(bot: Account, room: str, clock: Any = None, rhythm: RhythmConfig | None = None) -> App:
        config = both_config(running_synapse, bot, room, fake.url, tmp_path / "chambre.db", rhythm)
        app = App(config, clock=clock)
        apps.append(app)
        await app.start()
        assert sorted(app.backends) == ["matrix", "rocketchat"]
        matrix = app.backends["matrix"]
        await wait_until(lambda: matrix.sync_count, 30, "the bot never synced with Matrix")
        await rocketchat_caught_up(fake)
        return app

    yield start
    for app in apps:
        await app.stop()


async def matrix_room(people: Callable[[str], Any], bot: Account) -> tuple[Any, Any, str]:
    """alice (a member) and carol (an organiser by power level) in a room with the bot."""
    alice, carol = await people("alice"), await people("carol")
    room = await alice.create_room(invite=[bot.user_id, carol.user_id], power={carol.user_id: 50})
    await carol.join(room)
    return alice, carol, room


async def drained(app: App) -> None:
    for backend in ("matrix", "rocketchat"):
        await asyncio.wait_for(app.drained(backend), timeout=20)


async def cross_chat_check(fake: Any, alice: Any, carol: Any, room: str, bot_id: str,
                           settled: Callable[[], Awaitable[None]], timeout: float = 20.0) -> None:
    """Proposed on Rocket.Chat, read in !agenda on Matrix, confirmed on Matrix, shown
    confirmed on Rocket.Chat; each command answered once, on its own chat. `settled` waits
    until the bot has sent all it queued, after which the counts are final."""
    rid = fake.rooms_by_name[CHANNEL]
    await fake.post_as("alice", rid, PROPOSE)
    await fake.wait_for(lambda: len(bot_messages(fake, rid)) >= 1, timeout=timeout)
    assert "Atelier briques" in bot_messages(fake, rid)[0]

    agenda = await alice.say(room, "!agenda")
    [reply] = (await alice.wait_replies(room, bot_id, [agenda], timeout=timeout))[agenda]
    text = body(reply)
    assert "Atelier briques" in text
    assert any(f"Atelier briques — {day}" in text for day in fridays_in_full()), text

    confirm = await carol.say(room, "!réunion confirmer 8")  # after the group's page's seven to organise
    [confirmed] = (await carol.wait_replies(room, bot_id, [confirm], timeout=timeout))[confirm]
    assert "Réunion n°8 confirmée : Atelier briques" in body(confirmed)

    await fake.post_as("bob", rid, "!réunion voir 8")
    await fake.wait_for(lambda: len(bot_messages(fake, rid)) >= 2, timeout=timeout)
    shown = bot_messages(fake, rid)[1].replace("\\", "")  # Rocket.Chat markup escapes, as typed
    assert "Atelier briques" in shown and "Statut : confirmée" in shown, shown

    # Once each, on its own chat: two replies in the channel, two in the room, nothing else.
    await settled()
    assert len(bot_messages(fake, rid)) == 2
    replies = await alice.replies(room, bot_id)
    assert {k: len(v) for k, v in replies.items()} == {agenda: 1, confirm: 1}


async def test_a_meeting_proposed_on_rocketchat_is_in_the_matrix_agenda(people, bot_account, start_both, fake):
    alice, carol, room = await matrix_room(people, bot_account)
    app = await start_both(bot_account, room)
    await cross_chat_check(fake, alice, carol, room, bot_account.user_id, lambda: drained(app))


async def test_chambre_bot_run_serves_both_chats_and_stops_on_sigterm(people, running_synapse, bot_account, fake,
                                                                     tmp_path):
    alice, carol, room = await matrix_room(people, bot_account)
    config = write_config(tmp_path / "config.toml", running_synapse, bot_account, [room], tmp_path / "both.db")
    with config.open("a") as fh:
        fh.write("[rocketchat]\n"
                 f"url = {json.dumps(fake.url)}\n"
                 f"username = {json.dumps(BOT)}\n"
                 f"password = {json.dumps(BOT_PASSWORD)}\n"
                 f"channels = {json.dumps([CHANNEL])}\n")
    proc = run_bot(config, bot_account.password)

    async def settled() -> None:
        await wait_until(lambda: outbox_settled(tmp_path / "both.db"), 30, "the bot never drained its outbox",
                         interval=0.05)

    try:
        await rocketchat_caught_up(fake)
        await cross_chat_check(fake, alice, carol, room, bot_account.user_id, settled, timeout=30)
    finally:
        stop(proc, signal.SIGTERM)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert proc.returncode == 0, log
    assert "Traceback" not in log, log


async def test_a_scheduled_post_reaches_both_chats_once(people, bot_account, start_both, fake):
    alice, _, room = await matrix_room(people, bot_account)
    clock = ManualClock(datetime(2026, 11, 30, 12, 0, tzinfo=PARIS))  # a Monday, after the digest's hour
    rhythm = RhythmConfig(rule="un jeudi sur deux à 18h à partir du 3 décembre 2026", place="MESHS",
                          announce_rooms=[room, f"rocketchat:{CHANNEL}"])
    app = await start_both(bot_account, room, clock=clock, rhythm=rhythm)
    rid = fake.rooms_by_name[CHANNEL]

    async def post_and_send() -> None:
        await app.scheduler.catch_up()
        await asyncio.wait_for(app.drained("matrix"), timeout=20)
        await asyncio.wait_for(app.drained("rocketchat"), timeout=20)

    await post_and_send()
    assert bot_messages(fake, rid) == []

    clock.set(datetime(2026, 12, 1, 18, 1, tzinfo=PARIS))  # the agenda is due two days before 3 December 18:00
    await post_and_send()
    await post_and_send()  # nothing more to make or send, and all that was made is sent

    [on_rocketchat] = bot_messages(fake, rid)
    on_matrix = [e["content"]["body"] for e in await alice.events(room) if e["sender"] == bot_account.user_id]
    assert len(on_matrix) == 1, on_matrix
    for text in (on_matrix[0], on_rocketchat):
        assert re.search(r"Prochaine séance.*3 décembre 2026", text), text


async def test_chambre_bot_run_exits_non_zero_when_one_chat_refuses_the_bot(people, running_synapse, bot_account,
                                                                           fake, tmp_path):
    """Rocket.Chat refuses the bot's password: the bot says so and stops, Matrix included,
    with a failing exit status (a supervisor then sees it), every error reported."""
    _, _, room = await matrix_room(people, bot_account)
    config = write_config(tmp_path / "config.toml", running_synapse, bot_account, [room], tmp_path / "refused.db")
    with config.open("a") as fh:
        fh.write("[rocketchat]\n"
                 f"url = {json.dumps(fake.url)}\n"
                 f"username = {json.dumps(BOT)}\n"
                 'password = "not-the-password"\n'
                 f"channels = {json.dumps([CHANNEL])}\n")
    proc = run_bot(config, bot_account.password)
    try:
        await wait_until(lambda: proc.poll() is not None, 30, "the bot kept running with Rocket.Chat refusing it",
                         interval=0.05)
    finally:
        stop(proc, signal.SIGTERM)
    log = (tmp_path / "bot.log").read_text(errors="replace")
    assert proc.returncode == 1, log
    assert f"Rocket.Chat refused the password of {BOT}" in log
    assert "never retrieved" not in log, log
