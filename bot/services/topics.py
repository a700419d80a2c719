"""Topics for the next session's agenda."""
from __future__ import annotations

from datetime import datetime

from bot.errors import Forbidden, NotFound, UserError
from bot.records import Topic
from bot.services import Actor
from storage.store import Store


def get(store: Store, n: int) -> Topic:
    topic = store.topic(n)
    if topic is None:
        raise NotFound("Pas de point n°{n}.", "No topic #{n}.", n=n)
    return topic


def open_topics(store: Store) -> list[Topic]:
    """The topics not yet done, by number: the next session's agenda."""
    return store.topics()


def add(store: Store, actor: Actor, now: datetime, text: str, room: str) -> Topic:
    topic = store.add_topic(text, actor.user, room, now)
    store.log("topic.added", topic.id, actor.user, now, text=text)
    return topic


def done(store: Store, actor: Actor, now: datetime, n: int) -> Topic:
    topic = get(store, n)
    if not (actor.is_organiser or actor.user == topic.added_by):
        raise Forbidden("Refusé : seuls les organisateurs et la personne qui l'a ajouté ({who}) peuvent clore le point n°{n}.",
                        "Refused: only organisers and the person who added it ({who}) may close topic #{n}.",
                        who=topic.added_by, n=n)
    if topic.done:
        raise UserError("Le point n°{n} est déjà traité.", "Topic #{n} is already done.", n=n)
    store.mark_topic_done(n, actor.user, now)
    store.log("topic.done", n, actor.user, now, text=topic.text)
    return get(store, n)
