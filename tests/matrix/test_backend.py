"""The Matrix backend against a real Synapse: what it delivers, what it sends, and that a
restart neither loses nor repeats anything. The core is replaced by a recording `deliver`."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.backends.base import Outgoing, RetryLater
from bot.backends.matrix import MatrixBackend
from bot.clock import ManualClock
from bot.richtext import Doc
from bot.config import parse_config
from tests.matrix.conftest import STORE_KEY, BotConfig, MemoryState, unique
from tests.support import wait_until


async def test_delivers_a_command_with_who_where_and_when(people, bot_account, start_bot, running_synapse):
    alice, bob, carol = await people("alice"), await people("bob"), await people("carol")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id, carol.user_id],
                                   power={carol.user_id: 50})
    await bob.join(room)
    await carol.join(room)
    bot = await start_bot(bot_account, rooms=[room])

    e1 = await alice.say(room, "!aide")
    e2 = await bob.say(room, "!réunion confirmer 1")
    e3 = await carol.say(room, "!réunion confirmer 1")
    await bot.recorder.wait_for(lambda m: len(m) >= 3)

    first, second, third = bot.recorder.messages
    assert (first.backend, first.room, first.sender, first.text, first.event_id) == (
        "matrix", room, alice.user_id, "!aide", e1)
    assert first.sent_at.tzinfo is not None
    assert abs((bot.backend.clock.now() - first.sent_at).total_seconds()) < 30
    # Room version 12: the creator outranks every power level; bob is a plain member.
    assert first.sender_is_organiser
    assert (second.event_id, second.sender_is_organiser) == (e2, False)
    assert (third.event_id, third.sender_is_organiser) == (e3, True)


async def test_power_level_changes_are_followed_and_can_be_disabled(people, bot_account, start_bot):
    alice, bob = await people("alice"), await people("bob")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])
    await bob.join(room)
    bot = await start_bot(bot_account, rooms=[room])
    await bob.say(room, "!agenda")
    await bot.recorder.wait_for(lambda m: len(m) == 1)
    r = await alice.client.room_put_state(room, "m.room.power_levels", {
        "users": {bob.user_id: 50}})
    assert hasattr(r, "event_id"), r
    await bob.say(room, "!agenda")
    await bot.recorder.wait_for(lambda m: len(m) == 2)
    assert [m.sender_is_organiser for m in bot.recorder.messages] == [False, True]
    await bot.stop()

    nobody = await start_bot(bot_account, rooms=[room], organiser_power_level=None)
    await alice.say(room, "!agenda")
    await nobody.recorder.wait_for(lambda m: any(x.sender == alice.user_id for x in m))
    assert not any(m.sender_is_organiser for m in nobody.recorder.messages)


async def test_ignores_its_own_messages_notices_and_non_text(people, bot_account, start_bot):
    """Messages are what a person typed (m.text, not the bot's own, not a notice); an edit
    and a reaction are events of their own (base.py), never taken for a new message."""
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    bot = await start_bot(bot_account, rooms=[room])

    cmd = await alice.say(room, "!agenda")
    await bot.recorder.wait_for(lambda m: len(m) == 1)
    await bot.backend.send(Outgoing(send_key="k-own", room=room, body=Doc.text("!agenda"), reply_to=cmd))
    await alice.client.room_send(room, "m.room.message", {"msgtype": "m.notice", "body": "!agenda"})
    edit = await alice.say(room, "* !agenda edited", **{
        "m.new_content": {"msgtype": "m.text", "body": "!agenda edited"},
        "m.relates_to": {"rel_type": "m.replace", "event_id": cmd}})
    await alice.client.room_send(room, "m.room.message", {"msgtype": "m.image", "body": "x.png", "url": "mxc://a/b"})
    reaction = (await alice.client.room_send(room, "m.reaction", {
        "m.relates_to": {"rel_type": "m.annotation", "event_id": cmd, "key": "👍"}})).event_id
    last = await alice.say(room, "!aide")
    # Delivered in the room's order: anything wrongly taken for a command would come before it.
    await bot.recorder.wait_for(lambda m: last in [x.event_id for x in m])
    assert [m.event_id for m in bot.recorder.messages if m.kind == "message"] == [cmd, last]
    assert [(m.kind, m.event_id, m.target, m.text) for m in bot.recorder.messages if m.kind != "message"] == [
        ("edit", edit, cmd, "!agenda edited"), ("reaction", reaction, cmd, "👍")]


async def test_a_reply_in_a_thread_keeps_its_thread_and_drops_the_quote(people, bot_account, start_bot):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    bot = await start_bot(bot_account, rooms=[room])
    root = await alice.say(room, "on parle de la brique 3")
    await alice.say(room, "!brique voir 3", **{
        "m.relates_to": {"rel_type": "m.thread", "event_id": root, "is_falling_back": True,
                         "m.in_reply_to": {"event_id": root}}})
    await alice.say(room, "> <@x:localhost> blah\n\n!aide", **{
        "m.relates_to": {"m.in_reply_to": {"event_id": root}}})
    await bot.recorder.wait_for(lambda m: len(m) == 3)
    _, in_thread, reply = bot.recorder.messages
    assert (in_thread.thread, in_thread.text) == (root, "!brique voir 3")
    assert (reply.thread, reply.text) == (None, "!aide")

    await bot.backend.send(Outgoing(send_key="t1", room=room, body=Doc.text("ok"),
                                    reply_to=in_thread.event_id, thread=root))
    sent = (await alice.replies(room, bot_account.user_id))[in_thread.event_id][0]
    rel = sent["content"]["m.relates_to"]
    assert rel["rel_type"] == "m.thread" and rel["event_id"] == root


async def test_a_reply_is_a_notice_pings_nobody_and_shows_member_text_as_typed(people, bot_account, start_bot):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    bot = await start_bot(bot_account, rooms=[room])
    cmd = await alice.say(room, "!réunion proposer vendredi 19h ; <b>@room</b>")
    await bot.recorder.wait_for(lambda m: len(m) == 1)

    body = Doc.text("Proposée : ", ["b", ["<b>@room</b>"]])
    await bot.backend.send(Outgoing(send_key=f"reply:{cmd}", room=room, body=body, reply_to=cmd))

    [reply] = (await alice.replies(room, bot_account.user_id))[cmd]
    content = reply["content"]
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": cmd}}
    assert content["format"] == "org.matrix.custom.html"
    assert "&lt;b&gt;" in content["formatted_body"] and "<b>@room" not in content["formatted_body"]
    assert "@room" not in content["body"] and "@room" not in content["formatted_body"]
    assert content["body"] == body.plain()


async def test_the_same_send_key_posts_once_even_after_a_restart(people, bot_account, start_bot):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    state = MemoryState()
    bot = await start_bot(bot_account, state=state, rooms=[room])
    out = Outgoing(send_key="reply:$abc", room=room, body=Doc.text("une fois"), reply_to=None)
    await bot.backend.send(out)
    await bot.backend.send(out)
    await bot.stop()
    # The crash case: the outbox resends after a restart; same device, same transaction id.
    again = await start_bot(bot_account, state=state, rooms=[room])
    await again.backend.send(out)
    events = [e for e in await alice.events(room) if e["sender"] == bot_account.user_id]
    assert [e["content"]["body"] for e in events] == ["une fois"]


async def test_the_device_is_reused_after_a_restart(people, bot_account, start_bot, running_synapse):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    before = set(running_synapse.devices(bot_account.user_id))
    state = MemoryState()
    for _ in range(3):
        bot = await start_bot(bot_account, state=state, rooms=[room])
        await bot.stop()
    after = set(running_synapse.devices(bot_account.user_id))
    assert len(after - before) == 1
    assert state.data["device_id"] in after - before

    # A revoked token: the bot logs in again, asking for the same device.
    device = state.data["device_id"]
    state.data["access_token"] = "syt_revoked"
    bot = await start_bot(bot_account, state=state, rooms=[room])
    assert bot.backend.device_id == device
    assert set(running_synapse.devices(bot_account.user_id)) == after


async def test_an_access_token_from_the_environment_is_enough(people, bot_account, start_bot, running_synapse):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    # A configuration with no secret in the file: the token comes from the environment.
    loaded = parse_config({"matrix": {"homeserver": running_synapse.url, "user_id": bot_account.user_id, "rooms": [room]}},
                          env={"CHAMBRE_MATRIX_ACCESS_TOKEN": bot_account.access_token,
                               "CHAMBRE_MATRIX_STORE_KEY": STORE_KEY}).matrix
    bot = await start_bot(bot_account, rooms=[room], password=loaded.password, access_token=loaded.access_token)
    assert bot.backend.device_id == bot_account.device_id
    cmd = await alice.say(room, "!agenda")
    await bot.recorder.wait_for(lambda m: [x.event_id for x in m] == [cmd])


async def test_room_aliases_are_joined_and_resolved_for_sending(people, bot_account, start_bot):
    alice = await people("alice")
    localpart = unique("chambre")
    room = await alice.create_room(invite=[bot_account.user_id], alias=localpart)
    alias = f"#{localpart}:localhost"
    bot = await start_bot(bot_account, rooms=[alias])
    cmd = await alice.say(room, "!agenda")
    await bot.recorder.wait_for(lambda m: len(m) == 1)
    assert (bot.recorder.messages[0].event_id, bot.recorder.messages[0].room) == (cmd, room)
    await bot.backend.send(Outgoing(send_key="alias-1", room=alias, body=Doc.text("annonce")))
    got = [e["content"]["body"] for e in await alice.events(room) if e["sender"] == bot_account.user_id]
    assert got == ["annonce"]


async def test_invites_are_accepted_only_where_the_config_allows(people, bot_account, start_bot, running_synapse):
    friend, stranger, configured_owner = await people("friend"), await people("stranger"), await people("owner")
    configured = await configured_owner.create_room()
    bot = await start_bot(bot_account, rooms=[configured], invites_from=[friend.user_id])
    # Not invited yet: the bot could not join its configured room at start.
    from_friend = await friend.create_room(invite=[bot_account.user_id])
    from_stranger = await stranger.create_room(invite=[bot_account.user_id])
    await configured_owner.invite(configured, bot_account.user_id)

    async def membership(person, room):
        r = await person.client.room_get_state_event(room, "m.room.member", bot_account.user_id)
        return getattr(r, "content", {}).get("membership")

    async def settled():
        states = [await membership(friend, from_friend), await membership(stranger, from_stranger),
                  await membership(configured_owner, configured)]
        return states if "invite" not in states else None

    assert await wait_until(settled, 10, "an invite was left unanswered", interval=0.1) == ["join", "leave", "join"]
    cmd = await friend.say(from_friend, "!aide")
    await bot.recorder.wait_for(lambda m: cmd in [x.event_id for x in m])
    await bot.stop()

    # A server name in invites_from admits everyone on that server.
    other = await people("other")
    by_server = await start_bot(bot_account, invites_from=["localhost"])
    room = await other.create_room(invite=[bot_account.user_id])
    async def answered():
        state = await membership(other, room)
        return state if state != "invite" else None

    assert await wait_until(answered, 10, "the invite was never answered", interval=0.1) == "join"
    await by_server.stop()


async def test_a_direct_message_room_is_made_once_and_found_again(people, bot_account, start_bot):
    organiser = await people("orga", encrypted=True)  # the bot makes DMs encrypted, as Element does
    state = MemoryState()
    bot = await start_bot(bot_account, state=state)
    first = Outgoing(send_key="remind-1", dm_user=organiser.user_id, body=Doc.text("rappel 1"))
    await bot.backend.send(first)
    [dm] = bot.backend.direct.rooms_with(organiser.user_id)
    await organiser.join(dm)
    await bot.stop()

    # Same database: the DM comes from the cache; a new database: from m.direct.
    for st in (state, MemoryState()):
        again = await start_bot(bot_account, state=st)
        await again.backend.send(Outgoing(send_key=unique("remind"), dm_user=organiser.user_id,
                                          body=Doc.text("rappel")))
        await again.stop()
    bodies = [e["content"]["body"] for e in await organiser.events(dm) if e["sender"] == bot_account.user_id]
    assert bodies == ["rappel 1", "rappel", "rappel"]

    # The organiser answers in the DM: the command is heard there.
    bot = await start_bot(bot_account, state=state)
    cmd = await organiser.say(dm, "!agenda")
    await bot.recorder.wait_for(lambda m: cmd in [x.event_id for x in m])
    assert bot.recorder.messages[-1].room == dm


async def test_commands_sent_while_down_are_delivered_once_even_past_one_sync(people, bot_account, start_bot):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    state = MemoryState()
    bot = await start_bot(bot_account, state=state, rooms=[room])
    await bot.stop()

    sent = [await alice.say(room, f"!brique voir {i}") for i in range(130)]  # > one sync's 100
    bot = await start_bot(bot_account, state=state, rooms=[room], wait_ready=False)
    # The first sync after the start is the catch-up: once handled, all it brought was delivered.
    await wait_until(lambda: bot.backend.sync_count >= 1 or bot.task.done(), 30, "the catch-up never ended")
    assert [m.event_id for m in bot.recorder.messages] == sent


async def test_the_gap_is_fetched_with_the_default_timeline_limit(people, bot_account, start_bot, monkeypatch,
                                                                 caplog):
    """Synapse's own default (10 per room) forces the /messages path on every catch-up."""
    caplog.set_level("INFO", logger="bot.backends.matrix")
    monkeypatch.setattr(MatrixBackend, "timeline_limit", 10)
    alice, bob = await people("alice"), await people("bob")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])
    await bob.join(room)
    state = MemoryState()
    bot = await start_bot(bot_account, state=state, rooms=[room])
    seen_before = await alice.say(room, "!agenda")
    await bot.recorder.wait_for(lambda m: len(m) == 1)
    await bot.stop()
    sent = []
    for i in range(15):
        sent.append(await (alice if i % 2 else bob).say(room, f"!odj ajouter point {i}"))
    bot = await start_bot(bot_account, state=state, rooms=[room], wait_ready=False)
    await wait_until(lambda: bot.backend.sync_count >= 1 or bot.task.done(), 20, "the catch-up never ended")
    assert [m.event_id for m in bot.recorder.messages] == sent
    assert seen_before not in sent
    assert "fetched 5 missed events" in caplog.text


