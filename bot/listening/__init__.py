"""Listening: the meetings and permanences proposed in plain conversation ("On se retrouve
jeudi 18h à la MESHS ?"). `notice` decides, for one message, what it proposes; it knows
neither the chat nor the database. See docs/listening.md."""
from __future__ import annotations

from .notice import MeetingProposal, PermanenceProposal, Proposal, notice

__all__ = ["notice", "Proposal", "MeetingProposal", "PermanenceProposal"]
