"""The mécénat on the fake Rocket.Chat: a member's own amount reaches their direct-message room
(created by the bot), never the channel; typed in that room, a command is answered there."""
from __future__ import annotations

import asyncio

from tests.rocketchat.conftest import BOT
from tests.rocketchat.test_app import app, bot_replies, start_app  # noqa: F401  (fixtures)


async def test_one_s_own_amount_by_direct_message_only(fake, app):  # noqa: F811
    chambre = fake.rooms_by_name["chambre"]
    await fake.post_as("alice", chambre, "!mécénat engager 37,45 ; anonyme")
    await fake.post_as("bob", chambre, "!mécénat engager 120 ; montant public")
    await fake.post_as("carol", chambre, "!mécénat")
    await fake.post_as("alice", chambre, "!mécénat moi")
    await fake.wait_for(lambda: len(bot_replies(fake, chambre)) == 4)
    await asyncio.wait_for(app.drained("rocketchat"), 10)
    in_channel = [m["msg"] for m in bot_replies(fake, chambre)]
    assert all("37,45" not in text and "37.45" not in text for text in in_channel)
    assert "*157,45\u00a0€/mois* au total" in in_channel[2] and "bob — 120\u00a0€/mois" in in_channel[2]
    assert "alice" not in in_channel[2]
    assert in_channel[3] == "Je vous réponds en message privé."

    dms = [rid for rid, room in fake.rooms.items() if room.t == "d" and "alice" in room.usernames]
    dm = fake.open_dm("alice", BOT)
    assert dms == [dm]  # the one the bot opened with alice, and no other
    said = [m["msg"] for m in bot_replies(fake, dm)]
    assert len(said) == 2 and "37,45\u00a0€/mois" in said[0] and said[1].startswith("*Votre mécénat*")

    await fake.post_as("alice", dm, "!mécénat moi")
    await fake.wait_for(lambda: len(bot_replies(fake, dm)) == 3)
    await asyncio.wait_for(app.drained("rocketchat"), 10)
    assert bot_replies(fake, dm)[2]["msg"].startswith("*Votre mécénat*") and len(bot_replies(fake, dm)) == 3