async def test_commands_older_than_max_command_age_are_skipped(people, bot_account, start_bot):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    state = MemoryState()
    bot = await start_bot(bot_account, state=state, rooms=[room])
    await bot.stop()
    old = await alice.say(room, "!agenda")
    from datetime import datetime, timezone

    clock = ManualClock(datetime.now(timezone.utc) + timedelta(minutes=20))
    bot = await start_bot(bot_account, state=state, clock=clock, rooms=[room],
                          max_command_age=timedelta(minutes=10))
    # The first sync (done before start_bot returned) saw "old" 20 minutes late. The clock
    # is set back, and a new command is fresh.
    clock.set(datetime.now(timezone.utc))
    fresh = await alice.say(room, "!aide")
    await bot.recorder.wait_for(lambda m: fresh in [x.event_id for x in m])
    assert [m.event_id for m in bot.recorder.messages] == [fresh]
    assert old != fresh


async def test_a_failing_delivery_is_retried_before_the_cursor_moves(people, bot_account, start_bot, monkeypatch):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    calls: list[str] = []

    async def flaky(msg):
        calls.append(msg.event_id)
        if len(calls) == 1:
            raise RuntimeError("database locked")

    monkeypatch.setattr(MatrixBackend, "backoff_first", 0.05)
    bot = await start_bot(bot_account, rooms=[room], deliver=flaky)
    cmd = await alice.say(room, "!agenda")
    await wait_until(lambda: len(calls) >= 2, 5, "the failed delivery was not retried")
    assert calls[:2] == [cmd, cmd]


