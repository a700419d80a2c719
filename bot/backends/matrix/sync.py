"""Receiving: the sync loop, the gaps it fills, and what counts as a command.

- **Nothing lost.** The sync token is saved in BackendState only after every event of that
  sync was delivered. When a sync is `limited` (more happened than one response holds, e.g.
  while the bot was down), the gap is fetched back with /messages down to the previous sync
  position, so fifteen or five hundred commands typed while the bot was away are all
  handled. Commands older than `max_command_age` are logged and skipped (CommandAge).
- A delivery that raises leaves the token where it was: the same sync is handled again after
  the backoff, and the core drops what it already handled by event id.
- Only what a person typed is a message: `m.text`, not the bot's own, not notices (other
  bots); the quoted fallback of a reply is dropped from the text. An edit (`m.replace`) is
  an EDIT of its target with the new text (`m.new_content`), an `m.reaction` annotation a
  REACTION, a redaction a REMOVAL of the event it redacts (base.py); each is filtered into
  the sync and the gaps like messages, and comes with `is_direct` (the room is in m.direct).
- Encrypted rooms (crypto.py): each sync is shown to nio first (the room keys it brings), an
  encrypted event (a message, an edit, a reaction) is read in its decrypted form like any
  other, and one that cannot be decrypted yet is kept until its key comes.
"""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from nio import MessageDirection

from bot.backends.base import (EDIT, MESSAGE, POLL_ANSWER, REACTION, REMOVAL, BackendState, CommandAge, Deliver,
                               Incoming)
from bot.backends.matrix.crypto import Crypto, thread_root
from bot.backends.matrix.direct import DirectRooms
from bot.backends.matrix.lifecycle import Lifecycle, Stopped
from bot.backends.matrix.power import PowerLevels
from bot.backends.matrix.rooms import Rooms
from bot.backends.matrix.transport import MatrixError, Transport, Unavailable, api_path
from bot.backoff import Backoff

log = logging.getLogger(__name__)

NAME = "matrix"
# Only what the bot reads: messages and what happens to them (encrypted ones too), the state
# that says who is an organiser, and what encryption needs: whether a room is encrypted, and
# who is in it. (In an encrypted room, messages, edits and reactions come as m.room.encrypted;
# redactions never are.)
# Poll responses (MSC3381): the unstable type Element sends today, and the stable one.
POLL_RESPONSES = ("org.matrix.msc3381.poll.response", "m.poll.response")
_EVENT_TYPES = ["m.room.message", "m.reaction", "m.room.redaction", *POLL_RESPONSES]
_ENCRYPTION_TYPES = ["m.room.encryption", "m.room.member"]
_ROOM_EVENT_TYPES = [*_EVENT_TYPES, "m.room.encrypted", "m.room.power_levels", "m.room.create", *_ENCRYPTION_TYPES]
GAP_FILTER = {"types": [*_EVENT_TYPES, "m.room.encrypted"], "lazy_load_members": True}


def sync_filter(timeline_limit: int) -> str:
    return json.dumps(
        {
            "presence": {"types": []},
            "account_data": {"types": ["m.direct"]},
            "room": {
                # Every member, not lazily loaded: an encrypted room's key goes to each member's
                # devices, invited ones included (whom nio's joined_members would not list).
                "timeline": {"limit": timeline_limit, "types": _ROOM_EVENT_TYPES},
                "state": {"types": ["m.room.power_levels", "m.room.create", *_ENCRYPTION_TYPES]},
                "ephemeral": {"types": []},
                "account_data": {"types": []},
            },
        },
        separators=(",", ":"),
    )


