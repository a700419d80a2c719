"""Date polls as the chats see them: what an answer given on a chat means (a Matrix poll
response, reactions on the poll's message on a chat without polls), what a poll's message
being edited or removed means, and the native poll a reply carries. The rules are the
service's (bot/services/polls.py); this is the seam between it and the chat events, as
bot/conversation.py is for listening. Called by the App inside its transaction."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bot.backends.base import EDIT, POLL_ANSWER, REACTION, REACTIONS, REMOVAL, Incoming
from bot.conversation import Said
from bot.records import Poll
from bot.render import number, tr
from bot.richtext import Doc
from bot.services import polls as svc
from storage.store import Store


def native(store: Store, poll_json: dict[str, Any] | None) -> str | None:
    """The outbox's `poll` column for a reply or post: a poll's end only once its own message
    has an id in the chat (else the end is a plain message)."""
    if not poll_json:
        return None
    if "end" in poll_json and store.poll_message_id(poll_json.get("poll", 0)) is None:
        return None
    return json.dumps(poll_json, ensure_ascii=False)


def reply_to(store: Store, poll_json: dict[str, Any] | None, default: str | None) -> str | None:
    """A poll's end answers the poll's own message; anything else, what it answers."""
    if poll_json and "end" in poll_json:
        return store.poll_message_id(poll_json.get("poll", 0)) or default
    return default


def add_option_reactions(store: Store, backend: str, message_id: str, now: datetime,
                         key: Callable[..., str]) -> None:
    """The bot's own 1️⃣ 2️⃣ … on a poll's message, so that members need only click."""
    poll = store.poll_by_message(backend, message_id)
    if poll is None:
        return
    for option in poll.options:
        store.enqueue(key("poll-option", backend, message_id, str(option.position)), backend, Doc().to_json(), now,
                      room=poll.room, reply_to=message_id, reaction=svc.keycap(option.position))


def _positions(poll: Poll, ids: tuple[str, ...]) -> list[int]:
    """The options a poll response names. As MSC3381 says, an answer naming an option the poll
    does not have is spoiled: as if nothing was chosen."""
    out: list[int] = []
    for option_id in ids:
        if not (isinstance(option_id, str) and option_id.isdigit() and 1 <= int(option_id) <= len(poll.options)):
            return []
        out.append(int(option_id))
    return out[:len(poll.options)]


def _by_reaction(store: Store, backend: str, message_id: str, person: str) -> list[int]:
    """A member's answer on a chat that answers by reactions: the option reactions they have
    on the poll's message now."""
    chosen = (svc.position_of(emoji) for emoji, who in store.reactions_on(backend, message_id) if who == person)
    return sorted({k for k in chosen if k is not None})


def _notice(poll: Poll, message_id: str, cause: str, fr: str, en: str, **values: object) -> list[Said]:
    lang = poll.lang
    text = tr(lang, fr, en).format(n=number(poll.id, lang), **values)
    return [Said(cause=cause, target=message_id, thread=message_id, body=Doc.text(text))]


def _closed(poll: Poll, message_id: str, msg: Incoming) -> list[Said]:
    return _notice(poll, message_id, msg.event_id, "Le sondage {n} est clos : la réponse de {who} n'est pas comptée.",
                   "Poll {n} is closed: {who}'s answer is not counted.", who=msg.sender)


