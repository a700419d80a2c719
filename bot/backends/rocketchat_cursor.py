"""Where each Rocket.Chat room was handled up to: the catch-up cursor.

The server never replays what was said while the bot's socket was down; after each
(re)connect the bot asks each room for what changed since its mark (`chat.syncMessages`
with `lastUpdate`). This module keeps those marks, so that nothing is lost and nothing is
handled twice:

- A room's **mark** is the highest `_updatedAt` handled there. It moves only forward, and
  only once the message was delivered (`advance`, called after `deliver` returned); it
  reaches BackendState (key `hw:<room id>`) once per batch (`save`), not once per message.
- The catch-up asks from the mark minus an **overlap**, because `_updatedAt` values are not
  unique and a server writes them out of order by a few milliseconds. What the overlap
  brings back again is recognised by id: the ids handled within the overlap below the mark
  are stored with it, and put back in the **seen** store when the mark is read.
- The **seen** store (the newest SEEN_MAX ids, with their last edit time and the reactions
  they carried) tells a new message from an update of one handled before: the server sends
  the whole document again on every edit, reaction or thread reply, and what changed is
  told by comparing (an edit: a new `editedAt`; a reaction: a name gone or new).
- A room never handled has the **epoch** as its floor: the instant the bot first listened
  (BackendState key `epoch`). What was said before the bot existed is not for it.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from datetime import datetime, timedelta

from bot.backends.base import BackendState
from bot.backends.rocketchat_rest import iso, parse_date

SEEN_MAX = 20_000


Reactions = frozenset[tuple[str, str]]  # (emoji name, username)


class Seen:
    """Message ids handled, with their last edit time, the newest `limit` of them, and the
    reactions each carried when last seen (unknown after a restart: None)."""

    def __init__(self, limit: int = SEEN_MAX) -> None:
        self.limit = limit
        self._ids: OrderedDict[str, datetime | None] = OrderedDict()
        self._reactions: dict[str, Reactions] = {}

    def __contains__(self, mid: str) -> bool:
        return mid in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def edited_at(self, mid: str) -> datetime | None:
        return self._ids.get(mid)

    def remember(self, mid: str, edited_at: datetime | None, reactions: Reactions | None = None) -> None:
        """`mid` handled, edited at `edited_at`, carrying `reactions` (None: keep what was known)."""
        self._ids[mid] = edited_at
        self._ids.move_to_end(mid)
        if reactions is not None:
            self._reactions[mid] = reactions
        while len(self._ids) > self.limit:
            old, _ = self._ids.popitem(last=False)
            self._reactions.pop(old, None)

    def reactions(self, mid: str) -> Reactions | None:
        """The reactions `mid` carried when last seen, or None when not known."""
        return self._reactions.get(mid)

    def keep(self, mid: str) -> None:
        """Known as handled (from a stored mark), unless already known with an edit time."""
        self._ids.setdefault(mid, None)

    def forget(self, mid: str) -> None:
        """Not handled after all (its delivery failed): the next catch-up brings it back."""
        self._ids.pop(mid, None)
        self._reactions.pop(mid, None)


class Cursor:
    def __init__(self, state: BackendState, overlap: timedelta, seen_limit: int = SEEN_MAX) -> None:
        self.state = state
        self.overlap = overlap
        self.seen = Seen(seen_limit)
        self.epoch: datetime | None = None
        self._marks: dict[str, datetime] = {}
        self._recent: dict[str, dict[str, datetime]] = {}  # room -> ids handled within the overlap
        self._unsaved: set[str] = set()  # rooms whose mark moved since it was last stored

    async def start(self, now: datetime) -> None:
        """The epoch, read once; set to `now` on the very first start."""
        if self.epoch is not None:
            return
        stored = await self.state.get("epoch")
        self.epoch = parse_date(stored) if stored else None
        if self.epoch is None:
            self.epoch = now
            await self.state.set("epoch", iso(now))

    async def floor(self, rid: str) -> datetime:
        """The instant up to which this room was handled: its mark, or the epoch."""
        if rid not in self._marks:
            stored = await self.state.get(f"hw:{rid}")
            if stored:
                mark = json.loads(stored)
                at = parse_date(mark["at"])
                if at is not None:
                    self._marks[rid] = at
                recent = {mid: parse_date(when) for mid, when in (mark.get("recent") or {}).items()}
                self._recent[rid] = {mid: when for mid, when in recent.items() if when is not None}
                for mid in self._recent[rid]:
                    self.seen.keep(mid)
        mark = self._marks.get(rid) or self.epoch
        if mark is None:
            raise RuntimeError("Cursor.start() was not awaited")
        return mark

    def catch_up_from(self, floor: datetime) -> datetime:
        """What to ask the server for after a reconnect: changes since this instant."""
        return floor - self.overlap

    def before(self, sent_at: datetime, floor: datetime) -> bool:
        """A message sent before the room's floor (and its overlap): an update (reaction,
        edit, thread counter) of something handled before, not a new command."""
        return sent_at < floor - self.overlap

    async def advance(self, rid: str, mid: str, updated_at: datetime | None) -> None:
        """`mid` was handled (deliver returned): the mark may move; `save` stores it."""
        if updated_at is None:
            return
        await self.floor(rid)
        current = self._marks.get(rid)
        high = updated_at if current is None or updated_at > current else current
        recent = self._recent.setdefault(rid, {})
        recent[mid] = updated_at
        for old in [m for m, at in recent.items() if at < high - self.overlap]:
            del recent[old]
        self._marks[rid] = high
        self._unsaved.add(rid)

    async def save(self) -> None:
        """The marks that moved, to BackendState: at the end of a batch."""
        while self._unsaved:
            rid = self._unsaved.pop()
            recent = self._recent.get(rid, {})
            value = {"at": iso(self._marks[rid]), "recent": {m: iso(at) for m, at in recent.items()}}
            await self.state.set(f"hw:{rid}", json.dumps(value))