class Sync:
    def __init__(self, transport: Transport, state: BackendState, life: Lifecycle, backoff: Backoff,
                 age: CommandAge, power: PowerLevels, rooms: Rooms, direct: DirectRooms, crypto: Crypto,
                 user_id: Callable[[], str], relogin: Callable[[], Awaitable[None]]) -> None:
        self.transport, self.state, self.life, self.backoff = transport, state, life, backoff
        self.age, self.power, self.rooms, self.direct, self.crypto = age, power, rooms, direct, crypto
        self._user_id, self._relogin = user_id, relogin
        # Tunables, set by the backend from its own (tests and the benchmark adjust those).
        self.timeout_ms = 30_000
        self.timeline_limit = 100
        self.gap_page_size = 100
        self.gap_max_pages = 200
        self.count = 0  # syncs handled, for tests and the benchmark
        self.synced_at: datetime | None = None  # the last sync the homeserver answered (the backend's status())

    async def _sync(self, since: str | None, timeout_ms: int, full_state: bool = False) -> dict[str, Any]:
        """One /sync as the homeserver's JSON (see transport.py). The first after a start asks
        for the full state of every room: nio learns which rooms are encrypted."""
        query = {"filter": sync_filter(self.timeline_limit), "timeout": str(timeout_ms), "set_presence": "offline"}
        if since:
            query["since"] = since
        if full_state:
            query["full_state"] = "true"
        return await self.transport.json("GET", api_path("sync"), query, timeout=timeout_ms / 1000 + 30)

    async def run(self, deliver: Deliver) -> None:
        since = await self.state.get("sync_token") or None
        self.backoff.succeeded()
        caught_up = False  # the first sync after start returns at once: catch up, then wait
        while not self.life.stopping.is_set():
            try:
                timeout = self.timeout_ms if caught_up else 0
                resp = await self.life.interruptible(self._sync(since, timeout, full_state=not caught_up))
                await self.crypto.receive(resp)
                await self._handle(resp, since, deliver)
                for room_id, ev in await self.crypto.late():
                    await self._deliver_event(room_id, ev, deliver)
                self.crypto.tell_later(deliver, thread_root)
            except Stopped:
                raise
            except Unavailable as e:
                delay = self.backoff.failed()
                log.warning("matrix: homeserver away (%s); retrying in %.1fs", e, delay)
                await self.life.sleep(delay)
                continue
            except MatrixError as e:
                if e.rate_limited:
                    await self.life.sleep(e.retry_after)
                elif e.errcode == "M_UNKNOWN_TOKEN":
                    log.warning("matrix: access token refused; logging in again")
                    await self._relogin()
                else:
                    delay = self.backoff.failed()
                    log.error("matrix: sync failed: %s; retrying in %.1fs", e, delay)
                    await self.life.sleep(delay)
                continue
            except Exception:
                delay = self.backoff.failed()
                log.exception("matrix: handling a sync failed; retrying it in %.1fs", delay)
                await self.life.sleep(delay)
                continue
            self.backoff.succeeded()
            if not caught_up:
                log.info("matrix: caught up (first sync after start)")
            caught_up = True
            self.synced_at = self.life.clock.now()
            since = resp["next_batch"]
            # One turn of the loop first: the outbox, woken by these deliveries, reaches the
            # database before this write and sends the replies without waiting for it.
            await asyncio.sleep(0)
            # Only now: every event of this sync was delivered.
            await self.state.set("sync_token", since)
            self.count += 1
            await self.crypto.maintain()

    async def _handle(self, resp: dict[str, Any], since: str | None, deliver: Deliver) -> None:
        for ev in (resp.get("account_data") or {}).get("events") or []:
            if ev.get("type") == "m.direct":
                self.direct.replace(ev.get("content") or {})
        rooms = resp.get("rooms") or {}
        for room_id in (rooms.get("leave") or {}):
            self.power.forget(room_id)
        for room_id, invite in (rooms.get("invite") or {}).items():
            await self.rooms.handle_invite(room_id, invite)
        for room_id, room in (rooms.get("join") or {}).items():
            for ev in (room.get("state") or {}).get("events") or []:
                self.power.note_state(room_id, ev)
            timeline = room.get("timeline") or {}
            events = list(timeline.get("events") or [])
            if timeline.get("limited") and timeline.get("prev_batch"):
                events = await self._fetch_gap(room_id, timeline["prev_batch"], since) + events
            seen: set[str] = set()
            for ev in events:
                event_id = ev.get("event_id")
                if not event_id or event_id in seen:
                    continue
                seen.add(event_id)
                if "state_key" in ev:
                    self.power.note_state(room_id, ev)
                    continue
                await self._deliver_event(room_id, ev, deliver)

    async def _deliver_event(self, room_id: str, ev: dict[str, Any], deliver: Deliver) -> None:
        if ev.get("sender") == self._user_id():
            return  # the bot's own
        if ev.get("type") == "m.room.encrypted":
            decrypted = await self.crypto.decrypt(room_id, ev)
            if decrypted is None:
                return  # kept until its key comes (crypto.late)
            ev = decrypted
        msg = await self._incoming(room_id, ev)
        if msg is not None:
            await deliver(msg)

    async def _fetch_gap(self, room_id: str, prev_batch: str, since: str | None) -> list[dict[str, Any]]:
        """The messages between the previous sync position (or the age limit) and this
        sync's timeline, oldest first."""
        client = self.transport.client
        cutoff_ms = self.age.cutoff().timestamp() * 1000
        chunks: list[dict[str, Any]] = []
        token = prev_batch
        for _ in range(self.gap_max_pages):
            r = await self.transport.call(client.room_messages(
                room_id, start=token, end=since, direction=MessageDirection.back,
                limit=self.gap_page_size, message_filter=GAP_FILTER,
            ))
            chunk = [e.source for e in r.chunk]
            chunks.extend(chunk)
            if not chunk or not r.end or r.end == token:
                break
            if chunk[-1].get("origin_server_ts", 0) < cutoff_ms:
                break
            token = r.end
        else:
            log.warning("matrix: gap in %s longer than %d pages; older messages skipped",
                        room_id, self.gap_max_pages)
        if chunks:
            log.info("matrix: fetched %d missed events in %s", len(chunks), room_id)
        chunks.reverse()
        return chunks

    async def _incoming(self, room_id: str, ev: dict[str, Any]) -> Incoming | None:
        kind, sender, event_id = ev.get("type"), ev.get("sender"), ev.get("event_id")
        if kind not in _EVENT_TYPES or not isinstance(sender, str) or sender == self._user_id():
            return None
        content = ev.get("content") or {}
        relates = content.get("m.relates_to") or {}
        sent_at = datetime.fromtimestamp(ev.get("origin_server_ts", 0) / 1000, tz=timezone.utc)
        if self.age.too_old(sent_at, str(event_id), sender, room_id):
            return None
        if kind in POLL_RESPONSES:
            choices = poll_choices(kind, content)
            target = relates.get("event_id")
            if choices is None or relates.get("rel_type") != "m.reference" or not isinstance(target, str):
                return None
            return Incoming(backend=NAME, room=room_id, sender=sender, text="", event_id=str(event_id), sent_at=sent_at,
                            is_direct=self.direct.is_direct(room_id), kind=POLL_ANSWER, target=target,
                            choices=tuple(choices))
        found = _what(kind, ev, content, relates)
        if found is None:
            return None
        what, text, target = found
        thread = relates.get("event_id") if what is None and relates.get("rel_type") == "m.thread" else None
        organiser = what in (None, REACTION) and await self.power.is_organiser(room_id, sender)
        return Incoming(
            backend=NAME,
            room=room_id,
            sender=sender,
            text=text,
            event_id=str(event_id),
            sent_at=sent_at,
            thread=thread,
            sender_is_organiser=organiser,
            is_direct=self.direct.is_direct(room_id),
            kind=what or MESSAGE,
            target=target,
        )


