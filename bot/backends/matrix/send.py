"""Sending: what a reply looks like as a Matrix event, its size as the homeserver counts it,
and what a failed send means for the outbox (base.py: Refused or RetryLater).

Replies are `m.notice` (other bots do not answer them), ping nobody (`m.mentions: {}`),
point to the command they answer, and keep its thread. A reply in the thread of the very
message it is about (listening's) is a plain thread message, as Element sends one. A
reaction is an `m.reaction` annotation on `reply_to`. Each is sent with transaction id =
`Outgoing.send_key`: Synapse deduplicates transaction ids per device, so a resend after a
crash posts nothing new; a reaction already there (M_DUPLICATE_ANNOTATION) counts as sent.
"""
from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from nio.exceptions import GroupEncryptionError, LocalProtocolError, OlmTrustError

from bot.backends.base import Outgoing, Refused, RetryLater
from bot.backends.matrix.crypto import Crypto
from bot.backends.matrix.direct import DirectRooms
from bot.backends.matrix.rooms import Rooms
from bot.backends.matrix.transport import MatrixError, Transport, Unavailable

log = logging.getLogger(__name__)

# A homeserver refuses an event whose canonical JSON exceeds 65,536 bytes (413 M_TOO_LARGE,
# the spec's size limit). That counts the envelope the server adds around our content: room
# and sender ids (up to 255 bytes each), hashes, signatures, up to ten prev events and the
# auth events, a few KiB in all (more with the longer event ids of room versions 1 and 2).
MAX_EVENT_BYTES = 65_536
ENVELOPE_RESERVE = 8_192
MAX_CONTENT_BYTES = MAX_EVENT_BYTES - ENVELOPE_RESERVE


def content_size(content: dict[str, Any]) -> int:
    """The content's size as the homeserver counts it: canonical JSON (no spaces, UTF-8)."""
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def content(out: Outgoing) -> dict[str, Any]:
    body: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": out.body.plain(),
        "format": "org.matrix.custom.html",
        "formatted_body": out.body.html(),
        "m.mentions": {},  # intentional mentions: this message pings nobody
    }
    relates: dict[str, Any] = {}
    if out.thread:
        # A reply to the thread's root itself is the thread's fallback, not a quote of it.
        falling_back = out.reply_to is None or out.reply_to == out.thread
        relates = {"rel_type": "m.thread", "event_id": out.thread, "is_falling_back": falling_back}
        relates["m.in_reply_to"] = {"event_id": out.reply_to or out.thread}
    elif out.reply_to:
        relates = {"m.in_reply_to": {"event_id": out.reply_to}}
    if relates:
        body["m.relates_to"] = relates
    return body


def permalink(room_id: str, event_id: str) -> str:
    """A matrix.to link to an event; `via` the room's server, so that a client outside the
    room can find it."""
    server = room_id.split(":", 1)[1] if ":" in room_id else ""
    link = f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$:')}"
    return f"{link}?via={quote(server, safe='')}" if server else link


def reaction_content(out: Outgoing) -> dict[str, Any]:
    """An annotation: the emoji on the event it reacts to."""
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": out.reply_to, "key": out.reaction}}


# MSC3381 polls, as Element and matrix-js-sdk send them today: the unstable event types and
# content keys, the text fallback under MSC1767's unstable key.
POLL_START = "org.matrix.msc3381.poll.start"
POLL_END = "org.matrix.msc3381.poll.end"
POLL_DISCLOSED = "org.matrix.msc3381.poll.disclosed"
TEXT = "org.matrix.msc1767.text"


def poll_start_content(out: Outgoing) -> dict[str, Any]:
    """A disclosed poll (members see the counts while it runs, as `!sondage voir` shows them)
    where each may choose every option; the fallback lists the options, numbered."""
    start = (out.poll or {})["start"]
    question, answers = start["question"], start["answers"]
    fallback = "\n".join([question, *(f"{k}. {a['text']}" for k, a in enumerate(answers, 1))])
    return {
        POLL_START: {
            "question": {TEXT: question, "body": question, "msgtype": "m.text"},
            "kind": POLL_DISCLOSED,
            "max_selections": start.get("max_selections", len(answers)),
            "answers": [{"id": a["id"], TEXT: a["text"]} for a in answers],
        },
        TEXT: fallback,
    }


