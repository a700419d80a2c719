"""The Rocket.Chat catch-up cursor on its own (bot/backends/rocketchat_cursor.py): where each
room was handled up to, stored once per batch, resumed after a restart, and what the
catch-up's overlap brings back again recognised as already handled."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bot.backends.rocketchat_cursor import Cursor, Seen
from tests.support import MemoryState

EPOCH = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
OVERLAP = timedelta(seconds=5)


def at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


class CountingState(MemoryState):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    async def set(self, key: str, value: str) -> None:
        self.writes.append(key)
        await super().set(key, value)


async def test_a_room_never_handled_starts_at_the_epoch_set_on_the_very_first_start():
    state = MemoryState()
    first = Cursor(state, OVERLAP)
    await first.start(EPOCH)
    assert await first.floor("room") == EPOCH
    assert first.catch_up_from(EPOCH) == EPOCH - OVERLAP
    later = Cursor(state, OVERLAP)
    await later.start(at(3600))  # a restart an hour later keeps the first epoch
    assert later.epoch == EPOCH and await later.floor("other") == EPOCH


async def test_the_floor_needs_a_start():
    with pytest.raises(RuntimeError):
        await Cursor(MemoryState(), OVERLAP).floor("room")


async def test_the_mark_only_moves_forward_and_keeps_the_ids_within_the_overlap():
    cursor = Cursor(MemoryState(), OVERLAP)
    await cursor.start(EPOCH)
    await cursor.advance("room", "a", at(10))
    await cursor.advance("room", "b", at(20))
    await cursor.advance("room", "late", at(17))  # an update written out of order
    await cursor.advance("room", "none", None)  # no _updatedAt: nothing to learn
    assert await cursor.floor("room") == at(20)
    await cursor.save()
    stored = json.loads(cursor.state.data["hw:room"])  # type: ignore[attr-defined]
    assert stored["at"] == "2026-12-01T09:00:20.000Z"
    assert sorted(stored["recent"]) == ["b", "late"]  # "a" is more than the overlap below the mark


async def test_marks_are_stored_once_per_batch_and_only_for_rooms_that_moved():
    state = CountingState()
    cursor = Cursor(state, OVERLAP)
    await cursor.start(EPOCH)
    for i in range(50):
        await cursor.advance("busy", f"m{i}", at(i))
    await cursor.floor("quiet")
    assert state.writes == ["epoch"]
    await cursor.save()
    await cursor.save()
    assert state.writes == ["epoch", "hw:busy"]


async def test_a_restart_resumes_from_the_mark_and_knows_what_the_overlap_brings_back():
    state = MemoryState()
    before = Cursor(state, OVERLAP)
    await before.start(EPOCH)
    for mid, second in (("old", 1), ("x", 58), ("y", 60)):
        before.seen.remember(mid, None)
        await before.advance("room", mid, at(second))
    await before.save()

    after = Cursor(state, OVERLAP)
    await after.start(at(7200))
    floor = await after.floor("room")
    assert floor == at(60)
    # The catch-up asks from 55 s: "x" and "y" come back and are known, "old" does not come back.
    assert after.catch_up_from(floor) == at(55)
    assert "x" in after.seen and "y" in after.seen and "old" not in after.seen
    # A message from before the floor and its overlap is an update (an edit, a reaction) of
    # something handled before; one within the overlap is judged by its id instead.
    assert after.before(at(54), floor) and not after.before(at(56), floor)


def test_the_seen_store_keeps_the_newest_ids_and_their_edit_time():
    seen = Seen(limit=3)
    for mid in ("a", "b", "c"):
        seen.remember(mid, None)
    seen.remember("a", at(1))  # seen again (edited): now the newest
    seen.remember("d", None)
    assert "b" not in seen and len(seen) == 3
    assert seen.edited_at("a") == at(1)
    seen.keep("a")  # a stored mark does not erase a known edit time
    assert seen.edited_at("a") == at(1)
    seen.forget("a")
    assert "a" not in seen
