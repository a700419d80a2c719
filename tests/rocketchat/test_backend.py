"""The backend's contract, run against both fakes: what the faithful fake and the
independently written one agree on is the protocol, not one fake's quirks."""
from __future__ import annotations

import asyncio
import json
from collections import Counter

import pytest

from bot.backends.base import Outgoing, RetryLater
from bot.backends.rocketchat import RocketChatAuthError
from bot.richtext import Doc
from tests.rocketchat.conftest import BOT, Harness, MemoryState, events, make_config


def counts(h: Harness) -> Counter:
    """The messages delivered, by id (an edit, a reaction, a removal is an event of its own)."""
    return Counter(m.event_id for m in h.delivered if m.kind == "message")


async def send_until_done(h: Harness, out: Outgoing, delays: list[float] | None = None) -> None:
    """What the outbox does: retry after RetryLater's delay (the server's; a short backoff when
    it gave none)."""
    for _ in range(50):
        try:
            await h.backend.send(out)
            return
        except RetryLater as exc:
            if delays is not None:
                delays.append(exc.delay)
            await asyncio.sleep(exc.delay if exc.delay is not None else 0.05)
    raise AssertionError("never sent")


async def test_a_command_becomes_one_incoming_with_its_fields(any_fake):
    h = await Harness(any_fake).start()
    try:
        chambre, bureau = any_fake.rooms_by_name["chambre"], any_fake.rooms_by_name["bureau"]
        dm = any_fake.open_dm("dave", BOT)
        a = await any_fake.post_as("alice", chambre, "!agenda")
        b = await any_fake.post_as("bob", bureau, "!aide")
        c = await any_fake.post_as("dave", dm, "!aide réunion")
        await h.wait_texts("!agenda", "!aide", "!aide réunion")
        await h.barrier()
        by_id = {m.event_id: m for m in h.delivered}
        assert counts(h) == Counter({a["_id"]: 1, b["_id"]: 1, c["_id"]: 1})
        first = by_id[a["_id"]]
        assert (first.backend, first.room, first.sender, first.thread) == ("rocketchat", chambre, "alice", None)
        assert first.sent_at.tzinfo is not None
        assert by_id[b["_id"]].room == bureau and by_id[b["_id"]].sender == "bob"
        assert by_id[c["_id"]].room == dm and by_id[c["_id"]].sender == "dave"
    finally:
        await h.stop()


async def test_own_system_unjoined_and_unlisted_rooms_are_ignored(any_fake):
    h = await Harness(any_fake).start()
    try:
        rooms = any_fake.rooms_by_name
        await any_fake.post_as("alice", rooms["ailleurs"], "!agenda ailleurs")  # bot not a member
        await any_fake.post_as("alice", rooms["bavardage"], "!agenda bavardage")  # not configured
        await h.backend.send(Outgoing(send_key="own-1", body=Doc.text("!agenda"), room=rooms["chambre"]))
        await any_fake.set_role(rooms["chambre"], "bob", "moderator")  # a system message
        await any_fake.add_member(rooms["chambre"], "dave")  # another one
        marker = await any_fake.post_as("bob", rooms["chambre"], "!aide")
        await h.wait_texts("!aide")
        await h.barrier()
        assert [m.event_id for m in h.delivered] == [marker["_id"]]
    finally:
        await h.stop()


async def test_edits_reactions_and_thread_counters_are_not_new_commands(any_fake):
    """A message is delivered once; an edit and a reaction are events of their own, once
    each; a thread counter (the root sent again) is nothing."""
    h = await Harness(any_fake).start()
    try:
        chambre = any_fake.rooms_by_name["chambre"]
        root = await any_fake.post_as("alice", chambre, "!réunion voir 1")
        await any_fake.react(root["_id"], "thumbsup", "bob")
        await any_fake.edit(root["_id"], "!réunion voir 2")
        reply = await any_fake.post_as("bob", chambre, "!réunion participe 1", tmid=root["_id"])  # root re-emitted
        await h.wait(lambda: len(h.delivered) >= 4)
        await h.barrier()
        assert counts(h) == Counter({root["_id"]: 1, reply["_id"]: 1})
        messages = [m for m in h.delivered if m.kind == "message"]
        assert messages[0].text == "!réunion voir 1"
        assert messages[1].thread == root["_id"]
        assert events(h) == [("reaction", root["_id"], "👍", "bob"), ("edit", root["_id"], "!réunion voir 2", "alice")]
    finally:
        await h.stop()


