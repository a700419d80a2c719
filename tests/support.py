"""Small test doubles shared by the backend tests."""
from __future__ import annotations


class MemoryState:
    """BackendState in a dict; the real one lives in the bot's database (bot.app.DbState)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.data.get(key)

    async def set(self, key: str, value: str) -> None:
        self.data[key] = value
