"""The chat commands. Importing this package declares them all in `registry.REGISTRY`;
the import order is the order of `!aide`."""
from commands.registry import REGISTRY as REGISTRY  # noqa: F401  (re-exported, for commands.reference)
from commands import general, meetings, permanences, bricks, topics, rhythm, sessions, pledges, listening, polls  # noqa: F401  isort:skip
