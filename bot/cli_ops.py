"""The operator's subcommands: `init` (a first configuration), `backup` and `restore`.

Each does its work in bot/init_config.py or storage/backup.py and says what it did in a few
lines; a refusal is one sentence on stderr with exit status 1 (a wrong configuration: 2, as
for every command)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from bot.config import Config

# bot/cli.py's configuration loader (a given file, else ./config.toml, else the default; a
# wrong one said and exit status 2), passed in rather than imported: cli imports this module.
Loader = Callable[..., Config]


def add_operator_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser], load: Loader) -> None:
    init = sub.add_parser("init", help="write a first config.toml (and secrets.env), from questions or flags")
    init.add_argument("--dir", default=".", help="the folder to write config.toml in (default: this one)")
    init.add_argument("--timezone", help="the group's time zone, such as Europe/Paris")
    init.add_argument("--language", help="fr or en")
    init.add_argument("--database", help="the database file (default: chambre.db beside config.toml)")
    init.add_argument("--matrix-homeserver", metavar="URL")
    init.add_argument("--matrix-user", metavar="USER_ID", help="the bot's Matrix user id, such as @chambre:example.org")
    init.add_argument("--matrix-room", metavar="ROOM", action="append", default=[],
                      help="a room id or alias it listens in (repeat for more)")
    init.add_argument("--rocketchat-url", metavar="URL")
    init.add_argument("--rocketchat-user-id", metavar="ID", help="the bot's user id, to log in with a personal access token")
    init.add_argument("--rocketchat-username", metavar="NAME", help="the bot's username, to log in with a password")
    init.add_argument("--rocketchat-channel", metavar="NAME", action="append", default=[],
                      help="a channel it listens in (repeat for more)")
    init.add_argument("-y", "--yes", action="store_true", help="ask nothing: the defaults for what no flag gives")
    init.set_defaults(fn=cmd_init)

    backup = sub.add_parser("backup", help="a checked copy of the database (and the Matrix crypto store), made while the bot runs")
    _database_options(backup)
    backup.add_argument("file", help="the backup file to write")
    backup.add_argument("--overwrite", action="store_true", help="replace that file if it exists")
    backup.set_defaults(fn=cmd_backup, load=load)

    restore = sub.add_parser("restore", help="put a backup in place of the database and crypto store (the bot stopped)")
    _database_options(restore)
    restore.add_argument("file", help="the backup file to restore")
    restore.set_defaults(fn=cmd_restore, load=load)


def _database_options(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("-c", "--config", help="the configuration naming the database")
    where.add_argument("--db", help="the database file itself")


def _where(args: argparse.Namespace) -> tuple[Path, dict[str, str | None]]:
    """The database, and the directories of state kept apart from it (the Matrix crypto store
    when `[matrix] store_path` names one; else storage/backup.py looks beside the database).
    Only paths are needed: a backup from cron has no chat secrets to give."""
    if args.db:
        return Path(args.db), {}
    config = args.load(args.config, secrets=False)
    return config.database_path(), {"crypto": config.matrix.store_path if config.matrix else None}


def cmd_init(args: argparse.Namespace) -> int:
    from bot.init_config import CONFIG_NAME, Asker, Flags, InitError, gather, next_steps, write

    directory = Path(args.dir)
    try:
        if (directory / CONFIG_NAME).exists():
            raise InitError(f"{directory / CONFIG_NAME} already exists: nothing written "
                            "(move it away, or choose another --dir)")
        if directory.exists() and not directory.is_dir():
            raise InitError(f"{directory} is not a folder")
        flags = Flags(timezone=args.timezone, language=args.language, database=args.database,
                      matrix_homeserver=args.matrix_homeserver, matrix_user=args.matrix_user,
                      matrix_room=args.matrix_room, rocketchat_url=args.rocketchat_url,
                      rocketchat_user_id=args.rocketchat_user_id, rocketchat_username=args.rocketchat_username,
                      rocketchat_channel=args.rocketchat_channel)
        asker = Asker(sys.stdin, sys.stdout, args.yes)
        if not args.yes:
            print(f"A configuration for chambre-bot in {directory.resolve()}; Enter keeps the [default].")
        answers = gather(flags, asker)
        written = write(directory, answers)
    except InitError as err:
        print(f"chambre-bot init: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nchambre-bot init: interrupted; nothing written", file=sys.stderr)
        return 130
    except OSError as err:
        print(f"chambre-bot init: {getattr(err, 'filename', None) or directory}: cannot write it "
              f"({err.strerror or err}); nothing more written", file=sys.stderr)
        return 1
    print(next_steps(answers, written), end="")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from storage.backup import backup

    db, state = _where(args)
    copy = backup(db, Path(args.file), overwrite=args.overwrite, state=state)
    with_store = " and its crypto store" if copy.files else ""
    print(f"{copy.path}: a copy of {db.resolve()}{with_store}, checked: {copy.describe()}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from storage.backup import restore

    db, state = _where(args)
    done = restore(Path(args.file), db, state=state)
    print(f"{db.resolve()}: restored from {args.file} ({done.backup.describe()})")
    if done.replaced is not None:
        print(f"The database it replaced is kept as {done.replaced}")
    for place, aside in done.state.items():
        print(f"The crypto store is back in {place.resolve()}"
              + (f"; the one it replaced is kept as {aside}" if aside is not None else ""))
    if done.backup.pending:
        print(f"The next start brings it up to this version: {len(done.backup.pending)} migration(s) to apply "
              f"({', '.join(done.backup.pending)})")
    return 0
