"""The servers groups actually run, 6.0 to 8.x (issue 18): each era's differences, on both
fakes: what chat.sendMessage accepts, where room roles come from, 8.0's error bodies, and a
stream that leaves out the undeclared second argument of `__my_messages__`."""
from __future__ import annotations

import logging
from collections import Counter

import pytest

from bot.backends.base import Outgoing
from bot.backends.rocketchat import RocketChatAuthError
from bot.richtext import Doc
from tests.rocketchat.conftest import BOT, Harness, make_config, populate, start_fake


def counts(h: Harness) -> Counter:
    """The messages delivered, by id (an edit, a reaction, a removal is an event of its own)."""
    return Counter(m.event_id for m in h.delivered if m.kind == "message")


def sends(fake) -> list[int]:
    return [status for method, endpoint, status in fake.calls if endpoint == "chat.sendMessage"]


@pytest.fixture
async def make_fake():
    servers = []

    async def make(kind: str = "faithful", era: str | None = None, **options):
        server = await start_fake(kind, era, **options)
        server.rooms_by_name = await populate(server)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            await server.close()


async def test_every_era_answers_a_command_in_a_channel_a_thread_and_a_dm(era_fake):
    h = await Harness(era_fake).start()
    try:
        chambre = era_fake.rooms_by_name["chambre"]
        dm = era_fake.open_dm("dave", BOT)
        cmd = await era_fake.post_as("alice", chambre, "!agenda")
        in_dm = await era_fake.post_as("dave", dm, "!aide")
        await h.wait_texts("!agenda", "!aide")
        await h.backend.send(Outgoing(send_key="era-1", body=Doc.text("Agenda : rien"), room=chambre, thread=cmd["_id"]))
        await h.backend.send(Outgoing(send_key="era-2", body=Doc.text("Aide"), dm_user="dave"))
        await h.barrier()
        assert counts(h) == Counter({cmd["_id"]: 1, in_dm["_id"]: 1})
        # What a member sees: both replies, where they belong, each refused nowhere.
        assert [(m["_id"], m.get("tmid")) for m in era_fake.messages_by(BOT, chambre)] == [("era-1", cmd["_id"])]
        assert [m["_id"] for m in era_fake.messages_by(BOT, dm)] == ["era-2"]
        assert sends(era_fake) == [200, 200]
    finally:
        await h.stop()


@pytest.mark.parametrize("era,previews", [("6.3", True), ("7.x", False), ("8.x", False)])
async def test_link_previews_are_turned_off_where_the_server_allows_it(make_fake, era, previews):
    fake = await make_fake("faithful", era, url_preview_delay=0.0)
    h = await Harness(fake).start()
    try:
        await h.backend.send(Outgoing(send_key="lien-1", body=Doc.text("Le pad : https://pad.example.org/x"), room="chambre"))
        if previews:  # 6.3 has no previewUrls: the server previews the bot's link, as for anyone
            await fake.wait_for(lambda: "urls" in fake.messages["lien-1"])
        await h.barrier()  # a preview would have been emitted before the marker
        assert ("urls" in fake.messages["lien-1"]) is previews
        assert sends(fake) == [200]
    finally:
        await h.stop()


@pytest.mark.parametrize("kind", ["faithful", "alt"])
async def test_previewUrls_refused_by_a_server_of_unknown_version_is_dropped_and_the_send_made_once(make_fake, kind, caplog):
    """A proxy hides /api/info, so the version is unknown: the first send tries previewUrls,
    the 6.3 server refuses it (ajv's words on the faithful fake, the key named on the other),
    the bot sends again without it, once, says so in the log, and never tries it again."""
    fake = await make_fake(kind, "6.3", info_visible=False)
    h = await Harness(fake).start()
    try:
        with caplog.at_level(logging.WARNING, logger="bot.backends.rocketchat"):
            for n in range(3):
                await h.backend.send(Outgoing(send_key=f"old-{n}", body=Doc.text(f"réponse {n}"), room="chambre"))
        assert [m["_id"] for m in fake.messages_by(BOT)] == ["old-0", "old-1", "old-2"]
        assert sends(fake) == [400, 200, 200, 200]
        [warning] = [r.getMessage() for r in caplog.records if "previewUrls" in r.getMessage()]
        assert "refused previewUrls" in warning
    finally:
        await h.stop()


async def test_a_send_before_the_backend_runs_reads_the_version_first(make_fake):
    """What a previous run left in the outbox goes out before run() has read the version."""
    fake = await make_fake("faithful", "6.3")
    backend = Harness(fake).backend
    try:
        await backend.send(Outgoing(send_key="left-1", body=Doc.text("reste"), room="chambre"))
        assert sends(fake) == [200]
        assert backend.server_version == (6, 3)
    finally:
        await backend.stop()


