"""The scheduler on its own: it sleeps until the next post, wakes when the records change,
posts what falls due during a jump of the clock on time and in order, and stops cleanly."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.scheduler.conftest import paris
from tests.support import wait_until


async def _until(chat, count: int) -> None:
    async def wait() -> None:
        while len(chat.posts) < count:
            chat.arrived.clear()
            await chat.arrived.wait()

    await asyncio.wait_for(wait(), timeout=5)


async def _asleep(h) -> None:
    """Until the scheduler sleeps on the clock (it has planned its next wake-up)."""
    await wait_until(lambda: h.clock.sleepers, message="the scheduler never went to sleep")


async def test_the_running_scheduler_wakes_on_a_change_and_posts_by_itself(harness):
    h = harness(paris(2027, 1, 11, 12, 0))  # a Monday; nothing due before the next day
    await h.start()
    await _asleep(h)  # until 13:00 at the latest (it looks again hourly)
    # a meeting tomorrow at 12:45 makes a reminder due today at 12:45, before anything planned
    await h.say("!réunion proposer le 12 janvier 2027 à 12h45 ; Imprévue ; MESHS")
    await h.say("!réunion confirmer 8")  # after the group's page's seven meetings to organise
    h.clock.set(paris(2027, 1, 11, 12, 50))  # no catch_up: the scheduler's own loop posts
    await _until(h.chat, 2)
    await h.app.drained("matrix")
    assert [p.kind for p in h.chat.posts] == ["reminder", "reminder"]  # one for each organiser
    assert all("Imprévue" in p.text for p in h.chat.posts)


async def test_a_jump_of_the_clock_posts_what_fell_due_on_time_in_order(harness):
    h = harness(paris(2027, 1, 11, 12, 0))
    await h.start()
    await h.say("!odj ajouter Bilan")
    await _asleep(h)
    h.clock.set(paris(2027, 1, 20, 12, 0))  # nine days at once, while running
    await _until(h.chat, 2)
    await h.settle()  # anything else due would be posted now, and all is sent: the count is final
    posts = h.chat.posts
    # digest Monday 18 at 09:00, then agenda Tuesday 19 at 18:00; on time, in due order
    assert [p.kind for p in posts] == ["digest", "agenda"]
    assert all("en retard" not in p.text for p in posts)
    # each speaks from its due instant, not from the instant it was sent
    assert posts[0].text.splitlines()[0] == "La semaine de la Chambre — lundi 18 janvier 2027, 09:00"
    assert "Bilan" in posts[1].text
    assert h.rows("SELECT name, due_at, outcome FROM posts ORDER BY due_at") == [
        ("digest/2027-01-18T09:00+01:00/!digest:example.org", "2027-01-18T08:00:00+00:00", "posted"),
        ("agenda/2027-01-21T18:00+01:00/!announce:example.org", "2027-01-19T17:00:00+00:00", "posted"),
    ]


async def test_stop_ends_the_loop(harness):
    h = harness(paris(2027, 1, 11, 12, 0))
    app = await h.start()
    task = next(t for t in app._tasks if t.get_name() == "scheduler")
    await _asleep(h)
    app.scheduler.stop()
    await asyncio.wait_for(task, timeout=2)
    assert task.done() and task.exception() is None
    h.clock.advance(timedelta(days=10))
    await app.drained("matrix")  # the loop is over: nothing was, or will be, queued
    assert h.chat.posts == [] and h.chat.received == 0
