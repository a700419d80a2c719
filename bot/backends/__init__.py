"""Chat backends (console, Matrix, Rocket.Chat) behind one small interface: see base.py.

`configured` builds the chat backends a configuration names, so that the core never names a
chat; the console is built by the command line, which chooses it."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from bot.backends.base import Backend, BackendState
from bot.clock import Clock

if TYPE_CHECKING:
    from bot.config import Config


def configured(config: Config, state_for: Callable[[str], BackendState], clock: Clock) -> list[Backend]:
    """One backend per chat section of the configuration ([matrix], [rocketchat]), each with
    its state in the bot's database. Imported only when configured: nio is slow to load."""
    backends: list[Backend] = []
    if config.matrix is not None:
        from bot.backends.matrix import MatrixBackend

        backends.append(MatrixBackend(config.matrix, state_for("matrix"), clock))
    if config.rocketchat is not None:
        from bot.backends.rocketchat import RocketChatBackend

        backends.append(RocketChatBackend(config.rocketchat, state_for("rocketchat"), clock))
    return backends