@pytest.mark.parametrize("era,endpoint", [("6.3", "channels.roles"), ("7.x", "rooms.roles"), ("8.x", "rooms.roles")])
@pytest.mark.parametrize("kind", ["faithful", "alt"])
async def test_room_roles_in_each_era(make_fake, kind, era, endpoint):
    fake = await make_fake(kind, era)
    h = await Harness(fake).start()
    try:
        chambre = fake.rooms_by_name["chambre"]
        for who in ("alice", "carol", "bob"):  # owner, moderator, member
            await fake.post_as(who, chambre, f"!rythme ({who})")
        await h.wait(lambda: len(h.delivered) >= 3)
        assert {m.sender: m.sender_is_organiser for m in h.delivered} == {"alice": True, "carol": True, "bob": False}
        assert endpoint in {e for _, e, status in fake.calls if e.endswith(".roles") and status == 200}
    finally:
        await h.stop()


# ---- the stream without its second argument ------------------------------------------------


@pytest.mark.parametrize("kind", ["faithful", "alt"])
async def test_without_the_room_argument_the_bots_own_rooms_decide(make_fake, kind):
    fake = await make_fake(kind, "8.x")
    h = await Harness(fake).start()
    try:
        rooms = fake.rooms_by_name
        await fake.post_as("alice", rooms["ailleurs"], "!agenda ailleurs")  # a public channel the bot is not in
        await fake.post_as("alice", rooms["bavardage"], "!agenda bavardage")  # the bot's, but not configured
        wanted = [await fake.post_as("bob", rooms["chambre"], "!aide"),
                  await fake.post_as("alice", rooms["bureau"], "!agenda")]
        # A DM opened while the bot listens: unknown room, found in the bot's subscriptions.
        dm = fake.open_dm("dave", BOT)
        wanted.append(await fake.post_as("dave", dm, "!aide réunion"))
        await h.wait(lambda: len(h.delivered) >= 3)
        await h.barrier()
        assert counts(h) == Counter({m["_id"]: 1 for m in wanted})
        assert h.backend.connects == 1  # heard live, not caught up after a reconnect
        by_id = {m.event_id: m for m in h.delivered}
        assert by_id[wanted[2]["_id"]].room == dm and by_id[wanted[0]["_id"]].room == rooms["chambre"]
    finally:
        await h.stop()


async def test_a_busy_channel_the_bot_is_not_in_costs_one_lookup_a_minute(make_fake):
    fake = await make_fake("faithful", "8.x")
    h = await Harness(fake, roles_refresh_after=3600).start()
    try:
        before = sum(1 for _, e, _ in fake.calls if e == "subscriptions.get")
        for n in range(20):
            await fake.post_as("alice", fake.rooms_by_name["ailleurs"], f"bavardage {n}")
        await h.barrier()
        assert sum(1 for _, e, _ in fake.calls if e == "subscriptions.get") - before == 1
        assert h.delivered == []
    finally:
        await h.stop()


async def test_without_the_room_argument_a_bot_removed_from_a_channel_stops_listening_there(make_fake):
    fake = await make_fake("faithful", "8.x")
    h = await Harness(fake).start()
    try:
        chambre = fake.rooms_by_name["chambre"]  # public: its messages still reach the bot's stream
        before = await fake.post_as("bob", chambre, "!aide")
        await h.wait_texts("!aide")
        await fake.remove_member(chambre, BOT, by="alice")
        await fake.post_as("bob", chambre, "!agenda")
        await h.barrier(room="bureau")
        assert [m.event_id for m in h.delivered] == [before["_id"]]
    finally:
        await h.stop()


# ---- logging in ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["7.10.0", "8.0.0"])
async def test_two_factor_gets_the_personal_token_hint_in_both_eras(make_fake, version):
    fake = await make_fake(version=version)
    fake.user(BOT).totp = True
    h = Harness(fake)
    with pytest.raises(RocketChatAuthError, match="personal access token"):
        await h.start()
    h.task = None


async def test_on_8_a_wrong_password_also_mentions_two_factor(make_fake):
    """8.0 says `unauthorized` for a wrong password and for two-factor alike: the message
    names both causes."""
    fake = await make_fake("faithful", "8.x")
    h = Harness(fake, config=make_config(fake.url, password="faux"))
    with pytest.raises(RocketChatAuthError) as caught:
        await h.start()
    h.task = None
    assert f"Rocket.Chat refused the password of {BOT}" in str(caught.value)
    assert "two-factor" in str(caught.value) and "personal access token" in str(caught.value)
