"""`[rhythm] rule` is read once, when the bot opens its database, and kept: "un jeudi sur deux"
keeps its weeks whenever the bot restarts. Reading the rhythm never writes it."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.services import Actor
from bot.services import rhythm
from bot.when import read_recurrence
from storage.db import connect
from storage.store import Store
from tests.scheduler.conftest import ANNOUNCE, make_config, paris

EVERY_OTHER_THURSDAY = "un jeudi sur deux à 18h"  # no first day: its weeks depend on the day it is read


def reply(h) -> str:
    """The bot's last answer to a command."""
    return [shown for shown in h.chat.shown if shown.reply_to][-1].text


async def test_the_rule_is_stored_at_start_and_keeps_its_weeks(harness):
    h = harness(paris(2027, 1, 4, 9, 0), make_config(rule=EVERY_OTHER_THURSDAY))  # a Monday
    await h.start()
    stored = h.rows("SELECT text, set_by, dtstart FROM rhythm")
    assert [(text, by) for text, by, _ in stored] == [(EVERY_OTHER_THURSDAY, "configuration")]
    await h.say("!rythme")
    assert "Prochaine séance : jeudi 7 janvier 2027, 18:00" in reply(h)
    await h.stop()

    h.clock.set(paris(2027, 1, 11, 9, 0))  # a week later, read again it would pick the other weeks
    await h.start()
    assert h.rows("SELECT text, set_by, dtstart FROM rhythm") == stored
    await h.say("!rythme")
    # the weeks of the 7th (read afresh on the 11th, it would be the 14th)
    assert "Prochaine séance : jeudi 21 janvier 2027, 18:00" in reply(h)


async def test_a_rhythm_set_in_chat_wins_over_the_configuration(harness):
    h = harness(paris(2027, 1, 4, 9, 0), make_config(rule=EVERY_OTHER_THURSDAY))
    await h.start()
    await h.say("!rythme régler tous les mardis à 19h ; Tiers-lieu", room=ANNOUNCE)
    await h.stop()
    await h.start()
    assert [row[0] for row in h.rows("SELECT text FROM rhythm")] != [EVERY_OTHER_THURSDAY]
    await h.say("!rythme")
    assert "mardi" in reply(h) and "Tiers-lieu" in reply(h)


def test_reading_the_rhythm_writes_nothing(tmp_path: Path):
    db = connect(tmp_path / "r.db")
    store, config, now = Store(db), make_config(rule=EVERY_OTHER_THURSDAY), paris(2027, 1, 4, 9, 0)
    try:
        with db.atomic():
            assert rhythm.current(store, config) is None  # not adopted yet: nothing is made up
        assert store.rhythm() is None
        with db.atomic():
            rhythm.adopt_configured(store, config, now)
        adopted = rhythm.current(store, config)
        assert adopted is not None and adopted.text == EVERY_OTHER_THURSDAY
        with db.atomic():  # a second adoption, a week later, keeps the weeks
            rhythm.adopt_configured(store, config, now + timedelta(days=7))
        assert rhythm.current(store, config) == adopted
        with db.atomic():  # a changed rule is read again
            rhythm.adopt_configured(store, make_config(rule="tous les lundis à 18h"), now)
        assert rhythm.current(store, make_config(rule="tous les lundis à 18h")).text == "tous les lundis à 18h"
        with db.atomic():  # and one set in chat is kept whatever the configuration says
            rhythm.set_rhythm(store, Actor("alice", True), now, read_recurrence("tous les mardis à 19h", now), "mardis", None)
            rhythm.adopt_configured(store, config, now)
        assert rhythm.current(store, config).set_by == "alice"
    finally:
        db.close()