def followed(store: Store, msg: Incoming, now: datetime, prefix: str = "!") -> list[Said] | None:
    """An event about a poll (an answer, or something done to the poll's message): what the
    bot says about it, or None when it was handled before."""
    if msg.kind == REACTION:
        target = msg.target or ""
        # A reaction is handled once while it stands: the reactions table is its mark.
        if not store.add_reaction(msg.backend, msg.room, target, msg.text, msg.sender, msg.event_id, now):
            return None
        poll = store.poll_by_message(msg.backend, target)
        if poll is None or svc.position_of(msg.text) is None:
            return []  # any other reaction on a poll is just a reaction
        if not svc.answer_from_chat(store, poll, msg.sender, msg.sent_at,
                                    _by_reaction(store, msg.backend, target, msg.sender), "reaction"):
            return _closed(poll, target, msg) if poll.status != "open" or msg.sent_at > poll.closes_at else []
        return []
    if store.was_handled(msg.backend, msg.event_id):
        return None
    store.mark_handled(msg.backend, msg.event_id, now)
    if msg.kind == REACTIONS:
        # The reactions a message carries now: those the core knew that are gone were taken
        # back while the bot was away (on a poll: answers changed).
        target = msg.target or ""
        standing = {(emoji, person) for emoji, person in json.loads(msg.text or "[]")}
        gone = [(emoji, person) for emoji, person in store.reactions_on(msg.backend, target)
                if (emoji, person) not in standing]
        for emoji, person in gone:
            store.drop_reaction(msg.backend, target, emoji, person)
        poll = store.poll_by_message(msg.backend, target)
        if poll is not None:
            for person in sorted({person for emoji, person in gone if svc.position_of(emoji) is not None}):
                svc.answer_from_chat(store, poll, person, msg.sent_at, _by_reaction(store, msg.backend, target, person),
                                     "reaction")
        return []
    if msg.kind == POLL_ANSWER:
        poll = store.poll_by_message(msg.backend, msg.target or "")
        if poll is None:
            return []  # someone else's poll
        if not svc.answer_from_chat(store, poll, msg.sender, msg.sent_at, _positions(poll, msg.choices), "poll",
                                    msg.event_id):
            return _closed(poll, msg.target or "", msg) if poll.status != "open" or msg.sent_at > poll.closes_at else []
        return []
    if msg.kind == REMOVAL:
        taken = store.take_reaction(msg.backend, msg.target or "")
        if taken is not None:  # a reaction taken back
            target, emoji, person = taken
            poll = store.poll_by_message(msg.backend, target)
            if poll is not None and svc.position_of(emoji) is not None:
                svc.answer_from_chat(store, poll, person, msg.sent_at, _by_reaction(store, msg.backend, target, person),
                                     "reaction")
            return []
        answered = store.poll_answer_poll(msg.backend, msg.target or "")
        if answered is not None:  # a poll response redacted
            svc.take_back(store, answered, msg.target or "")
            return []
        return _poll_message_touched(store, msg, prefix,
                                     "Le message du sondage {n} a été supprimé ; le sondage continue : {c} donne le décompte.",
                                     "The message of poll {n} was removed; the poll goes on: {c} shows the tally.")
    if msg.kind == EDIT:
        return _poll_message_touched(store, msg, prefix,
                                     "Le sondage {n} ne change pas quand son message est modifié : {c} donne le décompte.",
                                     "Poll {n} does not change when its message is edited: {c} shows the tally.")
    return []


def _poll_message_touched(store: Store, msg: Incoming, prefix: str, fr: str, en: str) -> list[Said]:
    """The poll's own message edited or removed by someone: the poll is unchanged, say where
    its tally is (nothing when the message is no poll's)."""
    poll = store.poll_by_message(msg.backend, msg.target or "")
    if poll is None:
        return []
    return _notice(poll, msg.target or "", msg.event_id, fr, en,
                   c=f"{prefix}{tr(poll.lang, 'sondage voir', 'poll show')} {poll.id}")


def close_due(store: Store, now: datetime, tz: ZoneInfo, prefix: str, key: Callable[..., str],
              started_at: datetime | None = None) -> set[str]:
    """Close every open poll whose deadline has come (svc.due), each with its result posted in
    its room (in the caller's transaction, under a key derived from the poll: once). The
    backends that have something to send."""
    backends: set[str] = set()
    for poll in svc.due(store, now, started_at):
        closed = svc.close(store, None, now, poll.id)
        enqueue_result(store, closed, now, tz, prefix, key)
        backends.add(poll.backend)
    return backends


def enqueue_result(store: Store, closed: svc.Closed, now: datetime, tz: ZoneInfo, prefix: str,
                   key: Callable[..., str]) -> None:
    from bot.services import poll_posts

    poll = closed.poll
    end = {**poll_posts.native_end(closed, poll.lang, tz), "poll": poll.id}
    body = poll_posts.result_doc(closed, poll.lang, tz, prefix)
    store.enqueue(key("poll-result", str(poll.id), poll.status), poll.backend, body.to_json(), now, room=poll.room,
                  reply_to=reply_to(store, end, None), poll=native(store, end))
