"""The servers groups actually run, 6.0 to 8.x (issue 18): each era's differences, on both
fakes: what chat.sendMessage accepts, where room roles come from, 8.0's error bodies, and a
stream that leaves out the undeclared second argument of `__my_messages__`."""
from __future__ import annotations

import logging
from collections import Counter

import pytest

from bot.backends.base import Outgoing
from bot.backends.rocketchat import RocketChatAuthError
from bot.richtext import Doc
from tests.rocketchat.conftest import BOT, Harness, make_config, populate, start_fake


def counts(h: Harness) -> Counter:
    return Counter(m.event_id for m in h.delivered)


def sends(fake) -> list[int]:
    return [status for method, endpoint, status in fake.calls if endpoint == "chat.sendMessage"]


@pytest.fixture
async def make_fake():
    servers = []

    async def make(kind: str = "faithful", era: str | None = None, **options):
        server = await start_fake(kind, era, **options)
        server.rooms_by_name = await populate(server)
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            await server.close()


# ---- logging in ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["7.10.0", "8.0.0"])
async def test_two_factor_gets_the_personal_token_hint_in_both_eras(make_fake, version):
    fake = await make_fake(version=version)
    fake.user(BOT).totp = True
    h = Harness(fake)
    with pytest.raises(RocketChatAuthError, match="personal access token"):
        await h.start()
    h.task = None


async def test_on_8_a_wrong_password_also_mentions_two_factor(make_fake):
    """8.0 says `unauthorized` for a wrong password and for two-factor alike: the message
    names both causes."""
    fake = await make_fake("faithful", "8.x")
    h = Harness(fake, config=make_config(fake.url, password="faux"))
    with pytest.raises(RocketChatAuthError) as caught:
        await h.start()
    h.task = None
    assert f"Rocket.Chat refused the password of {BOT}" in str(caught.value)
    assert "two-factor" in str(caught.value) and "personal access token" in str(caught.value)