async def test_rate_limiting_becomes_retry_later(people, running_synapse, start_bot):
    alice = await people("alice")
    slow_bot = running_synapse.register(unique("slowbot"), fast=False)  # Synapse's 0.2/s, burst 10
    room = await alice.create_room(invite=[slow_bot.user_id])
    bot = await start_bot(slow_bot, rooms=[room])
    with pytest.raises(RetryLater) as caught:
        for i in range(30):
            await bot.backend.send(Outgoing(send_key=f"burst-{i}", room=room, body=Doc.text(f"{i}")))
    assert caught.value.delay > 0


async def test_send_before_login_and_with_the_homeserver_away_is_retry_later(bot_account):
    cfg = BotConfig(homeserver="http://127.0.0.1:9", user_id=bot_account.user_id, password="x",
                    store_path="/nonexistent", store_key=STORE_KEY)
    backend = MatrixBackend(cfg, MemoryState())
    backend.ready_wait = 0.05
    with pytest.raises(RetryLater):
        await backend.send(Outgoing(send_key="k", room="!r:localhost", body=Doc.text("x")))


async def test_the_homeserver_restarting_under_the_bot(people, bot_account, start_bot, running_synapse, monkeypatch,
                                                      caplog):
    alice = await people("alice")
    room = await alice.create_room(invite=[bot_account.user_id])
    monkeypatch.setattr(MatrixBackend, "backoff_max", 0.5)
    bot = await start_bot(bot_account, rooms=[room])
    before = await alice.say(room, "!agenda")
    await bot.recorder.wait_for(lambda m: len(m) == 1)

    await asyncio.to_thread(running_synapse.stop)
    with pytest.raises(RetryLater):
        await bot.backend.send(Outgoing(send_key="away-1", room=room, body=Doc.text("réponse")))
    # The sync loop notices, and backs off meanwhile.
    await wait_until(lambda: "homeserver away" in caplog.text, 10, "the sync loop never noticed")
    await asyncio.to_thread(running_synapse.start)

    after = await alice.say(room, "!aide")
    await bot.recorder.wait_for(lambda m: after in [x.event_id for x in m], timeout=20)
    await bot.backend.send(Outgoing(send_key="away-1", room=room, body=Doc.text("réponse")))
    assert [m.event_id for m in bot.recorder.messages] == [before, after]
    assert not bot.task.done()