def poll_choices(kind: str, content: dict[str, Any]) -> list[str] | None:
    """The option ids a poll response chose (empty: none), or None when it is not one: the
    unstable `{"org.matrix.msc3381.poll.response": {"answers": [...]}}`, the stable
    `{"m.selections": [...]}`, and the stable type with the unstable shape some clients send."""
    block = content.get("org.matrix.msc3381.poll.response") or content.get("m.poll.response")
    answers = block.get("answers") if isinstance(block, dict) else content.get("m.selections")
    if not isinstance(answers, list):
        return None
    return [a for a in answers if isinstance(a, str)] if all(isinstance(a, str) for a in answers) else []


def _what(kind: str, ev: dict[str, Any], content: dict[str, Any],
          relates: dict[str, Any]) -> tuple[str | None, str, str | None] | None:
    """(kind, text, target) of an event the bot reads, the kind None for a message; None for
    anything else (a notice, an image, a redacted message, an annotation without its key)."""
    target = relates.get("event_id")
    if kind == "m.reaction":
        key = relates.get("key")
        if relates.get("rel_type") != "m.annotation" or not isinstance(key, str) or not isinstance(target, str):
            return None
        return REACTION, key, target
    if kind == "m.room.redaction":
        redacted = content.get("redacts") or ev.get("redacts")  # in the content from room version 11
        return (REMOVAL, "", redacted) if isinstance(redacted, str) else None
    if relates.get("rel_type") == "m.replace":
        new = content.get("m.new_content") or {}
        if new.get("msgtype") != "m.text" or not isinstance(new.get("body"), str) or not isinstance(target, str):
            return None
        return EDIT, new["body"], target
    if "m.new_content" in content or content.get("msgtype") != "m.text" or not isinstance(content.get("body"), str):
        return None
    text = content["body"]
    if "m.in_reply_to" in relates:
        text = strip_reply_fallback(text)
    return None, text, None


def strip_reply_fallback(body: str) -> str:
    """Drop the quoted '> <@someone> ...' lines older clients put before a reply."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    if i < len(lines) and lines[i] == "":
        i += 1
    return "\n".join(lines[i:])
