"""The group's board on the web and its calendar feed (issue 11): `WebServer` serves them
from the bot's database, beside the chats (`chambre-bot run`) or alone (`chambre-bot serve`).

- `server.py`: the aiohttp application: routes, who may see what, ETags and 304s, /healthz;
- `views.py`: what each page shows, read through the services and the store's named queries;
- `templates/`: the pages (Jinja2, autoescaped), working without JavaScript.

The feed itself is the calendar export (bot/export.py): one writer for both.
"""
from bot.web.server import ListenError, WebServer

__all__ = ["ListenError", "WebServer"]
