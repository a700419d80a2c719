"""The chat commands. Importing this package declares them all in `registry.REGISTRY`;
the import order is the order of `!aide`."""
from commands.registry import REGISTRY  # noqa: F401
from commands import general, meetings, permanences, bricks, topics, rhythm, sessions, pledges, listening, polls  # noqa: F401  isort:skip
