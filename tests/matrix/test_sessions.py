"""The same session on the real Synapse the suite starts: people type in nio clients, the bot
(the whole App) keeps the minutes, and posts them in the room at close."""
from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import App
from bot.config import ChambreConfig, Config, MatrixConfig
from tests.matrix.conftest import crypto_settings
from tests.support import wait_until


def body(event: dict) -> str:
    return event["content"]["body"]


async def test_a_whole_session_on_matrix(people, bot_account, running_synapse, tmp_path: Path):
    alice, bob = await people("alice"), await people("bob")
    room = await alice.create_room(invite=[bot_account.user_id, bob.user_id])  # alice: power 100, an organiser
    await bob.join(room)
    config = Config(chambre=ChambreConfig(database=str(tmp_path / "chambre.db"), language="fr"),
                    matrix=MatrixConfig(homeserver=running_synapse.url, user_id=bot_account.user_id,
                                        password=bot_account.password, rooms=[room], **crypto_settings(tmp_path)))
    app = App(config)
    await app.start()
    try:
        await wait_until(lambda: app.backends["matrix"].sync_count, 30, "the bot never synced")
        said: list[str] = []

        async def say(person, text: str) -> str:
            event_id = await person.say(room, text)
            said.append(event_id)
            if text.startswith("!"):  # one at a time, in order: each command's effect before the next is typed
                await person.wait_replies(room, bot_account.user_id, [event_id])
            return event_id

        for topic in ("Salle pour janvier", "Budget 2027", "Compost partagé"):
            await say(alice, f"!odj ajouter {topic}")
        opened = await say(alice, "!séance ouvrir")
        await say(bob, "Bonsoir à tous")  # not a command: bob is present for having spoken
        await wait_until(lambda: app.db.run(lambda db: db.execute(
            "SELECT count(*) FROM session_presence").fetchone()[0] == 2), 20, "bob's message never arrived")
        await say(alice, "!point suivant")
        await say(alice, "!info La MESHS est libre le 12")
        refused = await say(bob, "!point suivant")
        await say(bob, "!info Le tiers-lieu aussi <b>@room</b>")
        await say(bob, "!action moi ; demander le devis ; vendredi")
        await say(alice, "!point suivant")
        await say(alice, "!info Il reste 300 €")
        await say(alice, "!décision brique 2 ; On lance la recette")
        await say(alice, "!point suivant")
        await say(alice, "!info Un bac au jardin")
        await say(alice, f"!action {bob.user_id} ; écrire au jardin")
        closed = await say(alice, "!séance clore")
        await asyncio.wait_for(app.drained("matrix"), timeout=30)
        replies = await alice.replies(room, bot_account.user_id)
    finally:
        await app.stop()

    assert "Séance n°1 ouverte" in body(replies[opened][0]) and "n°3 Compost partagé" in body(replies[opened][0])
    assert body(replies[refused][0]).startswith("Refusé : seuls les organisateurs et la personne qui préside la séance")
    [minutes] = replies[closed]
    text = body(minutes)
    assert text.startswith("Compte rendu — Séance du ")
    assert f"Présents (2) : {alice.user_id}, {bob.user_id}" in text
    assert (f"Point n°1 — Salle pour janvier\n• Info : La MESHS est libre le 12 — {alice.user_id}\n"
            f"• Info : Le tiers-lieu aussi <b>@\u2060room</b> — {bob.user_id}\n"
            f"• Action n°1 : demander le devis — pour {bob.user_id} — échéance : ") in text
    assert f"• Décision : On lance la recette — {alice.user_id} — brique n°2 Services financiers pour les communs" in text
    assert f"Point n°3 — Compost partagé\n• Info : Un bac au jardin — {alice.user_id}\n" \
           f"• Action n°2 : écrire au jardin — pour {bob.user_id}" in text
    content = minutes["content"]
    assert "&lt;b&gt;" in content["formatted_body"] and "<b>@" not in content["formatted_body"]
    assert content["m.mentions"] == {} and content["msgtype"] == "m.notice"
    # every command answered once
    assert all(len(replies[e]) == 1 for e in said if e in replies)
