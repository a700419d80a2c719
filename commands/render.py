"""The renderers moved to `bot/render.py` (below both the commands and the automatic posts,
which import each other otherwise); the commands still import them from here until the
restructuring is finished."""
from bot.render import *  # noqa: F401,F403
