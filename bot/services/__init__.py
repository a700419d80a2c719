"""The group's rules: who may do what, how records change, what gets journalled.
Services take a Store and plain values; they know neither the chat nor SQL."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user: str
    is_organiser: bool
