"""The mécénat on a real Synapse: a member's own amount reaches them in a direct-message room
and never the group's room; a command typed in that direct-message room is answered there."""
from __future__ import annotations

import asyncio

from tests.matrix.test_app import body, settled_replies, start_app  # noqa: F401  (start_app: a fixture)
from tests.support import wait_until


async def test_one_s_own_amount_by_direct_message_only(people, bot_account, start_app):  # noqa: F811
    # Alice's client encrypts: the bot's DMs are encrypted, as Element makes them.
    alice, bob = await people("alice", encrypted=True), await people("bob")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id], encrypted=False)
    await bob.join(room)
    app = await start_app(bot_account, [room])

    commit = await alice.say(room, "!mécénat engager 37,45 ; anonyme")
    public = await bob.say(room, "!mécénat engager 120 ; montant public")
    collective = await bob.say(room, "!mécénat")
    mine = await alice.say(room, "!mécénat moi")
    await alice.wait_replies(room, bot_account.user_id, [commit, public, collective, mine])
    replies = await settled_replies(app, alice, room, bot_account.user_id)
    in_room = [body(r) for rs in replies.values() for r in rs]
    assert all("37,45" not in text and "37.45" not in text for text in in_room)
    assert "Le détail vous est envoyé en message privé." in body(replies[commit][0])
    assert "157,45\u00a0€/mois au total" in body(replies[collective][0])
    assert f"{bob.user_id} — 120\u00a0€/mois" in body(replies[collective][0])
    assert alice.user_id not in body(replies[collective][0])  # anonymous
    assert body(replies[mine][0]) == "Je vous réponds en message privé."

    # Alice is invited to one direct-message room, where her amount is
    # (nio keeps the invitations it has seen: an earlier sync of Alice's may have read it)
    async def invited() -> list[str] | None:
        await alice.client.sync(timeout=500)
        return list(alice.client.invited_rooms) or None

    [dm] = await wait_until(invited, 20, "Alice was never invited to a direct-message room")
    await alice.join(dm)

    async def bot_says() -> list[str]:
        return [e["content"]["body"] for e in await alice.events(dm) if e["sender"] == bot_account.user_id]

    said = await wait_until(lambda: _at_least(bot_says, 2), 20, "the direct messages did not arrive")
    assert said[0].startswith("Merci ! Engagement enregistré.") and "37,45\u00a0€/mois" in said[0]
    assert said[1].startswith("Votre mécénat\nEn cours : 37,45\u00a0€/mois")

    # typed in that room, a command is answered there, in full, and nothing else is sent
    asked = await alice.say(dm, "!mécénat moi")
    await alice.wait_replies(dm, bot_account.user_id, [asked])
    await asyncio.wait_for(app.drained("matrix"), timeout=20)
    said = await bot_says()
    assert len(said) == 3 and said[2].startswith("Votre mécénat\nEn cours : 37,45\u00a0€/mois")


async def _at_least(fetch, n: int) -> list[str] | None:
    got = await fetch()
    return got if len(got) >= n else None
