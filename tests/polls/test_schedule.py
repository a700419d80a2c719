"""The close at the deadline by the scheduler, on the bot's clock: on time while the bot runs,
once whatever restarts; and when the deadline passed while the bot was down, only after the
chats had time to catch up, so that an answer given before the deadline and delivered late
still counts (and one given after it does not)."""
from __future__ import annotations

from datetime import timedelta

from bot.backends.base import Incoming
from bot.services.polls import CATCH_UP_GRACE
from tests.scheduler.conftest import paris


def results(h) -> list[str]:
    return [s.text for s in h.chat.shown if "Sondage n°1 clos" in s.text]


async def late_vote(h, sender: str, text: str, sent_at) -> str:
    """A command typed at `sent_at`, delivered now (the chat catching up); the reply."""
    await h.app.deliver(Incoming(backend="matrix", room="!annonces", sender=sender, text=text,
                                 event_id=f"$late-{sender}", sent_at=sent_at))
    await h.app.drained("matrix")
    return next(s.text for s in reversed(h.chat.shown) if s.reply_to == f"$late-{sender}")


async def test_on_time_and_once(harness):
    h = harness(paris(2026, 12, 1, 10))
    await h.start()
    await h.say("!sondage 1 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h")
    await h.say("!vote 1 2", sender="@bob:x")
    await h.run_until(paris(2026, 12, 4, 9, 59), step=timedelta(hours=6))
    assert results(h) == []
    await h.run_until(paris(2026, 12, 4, 10, 0))
    (result,) = results(h)
    assert "vendredi 11 décembre 2026, 18:00" in result
    (shown,) = [s for s in h.chat.shown if "Sondage n°1 clos" in s.text]
    assert shown.at == paris(2026, 12, 4, 10, 0)  # on time
    await h.stop()
    await h.start()
    await h.run_until(paris(2026, 12, 5, 10, 0), step=timedelta(hours=6))
    assert len(results(h)) == 1


async def test_a_deadline_passed_while_down_waits_for_the_catch_up(harness):
    h = harness(paris(2026, 12, 1, 10))
    await h.start()
    await h.say("!sondage 1 ; jeudi 10 décembre 18h ; vendredi 11 décembre 18h")
    await h.say("!vote 1 1", sender="@bob:x")
    await h.stop()
    h.clock.set(paris(2026, 12, 4, 12, 0))  # the deadline (4 December, 10:00) passed while down
    await h.start()
    await h.settle()
    assert results(h) == []
    assert "Noté pour le sondage n°1" in await late_vote(h, "@carol:x", "!vote 1 1 2", paris(2026, 12, 4, 9, 0))
    assert "est clos" in await late_vote(h, "@dan:x", "!vote 1 2", paris(2026, 12, 4, 11, 0))
    h.clock.advance(CATCH_UP_GRACE)
    await h.settle()
    (result,) = results(h)
    assert "Sondage n°1 clos (2 réponses)" in result and "jeudi 10 décembre 2026, 18:00 — 2 voix" in result
