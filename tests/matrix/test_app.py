"""The whole bot on Matrix, as its people see it: commands typed in nio clients, replies read
back from the room; the App in-process, and `chambre-bot run` as a process for SIGKILL."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest

from bot.app import App
from bot.config import ChambreConfig, Config, MatrixConfig
from tests.matrix.conftest import STORE_KEY, crypto_settings
from tests.matrix.synapse import Account, Synapse
from tests.support import outbox_settled, wait_until

CHAMBRE_BOT = str(Path(sys.executable).parent / "chambre-bot")


def body(reply: dict) -> str:
    return reply["content"]["body"]


async def settled_replies(app: App, person: Any, room: str, bot_id: str) -> dict[str, list[dict]]:
    """The bot's replies once its outbox is drained: a count of them is then final."""
    await asyncio.wait_for(app.drained("matrix"), timeout=30)
    return await person.replies(room, bot_id)


@pytest.fixture
async def start_app(running_synapse: Synapse, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """start_app(bot, rooms, db=..., languages=...) -> a started App whose Matrix backend synced."""
    apps: list[App] = []

    async def start(bot: Account, rooms: list[str], db: Path | None = None,
                    languages: dict[str, str] | None = None) -> App:
        config = Config(
            chambre=ChambreConfig(database=str(db or tmp_path / "chambre.db"), language="fr",
                                  room_languages=languages or {}),
            matrix=MatrixConfig(homeserver=running_synapse.url, user_id=bot.user_id,
                                password=bot.password, rooms=rooms, **crypto_settings(tmp_path)),
        )
        app = App(config)
        apps.append(app)
        await app.start()
        backend = app.backends["matrix"]
        await wait_until(lambda: backend.sync_count, 30, "the bot never synced")
        return app

    yield start
    for app in apps:
        await app.stop()


async def test_a_meeting_from_proposal_to_rsvp_and_a_brick_moves(people, bot_account, start_app):
    alice, bob, carol = await people("alice"), await people("bob"), await people("carol")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id, carol.user_id],
                                   power={carol.user_id: 50})
    await bob.join(room)
    await carol.join(room)
    app = await start_app(bot_account, [room])

    propose = await bob.say(room, "!réunion proposer vendredi 19h ; Atelier ; MESHS")
    refused = await bob.say(room, "!réunion confirmer 8")  # after the group's page's seven to organise
    confirmed = await carol.say(room, "!réunion confirmer 8")
    rsvp = await alice.say(room, "!réunion participe 8")
    brick = await bob.say(room, "!brique statut 1 ; recette")
    commands = [propose, refused, confirmed, rsvp, brick]
    await alice.wait_replies(room, bot_account.user_id, commands)
    replies = await settled_replies(app, alice, room, bot_account.user_id)

    assert [len(replies[c]) for c in commands] == [1] * 5
    assert "Réunion n°8 proposée : Atelier" in body(replies[propose][0])
    assert "Refusé" in body(replies[refused][0])
    assert "Refusé" not in body(replies[confirmed][0]) and "1" in body(replies[confirmed][0])
    assert "Noté : oui pour la réunion n°8" in body(replies[rsvp][0])
    assert "recette" in body(replies[brick][0])
    for c in commands:
        content = replies[c][0]["content"]
        assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
        assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == c


async def test_help_in_the_language_of_each_room(people, bot_account, start_app):
    alice = await people("alice")
    fr = await alice.create_room(invite=[bot_account.user_id])
    en = await alice.create_room(invite=[bot_account.user_id])
    await start_app(bot_account, [fr, en], languages={en: "en"})
    aide = await alice.say(fr, "!aide")
    help_ = await alice.say(en, "!help")
    aide_in_en = await alice.say(en, "!aide")
    fr_replies = await alice.wait_replies(fr, bot_account.user_id, [aide])
    en_replies = await alice.wait_replies(en, bot_account.user_id, [help_, aide_in_en])
    assert "!réunion proposer" in body(fr_replies[aide][0])
    assert "!meeting propose" in body(en_replies[help_][0])
    assert "!meeting propose" in body(en_replies[aide_in_en][0])


async def test_member_text_is_shown_as_typed_and_pings_nobody(people, bot_account, start_app):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    await start_app(bot_account, [room])
    cmd = await alice.say(room, "!réunion proposer vendredi 19h ; <b>@room</b> ; MESHS")
    [reply] = (await alice.wait_replies(room, bot_account.user_id, [cmd]))[cmd]
    content = reply["content"]
    assert "&lt;b&gt;" in content["formatted_body"]
    assert "<b>" not in content["formatted_body"]
    assert "@room" not in content["formatted_body"] and "@room" not in content["body"]
    assert content["m.mentions"] == {}