async def test_a_reply_goes_to_the_commands_thread(any_fake):
    h = await Harness(any_fake).start()
    try:
        chambre = any_fake.rooms_by_name["chambre"]
        root = await any_fake.post_as("alice", chambre, "sujet")
        cmd = await any_fake.post_as("bob", chambre, "!odj liste", tmid=root["_id"])
        await h.wait_texts("!odj liste")
        incoming = h.delivered[-1]
        await h.backend.send(Outgoing(send_key=f"reply-{cmd['_id']}", body=Doc.text("Ordre du jour vide"), room=incoming.room, thread=incoming.thread))
        replies = any_fake.replies(root["_id"])
        assert [r["msg"] for r in replies] == ["!odj liste", "Ordre du jour vide"]
        assert replies[-1]["_id"] == f"reply-{cmd['_id']}"
    finally:
        await h.stop()


async def test_a_drop_in_the_middle_of_a_burst_loses_nothing_and_repeats_nothing(any_fake):
    h = await Harness(any_fake).start()
    try:
        chambre = any_fake.rooms_by_name["chambre"]
        posted = []
        for n in range(12):
            posted.append((await any_fake.post_as("alice", chambre, f"!odj ajouter point {n}"))["_id"])
            if n == 5:
                await any_fake.drop_sockets("abrupt")
        await h.wait(lambda: len(set(counts(h))) >= 12)
        await h.barrier()
        assert counts(h) == Counter({mid: 1 for mid in posted})
        assert h.backend.connects >= 2
    finally:
        await h.stop()


async def test_messages_said_during_a_server_restart_are_caught_up_exactly_once(any_fake):
    h = await Harness(any_fake).start()
    try:
        chambre, bureau = any_fake.rooms_by_name["chambre"], any_fake.rooms_by_name["bureau"]
        before = await any_fake.post_as("alice", chambre, "!agenda")
        await h.wait_texts("!agenda")
        await any_fake.restart(downtime=0.4)
        during = [
            await any_fake.post_as("bob", chambre, "!brique liste"),
            await any_fake.post_as("alice", bureau, "!rythme"),
            await any_fake.post_as("carol", chambre, "!digest"),
        ]
        await h.wait(lambda: len(counts(h)) >= 4, timeout=8)
        after = await any_fake.post_as("alice", chambre, "!aide")
        await h.wait_texts("!aide")
        await h.barrier()
        assert counts(h) == Counter({m["_id"]: 1 for m in [before, *during, after]})
        # caught up room by room, each room in the order it was said
        assert [m.text for m in h.delivered if m.room == chambre][1:3] == ["!brique liste", "!digest"]
    finally:
        await h.stop()


async def test_a_revoked_token_is_replaced_by_logging_in_again(any_fake):
    h = await Harness(any_fake).start()
    try:
        chambre = any_fake.rooms_by_name["chambre"]
        old = h.state.data["auth_token"]
        await any_fake.revoke_token(BOT)
        msg = await any_fake.post_as("alice", chambre, "!agenda")
        await h.wait_texts("!agenda", timeout=8)
        assert h.state.data["auth_token"] != old
        await h.backend.send(Outgoing(send_key="after-revoke", body=Doc.text("ok"), room=chambre))
        assert any(m["_id"] == "after-revoke" for m in any_fake.room_messages(chambre))
        assert counts(h) == Counter({msg["_id"]: 1})
    finally:
        await h.stop()


