"""Protocol corners only the faithful fake reproduces: heartbeats, dead links, close codes,
duplicate frames, document updates, version switches, restarts of the bot itself."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest

from bot.backends.base import Outgoing, RetryLater
from bot.backends.rocketchat import RocketChatAuthError, RocketChatNotReached
from bot.clock import Clock
from bot.richtext import Doc
from tests.rocketchat.conftest import (BOT, Harness, events, MemoryState, closed_port, make_config, plain_web_server, populate,
                                       start_fake)


@pytest.fixture
async def make_fake():
    servers = []

    async def make(**options):
        server = await start_fake("faithful", **options)
        server.rooms_by_name = await populate(server)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            await server.close()


def counts(h: Harness) -> Counter:
    """The messages delivered, by id (an edit, a reaction, a removal is an event of its own)."""
    return Counter(m.event_id for m in h.delivered if m.kind == "message")


class LaterClock(Clock):
    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return super().now() + self.offset


async def test_server_pings_are_answered_so_the_server_keeps_the_link(make_fake):
    fake = await make_fake(server_ping_interval=0.1, server_ping_timeout=0.15, welcome="msg")
    h = await Harness(fake, ping_interval=5.0).start()  # our own pings too rare to keep it alive
    try:
        await h.wait(lambda: fake.pongs >= 4)  # each a ping that would have closed the link unanswered
        assert fake.connections == 1
        await fake.post_as("alice", fake.rooms_by_name["chambre"], "!agenda")
        await h.wait_texts("!agenda")
    finally:
        await h.stop()


@pytest.mark.parametrize("fault", ["stop_answering_pings", "half_open"])
async def test_a_dead_link_is_noticed_by_our_own_pings(make_fake, fault):
    fake = await make_fake()
    h = await Harness(fake).start()
    try:
        getattr(fake, fault)()
        await h.wait(lambda: h.backend.connects >= 2, timeout=5)
        msg = await fake.post_as("alice", fake.rooms_by_name["chambre"], "!aide")
        await h.wait_texts("!aide")
        await h.barrier()
        assert counts(h) == Counter({msg["_id"]: 1})
    finally:
        await h.stop()


@pytest.mark.parametrize("how", [1000, 1002, 4000, "abrupt"])
async def test_every_kind_of_close_leads_to_a_reconnect_and_catch_up(make_fake, how):
    fake = await make_fake()
    h = await Harness(fake).start()
    try:
        chambre = fake.rooms_by_name["chambre"]
        await fake.drop_sockets(how)
        lost = await fake.post_as("alice", chambre, "!agenda")  # likely while reconnecting
        await h.wait(lambda: h.backend.connects >= 2)
        after = await fake.post_as("bob", chambre, "!aide")
        await h.wait_texts("!agenda", "!aide")
        await h.barrier()
        assert counts(h) == Counter({lost["_id"]: 1, after["_id"]: 1})
    finally:
        await h.stop()


async def test_the_connect_handshake_variants(make_fake):
    for options in ({"welcome": "plain", "first_frame_error": "close"}, {"welcome": "msg", "first_frame_error": "error"}):
        fake = await make_fake(**options)
        h = await Harness(fake).start()
        try:
            await fake.post_as("alice", fake.rooms_by_name["chambre"], "!aide")
            await h.wait_texts("!aide")
        finally:
            await h.stop()


async def test_duplicate_frames_and_document_updates_deliver_once(make_fake):
    fake = await make_fake(double_deliver=True, url_preview_delay=0.02)
    h = await Harness(fake).start()
    try:
        chambre = fake.rooms_by_name["chambre"]
        a = await fake.post_as("alice", chambre, "!brique lien 1 ; https://example.org/recette")
        b = await fake.post_as("bob", chambre, "!odj ajouter budget")
        await fake.mark_read(b["_id"])  # the unread flag goes away
        await fake.react(b["_id"], "tada", "alice")
        await fake.react(b["_id"], "tada", "alice")  # toggled off again
        await fake.delete(a["_id"])  # soft delete: t "rm" with editedAt
        c = await fake.post_as("carol", chambre, "!agenda")
        await fake.delete(c["_id"], hard=True)
        await h.wait(lambda: len(counts(h)) >= 3)
        await h.wait(lambda: "urls" in fake.messages[a["_id"]])  # the delayed preview went out
        await h.barrier()
        assert counts(h) == Counter({a["_id"]: 1, b["_id"]: 1, c["_id"]: 1})
        # the reaction and its removal, the soft and the hard delete: each an event, once
        # (the core drops the second copy of a removal by its id)
        seen = [(kind, target, text, sender) for kind, target, text, sender in events(h)]
        assert seen[:2] == [("reaction", b["_id"], "🎉", "alice"), ("removal", f"{b['_id']}:react:tada:alice", "", "alice")]
        assert {(kind, target) for kind, target, _, _ in seen[2:]} == {("removal", a["_id"]), ("removal", c["_id"])}
    finally:
        await h.stop()


@pytest.mark.parametrize("version,endpoint", [("8.0.0", "rooms.roles"), ("7.9.0", "channels.roles"), ("6.6.0", "channels.roles")])
async def test_room_roles_use_rooms_roles_or_fall_back(make_fake, version, endpoint):
    fake = await make_fake(version=version)
    h = await Harness(fake).start()
    try:
        await fake.post_as("carol", fake.rooms_by_name["chambre"], "!réunion confirmer 1")
        await fake.post_as("alice", fake.rooms_by_name["bureau"], "!odj fait 1")
        await h.wait(lambda: len(h.delivered) >= 2)
        assert [m.sender_is_organiser for m in h.delivered] == [True, False]
        roles_calls = {e for _, e, status in fake.calls if e.endswith(".roles") and status == 200}
        assert endpoint in roles_calls
        if endpoint != "rooms.roles":
            assert "groups.roles" in roles_calls  # bureau is a private group
    finally:
        await h.stop()


async def test_a_restarted_bot_resumes_from_its_marks(make_fake):
    fake = await make_fake()
    state = MemoryState()
    chambre = fake.rooms_by_name["chambre"]
    h = await Harness(fake, state=state).start()
    old = await fake.post_as("alice", chambre, "!agenda")
    await h.wait_texts("!agenda")
    await h.stop()
    assert state.data["auth_token"] and state.data[f"hw:{chambre}"]

    while_down = await fake.post_as("bob", chambre, "!aide")
    dm = fake.open_dm("dave", BOT)  # a DM opened while the bot was away
    in_dm = await fake.post_as("dave", dm, "!digest")
    h2 = await Harness(fake, state=state).start()
    try:
        await h2.wait_texts("!aide", "!digest")
        await fake.react(old["_id"], "thumbsup", "carol")  # an old message touched after the restart
        await fake.edit(old["_id"], "!agenda toutes")
        await h2.barrier()
        assert counts(h2) == Counter({while_down["_id"]: 1, in_dm["_id"]: 1})
        # not a new message: a reaction and an edit of one handled before the restart
        assert events(h2) == [("reaction", old["_id"], "👍", "carol"), ("edit", old["_id"], "!agenda toutes", "alice")]
        assert sum(1 for _, e, _ in fake.calls if e == "login") == 1  # the saved token was reused
    finally:
        await h2.stop()


async def test_catch_up_skips_commands_older_than_the_max_age(make_fake, caplog):
    fake = await make_fake()
    state = MemoryState()
    chambre = fake.rooms_by_name["chambre"]
    h = await Harness(fake, state=state).start()
    await h.stop()
    stale = await fake.post_as("alice", chambre, "!réunion proposer demain ; vieux")
    caplog.set_level("INFO", logger="bot.backends")
    h2 = Harness(fake, state=state, clock=LaterClock(timedelta(hours=2)))  # the bot was away for two hours
    await h2.start()  # returns once live: the catch-up is over
    try:
        assert h2.delivered == []
        assert any(stale["_id"] in r.getMessage() and "older than" in r.getMessage() for r in caplog.records)
    finally:
        await h2.stop()


async def test_legacy_and_v8_auth_bodies_are_handled_alike(make_fake):
    for version in ("7.9.0", "8.1.0"):
        fake = await make_fake(version=version)
        h = await Harness(fake).start()
        try:
            await fake.revoke_token(BOT, close_sessions=False)  # REST 401 first, socket still up
            await h.backend.send(Outgoing(send_key=f"v-{version.replace('.', '')}", body=Doc.text("ok"), room="chambre"))
            assert len(fake.messages_by(BOT)) == 1
        finally:
            await h.stop()


async def test_a_wrong_password_is_a_clear_fatal_error(make_fake):
    fake = await make_fake()
    h = Harness(fake, config=make_config(fake.url, password="wrong"))
    with pytest.raises(RocketChatAuthError, match="refused the password"):
        await h.start()
    h.task = None
    assert sum(1 for _, e, _ in fake.calls if e == "login") == 1


async def test_two_factor_on_password_login_asks_for_a_personal_token(make_fake):
    fake = await make_fake()
    fake.user(BOT).totp = True
    h = Harness(fake)
    with pytest.raises(RocketChatAuthError, match="personal access token"):
        await h.start()
    h.task = None


async def test_rate_limited_catch_up_waits_instead_of_failing(make_fake):
    fake = await make_fake()
    fake.rate_limit_bypass_for_bot = False
    fake.set_rate_limit(1, window=0.3, routes={"chat.syncMessages"})
    fake.exhaust_rate_limit("chat.syncMessages")  # someone else on our address used it up
    h = await Harness(fake).start()  # two rooms to catch up, one call allowed per window
    try:
        statuses = [s for _, e, s in fake.calls if e == "chat.syncMessages"]
        # Waited out, then paced on X-RateLimit-Remaining: a refusal or two (a loaded machine
        # can land a call on a window's edge), never a stream of retries, and both rooms caught up.
        assert 1 <= statuses.count(429) <= 3
        assert statuses.count(200) == 2
        await fake.post_as("alice", fake.rooms_by_name["chambre"], "!aide")
        await h.wait_texts("!aide")
    finally:
        await h.stop()


async def test_a_send_refused_with_429_is_retried_later(make_fake):
    fake = await make_fake()
    fake.rate_limit_bypass_for_bot = False
    fake.set_rate_limit(3, window=0.4, routes={"chat.sendMessage"})
    h = await Harness(fake).start()
    try:
        fake.exhaust_rate_limit("chat.sendMessage", "POST")
        out = Outgoing(send_key="limited-1", body=Doc.text("ok"), room="chambre")
        with pytest.raises(RetryLater) as caught:
            await h.backend.send(out)
        assert 0.05 <= caught.value.delay <= 0.5  # from X-RateLimit-Reset, in epoch ms
        await asyncio.sleep(caught.value.delay + 0.01)
        await h.backend.send(out)
        assert [m["_id"] for m in fake.messages_by(BOT)] == ["limited-1"]
    finally:
        await h.stop()


async def test_a_room_the_bot_was_removed_from_does_not_block_the_others(make_fake):
    fake = await make_fake()
    h = await Harness(fake).start()
    try:
        chambre, bureau = fake.rooms_by_name["chambre"], fake.rooms_by_name["bureau"]
        await fake.remove_member(bureau, BOT, by="alice")
        await fake.drop_sockets("abrupt")
        msg = await fake.post_as("bob", chambre, "!agenda")
        await h.wait_texts("!agenda")
        await fake.post_as("alice", bureau, "!aide")  # no longer the bot's room
        await h.barrier()
        assert [m.event_id for m in h.delivered] == [msg["_id"]]
    finally:
        await h.stop()


async def test_send_without_run_then_stop_leaves_nothing_open(make_fake):
    fake = await make_fake()
    backend = Harness(fake).backend
    await backend.send(Outgoing(send_key="alone-1", body=Doc.text("seul"), room="chambre"))
    await backend.stop()
    with pytest.raises(RetryLater):
        await backend.send(Outgoing(send_key="alone-2", body=Doc.text("trop tard"), room="chambre"))
    assert [m["_id"] for m in fake.messages_by(BOT)] == ["alone-1"]


# ---- first start: a URL where no Rocket.Chat answers ---------------------------------------------


class Nowhere:
    def __init__(self, url: str) -> None:
        self.url = url


@pytest.mark.parametrize("where", ["port", "name", "web"])
async def test_on_first_start_a_url_where_no_rocketchat_answers_is_a_configuration_error(where):
    web_server = await plain_web_server()
    try:
        url, reason = {
            "port": (f"http://127.0.0.1:{closed_port()}", "connection refused"),
            "name": ("http://chambre-bot-nowhere.invalid", "the name does not resolve"),
            "web": (f"http://127.0.0.1:{web_server.addresses[0][1]}", "/api/info answered HTTP 404"),
        }[where]
        state = MemoryState()
        h = Harness(Nowhere(url), config=make_config(url), state=state, first_contact_timeout=0.5)
        await h.start(wait_live=False)
        with pytest.raises(RocketChatNotReached) as caught:
            await asyncio.wait_for(h.task, 10)
        h.task = None
        assert f"nothing at {url} answered as a Rocket.Chat server" in str(caught.value)
        assert reason in str(caught.value) and "check url in [rocketchat]" in str(caught.value)
        assert "server" not in state.data
    finally:
        await web_server.cleanup()


async def test_a_server_that_answered_before_is_waited_for_however_long(caplog):
    """This database has been served by that URL: the server is away, not misconfigured."""
    url = f"http://127.0.0.1:{closed_port()}"
    state = MemoryState()
    state.data["server"] = url
    h = Harness(Nowhere(url), config=make_config(url), state=state, first_contact_timeout=0.2)
    started = time.monotonic()
    await h.start(wait_live=False)
    try:
        tries = lambda: sum("no Rocket.Chat answer" in r.getMessage() for r in caplog.records)  # noqa: E731
        await h.wait(lambda: tries() >= 6 and time.monotonic() - started > 3 * 0.2)
        assert not h.task.done()
    finally:
        await h.stop()  # stops without an error


async def test_once_connected_a_long_outage_is_waited_out(make_fake):
    fake = await make_fake()
    state = MemoryState()
    h = await Harness(fake, state=state, first_contact_timeout=0.2).start()
    try:
        assert state.data["server"] == fake.url
        await fake.restart(downtime=1.0)  # longer than the first-contact limit
        msg = await fake.post_as("alice", fake.rooms_by_name["chambre"], "!agenda")
        await h.wait_texts("!agenda")
        await h.barrier()
        assert counts(h) == Counter({msg["_id"]: 1})
    finally:
        await h.stop()