async def test_commands_typed_while_the_bot_was_down_are_answered_once(people, bot_account, start_app, tmp_path):
    alice, bob = await people("alice"), await people("bob")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])
    await bob.join(room)
    db = tmp_path / "down.db"
    app = await start_app(bot_account, [room], db=db)
    first = await alice.say(room, "!agenda")
    await alice.wait_replies(room, bot_account.user_id, [first])
    await app.stop()

    typed = [await (alice, bob)[i % 2].say(room, f"!odj ajouter point {i}") for i in range(15)]
    app = await start_app(bot_account, [room], db=db)
    await alice.wait_replies(room, bot_account.user_id, typed + [first])
    replies = await settled_replies(app, alice, room, bot_account.user_id)
    assert [len(replies[c]) for c in typed + [first]] == [1] * 16


# ---- the process: SIGKILL in the middle of a burst ------------------------------------------------

def write_config(path: Path, synapse: Synapse, bot: Account, rooms: list[str], db: Path) -> Path:
    path.write_text(
        "[chambre]\n"
        f"database = {json.dumps(str(db))}\n"
        'language = "fr"\n'
        "[matrix]\n"
        f"homeserver = {json.dumps(synapse.url)}\n"
        f"user_id = {json.dumps(bot.user_id)}\n"
        f"rooms = {json.dumps(rooms)}\n"
        f"store_key = {json.dumps(STORE_KEY)}\n"
    )
    return path


