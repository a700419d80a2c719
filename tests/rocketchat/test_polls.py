"""Date polls on the fake Rocket.Chat, which stores and streams reactions as the real one
does (`reactions: {":one:": {"usernames": [...]}}`): the poll is a message listing 1️⃣ 2️⃣ 3️⃣
with the bot's own reactions on it; members' reactions are their answers, added and taken
back, counted once; a foreign reaction is ignored, the bot's own are not counted; a restart
between two answers loses nothing, and a reaction added or taken back while the bot is down
counts when it comes back (from the message's reactions on catch-up)."""
from __future__ import annotations

from typing import Any

from bot.app import App
from storage.store import Store
from tests.rocketchat.conftest import BOT
from tests.rocketchat.test_listening import reactions, settled, start_app  # noqa: F401  (start_app: a fixture)
from tests.support import wait_until


async def answers(app: App) -> dict[str, list[int]]:
    poll = await app.db.run(lambda d: Store(d).poll(1))
    return poll.answers if poll is not None else {}


async def has(app: App, expected: dict[str, list[int]]) -> bool:
    return await answers(app) == expected


async def test_reactions_are_answers(fake: Any, start_app: Any) -> None:  # noqa: F811
    app = await start_app(fake)
    chambre = fake.rooms_by_name["chambre"]
    await fake.post_as("alice", chambre, "!sondage 2 ; dans 10 jours à 18h ; dans 11 jours à 18h ; dans 12 jours à 10h")

    def poll_message() -> dict | None:
        found = [m for m in fake.room_messages(chambre) if m["u"]["username"] == BOT and "Sondage n°1" in m["msg"]]
        return found[0] if found else None

    await fake.wait_for(lambda: poll_message() is not None and len(reactions(fake, poll_message()["_id"])) == 3, timeout=10)
    msg = poll_message()
    mid = msg["_id"]
    assert "1️⃣" in msg["msg"] and "2️⃣" in msg["msg"] and "3️⃣" in msg["msg"]
    assert reactions(fake, mid) == {":one:": {"usernames": [BOT]}, ":two:": {"usernames": [BOT]},
                                    ":three:": {"usernames": [BOT]}}

    await fake.react(mid, "one", "bob", True)
    await fake.react(mid, "three", "bob", True)
    await fake.react(mid, "thumbsup", "carol", True)  # not an option: ignored
    await fake.react(mid, "two", "carol", True)
    await wait_until(lambda: has(app, {"bob": [1, 3], "carol": [2]}), 10, "the reactions were not counted")
    await fake.react(mid, "one", "bob", False)  # taken back
    await wait_until(lambda: has(app, {"bob": [3], "carol": [2]}), 10, "a reaction taken back still counts")

    await start_app.stop(app)  # type: ignore[attr-defined]
    await fake.react(mid, "two", "alice", True)  # while the bot is down: an answer given,
    await fake.react(mid, "three", "bob", False)  # and one taken back
    app = await start_app(fake)
    await wait_until(lambda: has(app, {"bob": [], "carol": [2], "alice": [2]}), 10, "what was done while down was lost")
    await fake.react(mid, "two", "bob", True)
    await fake.react(mid, "three", "bob", True)
    await wait_until(lambda: has(app, {"bob": [2, 3], "carol": [2], "alice": [2]}), 10, "the answer after the restart was lost")
    await settled(app, fake)
    # Counted once: the tally shows each person once; the bot's own reactions count for nothing.
    await fake.post_as("carol", chambre, "!sondage voir 1")
    await fake.wait_for(lambda: any("Sondage n°1 —" in m["msg"] for m in fake.room_messages(chambre)), timeout=10)
    (tally,) = [m["msg"] for m in fake.room_messages(chambre) if "Sondage n°1 —" in m["msg"]]
    assert "2 voix (carol, alice, bob)" not in tally and "3 voix" in tally and BOT not in tally
    # the bot put its reactions on once, and only on the poll
    react_calls = [c for c in fake.calls if c[1] == "chat.react"]
    assert len(react_calls) == 3