async def test_a_revoked_personal_token_without_password_stops_the_backend(any_fake):
    pat = any_fake.create_pat(BOT)
    uid = any_fake.user_id(BOT)
    h = Harness(any_fake, config=make_config(any_fake.url, username=None, password=None, user_id=uid, token=pat))
    await h.start()
    await any_fake.revoke_token(BOT)
    with pytest.raises(RocketChatAuthError, match="no password"):
        await asyncio.wait_for(h.task, 5)
    h.task = None
    # it stopped instead of hammering the server with logins
    assert sum(1 for kind, ok in any_fake.ddp_logins if not ok) <= 1


async def test_a_resent_message_is_posted_once(any_fake):
    h = await Harness(any_fake).start()
    try:
        chambre = any_fake.rooms_by_name["chambre"]
        out = Outgoing(send_key="cmd-abc123_x", body=Doc.text("Réunion ", ["b", ["Atelier"]], " proposée"), room=chambre)
        await h.backend.send(out)
        await h.backend.send(out)  # the outbox resends after a crash
        mine = any_fake.messages_by(BOT, chambre)
        assert [m["_id"] for m in mine] == ["cmd-abc123_x"]
        assert mine[0]["msg"] == "Réunion *Atelier* proposée"
    finally:
        await h.stop()


async def test_a_direct_message_opens_the_dm_once(any_fake):
    h = await Harness(any_fake).start()
    try:
        await h.backend.send(Outgoing(send_key="rappel-1", body=Doc.text("Rappel : réunion demain"), dm_user="carol"))
        await h.backend.send(Outgoing(send_key="rappel-2", body=Doc.text("Rappel : permanence"), dm_user="carol"))
        rid = any_fake.open_dm(BOT, "carol")
        assert [m["_id"] for m in any_fake.room_messages(rid)] == ["rappel-1", "rappel-2"]
        assert json.loads(h.state.data["dm_rooms"]) == {"carol": rid}  # found again after a restart
    finally:
        await h.stop()


async def test_a_channel_name_is_resolved_to_its_room(any_fake):
    h = await Harness(any_fake).start()
    try:
        await h.backend.send(Outgoing(send_key="annonce-1", body=Doc.text("Agenda"), room="chambre"))
        assert [m["_id"] for m in any_fake.room_messages(any_fake.rooms_by_name["chambre"])] == ["annonce-1"]
    finally:
        await h.stop()


async def test_rate_limited_sends_wait_until_the_reset(any_fake):
    any_fake.rate_limit_bypass_for_bot = False  # a bot whose role lacks api-bypass-rate-limit
    any_fake.set_rate_limit(2, window=0.5, routes={"chat.sendMessage"})
    h = await Harness(any_fake).start()
    try:
        chambre = any_fake.rooms_by_name["chambre"]
        delays: list[float] = []
        for n in range(5):
            await send_until_done(h, Outgoing(send_key=f"rl-{n}", body=Doc.text(f"n {n}"), room=chambre), delays)
        assert [m["_id"] for m in any_fake.messages_by(BOT, chambre)] == [f"rl-{n}" for n in range(5)]
        assert delays and all(0 < d <= 1.5 for d in delays)
    finally:
        await h.stop()


async def test_room_owners_and_moderators_are_organisers(any_fake):
    h = await Harness(any_fake).start()
    try:
        chambre = any_fake.rooms_by_name["chambre"]
        for who in ("alice", "carol", "bob"):
            await any_fake.post_as(who, chambre, f"!rythme ({who})")
        await h.wait(lambda: len(h.delivered) >= 3)
        assert {m.sender: m.sender_is_organiser for m in h.delivered} == {"alice": True, "carol": True, "bob": False}
        await any_fake.set_role(chambre, "bob", "moderator")  # the system message refreshes the cache
        await any_fake.post_as("bob", chambre, "!réunion confirmer 1")
        await h.wait(lambda: len(h.delivered) >= 4)
        assert h.delivered[-1].sender_is_organiser is True
    finally:
        await h.stop()