def run_bot(config: Path, password: str) -> subprocess.Popen:
    env = {**os.environ, "CHAMBRE_MATRIX_PASSWORD": password}
    log = open(config.parent / "bot.log", "ab")
    proc = subprocess.Popen([CHAMBRE_BOT, "run", "-c", str(config)], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    return proc


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


async def test_a_bot_killed_mid_burst_applies_and_answers_every_command_once(people, running_synapse, bot_account,
                                                                            tmp_path):
    users = [await people(n) for n in ("ana", "ben", "chloe")]
    room = await users[0].create_room(invite=[bot_account.user_id, users[1].user_id, users[2].user_id])
    for u in users[1:]:
        await u.join(room)
    db = tmp_path / "burst.db"
    config = write_config(tmp_path / "config.toml", running_synapse, bot_account, [room], db)
    proc = run_bot(config, bot_account.password)
    try:
        warm = await users[0].say(room, "!agenda")
        await users[0].wait_replies(room, bot_account.user_id, [warm], timeout=60)

        typed: list[str] = []
        texts: list[str] = []

        async def type_burst(i: int) -> None:
            for n in range(17 if i < 2 else 16):
                text = f"point {users[i].user_id} {n}"
                texts.append(text)
                typed.append(await users[i].say(room, f"!odj ajouter {text}"))

        burst = asyncio.gather(*(type_burst(i) for i in range(3)))
        # Kill it once it has answered some of the burst, with more still coming.
        async def some_answered() -> bool:
            got = await users[0].replies(room, bot_account.user_id)
            return sum(1 for c in typed if c in got) >= 8

        await wait_until(some_answered, 60, "the bot answered nothing of the burst", interval=0.05)
        stop(proc, signal.SIGKILL)
        await burst
        assert len(typed) == 50
        got = await users[0].replies(room, bot_account.user_id)
        answered_before = sum(1 for c in typed if c in got)
        assert answered_before < 50, "the kill came too late to test anything"

        proc = run_bot(config, bot_account.password)
        await users[0].wait_replies(room, bot_account.user_id, typed, timeout=60)
        await wait_until(lambda: outbox_settled(db, typed), 30, "the restarted bot never drained its outbox", interval=0.05)
        replies = await users[0].replies(room, bot_account.user_id)
        assert {c: len(replies[c]) for c in typed} == {c: 1 for c in typed}
    finally:
        stop(proc)

    out = subprocess.run([CHAMBRE_BOT, "export", "--db", str(db)], capture_output=True, text=True, check=True)
    topics = [t["text"] for t in json.loads(out.stdout)["topics"]]
    assert sorted(topics) == sorted(texts)
    # The registration's device and the bot's one: the restart logged in to the same device.
    assert len(running_synapse.devices(bot_account.user_id)) == 2


async def test_the_homeserver_restarting_under_the_running_bot(people, bot_account, start_app, running_synapse,
                                                              monkeypatch):
    from bot.backends.matrix import MatrixBackend

    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    monkeypatch.setattr(MatrixBackend, "backoff_max", 0.5)
    app = await start_app(bot_account, [room])
    before = await alice.say(room, "!odj ajouter avant")
    await alice.wait_replies(room, bot_account.user_id, [before])

    await asyncio.to_thread(running_synapse.restart)
    after = await alice.say(room, "!odj ajouter après")
    listing = await alice.say(room, "!odj liste")
    await alice.wait_replies(room, bot_account.user_id, [before, after, listing], timeout=30)
    replies = await settled_replies(app, alice, room, bot_account.user_id)
    assert [len(replies[c]) for c in (before, after, listing)] == [1, 1, 1]
    assert "avant" in body(replies[listing][0]) and "après" in body(replies[listing][0])


async def test_an_organiser_reminder_goes_to_one_dm_room_across_restarts(people, bot_account, start_app, tmp_path):
    """The DM is encrypted (the bot makes it so, as Element does), and the organiser's client
    reads every reminder."""
    from bot.richtext import Doc
    from storage.store import Store

    orga = await people("orga", encrypted=True)
    room = await orga.create_room(invite=[bot_account.user_id])
    db = tmp_path / "dm.db"

    async def remind(app: App, name: str) -> None:
        # What the scheduler does for an organiser reminder: a DM post in the outbox.
        def write(d):
            with d.atomic():
                app.enqueue_post(Store(d), name, Doc.text(f"Rappel {name}"), app.destination(orga.user_id, dm=True),
                                 app.clock.now(), dm=True)

        await app.db.run(write)
        app.notify("matrix")
        await asyncio.wait_for(app.drained("matrix"), timeout=20)

    app = await start_app(bot_account, [room], db=db)
    await remind(app, "r1")
    await app.stop()
    app = await start_app(bot_account, [room], db=db)
    await remind(app, "r2")
    await remind(app, "r1")  # the same post again: the same send key, posted once

    invites = await orga.client.sync(timeout=0)
    [dm] = list(invites.rooms.invite)
    await orga.join(dm)
    bodies = [e["content"]["body"] for e in await orga.events(dm) if e["sender"] == bot_account.user_id]
    assert bodies == ["Rappel r1", "Rappel r2"]
    assert await orga.wire_types(dm, bot_account.user_id) == ["m.room.encrypted"] * 2


# ---- a reply larger than one event ---------------------------------------------------------------

def long_brick_name(k: int) -> str:
    """As long as a name may be (120 characters), and heavy: a brick emoji is 4 bytes, an
    "&" 5 in the HTML body."""
    return (f"{k:03d} " + "🧱 & " * 40)[:120]


async def test_a_reply_larger_than_one_event_arrives_whole_in_several(people, bot_account, start_app):
    from bot.backends.matrix import MAX_CONTENT_BYTES, content_size
    from storage.store import Store
    from tests.core.test_richtext import balanced

    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    app = await start_app(bot_account, [room])

    def add_bricks(d) -> list[int]:
        with d.atomic():
            return [Store(d).add_brick(long_brick_name(k), "brick", "", alice.user_id, app.clock.now()).id
                    for k in range(140)]

    ids = await app.db.run(add_bricks)
    listing = await alice.say(room, "!brique liste")
    await alice.wait_replies(room, bot_account.user_id, [listing], timeout=30)
    parts = (await settled_replies(app, alice, room, bot_account.user_id))[listing]

    assert len(parts) == 2
    contents = [p["content"] for p in parts]
    for k, content in enumerate(contents, 1):
        assert content_size(content) <= MAX_CONTENT_BYTES
        assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
        assert content["m.relates_to"]["m.in_reply_to"]["event_id"] == listing
        assert content["body"].endswith(f"({k}/2)") and balanced(content["formatted_body"])
    # every brick once, in order, none cut in two
    shown = [line for c in contents for line in c["body"].splitlines() if line.startswith("• ")]
    ours = [line for line in shown if "🧱" in line]
    assert ours == [f"• {n}. {long_brick_name(k)}  ▰▱▱▱▱ idée" for k, n in enumerate(ids)]
    # and this homeserver would have refused the list as one event (413 M_TOO_LARGE)
    whole = {"msgtype": "m.notice", "body": "\n".join(c["body"] for c in contents),
             "format": "org.matrix.custom.html", "formatted_body": "".join(c["formatted_body"] for c in contents)}
    refused = await alice.client.room_send(room, "m.room.message", whole)
    assert getattr(refused, "status_code", None) == "M_TOO_LARGE", refused