def poll_end_content(out: Outgoing) -> dict[str, Any]:
    """The poll's end, a reference to its start, with the whole result (each option's count,
    the date chosen) as its text: Element shows it under the closed poll, a client without
    polls shows the text."""
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": out.reply_to},
        POLL_END: {},
        TEXT: out.body.plain(),
    }


def event_of(out: Outgoing) -> tuple[str, dict[str, Any]]:
    """The event type and content `out` is sent as."""
    if out.reaction is not None:
        if not out.reply_to:
            raise Refused(f"reaction {out.send_key} names no event to react to")
        return "m.reaction", reaction_content(out)
    if out.poll and "start" in out.poll:
        return POLL_START, poll_start_content(out)
    if out.poll and "end" in out.poll and out.reply_to:
        return POLL_END, poll_end_content(out)
    return "m.room.message", content(out)


def fits(out: Outgoing) -> bool:
    """Plain and HTML bodies together, with the reply relation, within one event."""
    return content_size(content(out)) <= MAX_CONTENT_BYTES


def classify(e: MatrixError | Unavailable) -> RetryLater | Refused:
    """What a failed send means: try again later, or never."""
    if isinstance(e, Unavailable):
        return RetryLater(f"matrix: homeserver away: {e}")
    if e.rate_limited:
        return RetryLater(f"matrix: rate limited: {e}", delay=e.retry_after)
    if e.status >= 500 or e.errcode == "M_UNKNOWN_TOKEN":
        # The server's trouble, or a token the sync loop is replacing: not this message's.
        return RetryLater(f"matrix: {e}")
    # Forbidden (after a join or a new DM was tried), too large, no such room or alias.
    return Refused(f"matrix: {e}")


class Sender:
    def __init__(self, transport: Transport, rooms: Rooms, direct: DirectRooms, crypto: Crypto) -> None:
        self.transport, self.rooms, self.direct, self.crypto = transport, rooms, direct, crypto

    async def send(self, out: Outgoing) -> str | None:
        """Post `out`; its event id. Raise RetryLater or Refused."""
        if not self.transport.logged_in:
            raise RetryLater("matrix: not connected")
        try:
            return await self._send(out, retried=False)
        except (MatrixError, Unavailable) as e:
            raise classify(e) from None
        except (LocalProtocolError, OlmTrustError, GroupEncryptionError) as e:
            # nio could not encrypt now (a device appeared between the trust check and the
            # share): the next try checks again.
            raise RetryLater(f"matrix: not encrypted yet: {e}") from None

    async def _send(self, out: Outgoing, retried: bool) -> str | None:
        room_id = await self._target(out)
        event_type, body = event_of(out)
        try:
            # In an encrypted room: the room key shared with the members' devices first, then
            # the message encrypted (nio's room_send; nio sends reactions in the clear); in a
            # plain room, a plain event.
            unverified_too = await self.crypto.prepare(room_id, self.rooms.join)
            resp = await self.transport.call(self.transport.client.room_send(
                room_id, event_type, body, tx_id=out.send_key, ignore_unverified_devices=unverified_too))
            return getattr(resp, "event_id", None)
        except MatrixError as e:
            if e.errcode == "M_DUPLICATE_ANNOTATION":
                return None  # the bot's reaction is already on that event
            if e.status != 403 or retried:
                raise
            # Not (or no longer) in that room: a DM the person left, an announce room not
            # joined yet. Join or make a new DM, then try once more.
            if out.dm_user:
                await self.direct.forget(out.dm_user, room_id)
            else:
                await self.rooms.join(room_id)
            return await self._send(out, retried=True)

    async def _target(self, out: Outgoing) -> str:
        if out.dm_user:
            return await self.direct.room_for(out.dm_user)
        if not out.room:
            raise Refused(f"outgoing message {out.send_key} has neither room nor dm_user")
        return await self.rooms.room_id(out.room)