async def test_exactly_once_through_edits_reactions_threads_drops_and_restarts(any_fake):
    """Exactly once, end to end: N messages interleaved with every kind of noise and fault;
    the handler ran once per new message, never for the bot's own or system messages."""
    h = await Harness(any_fake).start()
    try:
        chambre, bureau = any_fake.rooms_by_name["chambre"], any_fake.rooms_by_name["bureau"]
        expected: list[str] = []
        root = None
        for n in range(30):
            room = chambre if n % 3 else bureau
            in_thread = root is not None and n % 5 == 0 and room == root["rid"]
            msg = await any_fake.post_as("alice" if n % 2 else "bob", room, f"!odj ajouter {n}",
                                         tmid=root["_id"] if in_thread else None)
            expected.append(msg["_id"])
            if n == 4:
                root = msg
            if n % 4 == 1:
                await any_fake.react(msg["_id"], "thumbsup", "carol")
            if n % 6 == 2:
                await any_fake.edit(msg["_id"], f"!odj ajouter {n} (corrigé)")
            if n % 7 == 3:
                await send_until_done(h, Outgoing(send_key=f"noise-{n}", body=Doc.text(f"reçu {n}"), room=room))
            if n == 10:
                await any_fake.drop_sockets("abrupt")
            if n == 17:
                await any_fake.set_role(chambre, "bob", "moderator")
            if n == 20:
                await any_fake.restart(downtime=0.2)
            if n == 25:
                await any_fake.drop_sockets(1000)
        await h.wait(lambda: len(counts(h)) >= len(expected), timeout=10)
        await h.barrier()
        assert counts(h) == Counter({mid: 1 for mid in expected})
        # Each reaction is delivered once, as a reaction; each edit at most once, as an edit:
        # a message edited before the bot ever saw it (said and fixed during a gap) is
        # delivered once, as it reads now, and its edit is not heard apart.
        reacted = {expected[n] for n in range(30) if n % 4 == 1}
        edited = {expected[n] for n in range(30) if n % 6 == 2}
        reactions = [m for m in h.delivered if m.kind == "reaction"]
        assert sorted(m.target for m in reactions) == sorted(reacted)
        assert all((m.text, m.sender) == ("👍", "carol") for m in reactions)
        edits = [m for m in h.delivered if m.kind == "edit"]
        assert len({m.event_id for m in edits}) == len(edits) and {m.target for m in edits} <= edited
        for mid in edited - {m.target for m in edits}:
            assert [m.text for m in h.delivered if m.event_id == mid][0].endswith("(corrigé)")
        assert all(m.text.startswith("!odj ajouter") for m in h.delivered if m.kind != "reaction")
    finally:
        await h.stop()


async def test_a_catch_up_stores_each_rooms_mark_once_and_a_restart_resumes_from_it(any_fake):
    class CountingState(MemoryState):
        def __init__(self) -> None:
            super().__init__()
            self.writes: Counter = Counter()

        async def set(self, key: str, value: str) -> None:
            self.writes[key] += 1
            await super().set(key, value)

    state = CountingState()
    chambre = any_fake.rooms_by_name["chambre"]
    h = await Harness(any_fake, state=state).start()
    await any_fake.post_as("alice", chambre, "!agenda")
    await h.wait_texts("!agenda")
    await h.stop()

    missed = [await any_fake.post_as("bob", chambre, f"!odj ajouter point {n}") for n in range(20)]
    state.writes.clear()
    h2 = await Harness(any_fake, state=state).start()
    try:
        assert counts(h2) == Counter({m["_id"]: 1 for m in missed})  # caught up before going live
        assert state.writes[f"hw:{chambre}"] == 1
    finally:
        await h2.stop()

    h3 = await Harness(any_fake, state=state).start()  # the stored mark covers all twenty
    try:
        await any_fake.post_as("carol", chambre, "!aide")
        await h3.wait_texts("!aide")
        await h3.barrier()
        assert h3.texts() == ["!aide"]
    finally:
        await h3.stop()
