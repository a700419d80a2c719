"""The chat commands. Importing this package declares them all in `registry.REGISTRY`."""
from commands import bricks, general, meetings, permanences, rhythm, topics  # noqa: F401
