"""Where a scheduled post goes: each backend says which configured rooms and people are its
own, so that the core and the scheduler never name a chat."""
from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.backends.console import ConsoleBackend
from bot.backends.matrix import MatrixBackend
from bot.backends.rocketchat import RocketChatBackend
from bot.clock import Clock
from bot.config import Config, MatrixConfig, RocketChatConfig
from bot.scheduler import Scheduler
from tests.support import MemoryState

MATRIX = MatrixConfig(homeserver="https://matrix.example.org", user_id="@chambre:example.org", password="x",
                      rooms=["#chambre:example.org", "!bureau:example.org"])
ROCKETCHAT = RocketChatConfig(url="https://chat.example.org", username="chambot", password="x",
                              channels=["chambre", "bureau"])


def app_with(tmp_path: Path, matrix: bool = True, rocketchat: bool = True) -> App:
    config = Config(matrix=MATRIX if matrix else None, rocketchat=ROCKETCHAT if rocketchat else None)
    backends = []
    if matrix:
        backends.append(MatrixBackend(MATRIX, MemoryState(), Clock()))
    if rocketchat:
        backends.append(RocketChatBackend(ROCKETCHAT, MemoryState(), Clock()))
    return App(config, backends=backends, db_path=str(tmp_path / "r.db"))


def test_each_configured_room_goes_to_the_chat_that_serves_it(tmp_path: Path):
    app = app_with(tmp_path)
    assert app.destination("#chambre:example.org") == ("matrix", "#chambre:example.org")
    assert app.destination("!bureau:example.org") == ("matrix", "!bureau:example.org")
    assert app.destination("rocketchat:chambre") == ("rocketchat", "chambre")
    assert app.destination("console") is None  # no console runs: the post is skipped
    assert app.destination("chambre") is None  # neither a Matrix room nor a rocketchat: name


def test_each_organiser_gets_direct_messages_on_their_own_chat(tmp_path: Path):
    both = app_with(tmp_path)
    assert both.destination("@camille:example.org", dm=True) == ("matrix", "@camille:example.org")
    assert both.destination("rocketchat:dominique", dm=True) == ("rocketchat", "dominique")
    assert both.destination("dominique", dm=True) == ("rocketchat", "dominique")  # a bare name is a username
    matrix_only = app_with(tmp_path, rocketchat=False)
    assert matrix_only.destination("dominique", dm=True) is None
    assert matrix_only.destination("rocketchat:dominique", dm=True) is None
    rocketchat_only = app_with(tmp_path, matrix=False)
    assert rocketchat_only.destination("@camille:example.org", dm=True) is None


def test_posts_without_configured_rooms_go_to_every_room_the_bot_listens_in(tmp_path: Path):
    scheduler = Scheduler(app_with(tmp_path))
    assert scheduler.announce_rooms() == ["#chambre:example.org", "!bureau:example.org", "rocketchat:chambre",
                                          "rocketchat:bureau"]
    assert [scheduler.app.destination(room)[0] for room in scheduler.digest_rooms()] == [
        "matrix", "matrix", "rocketchat", "rocketchat"]


def test_the_console_shows_every_room_and_its_user_is_reminded_unless_a_member(tmp_path: Path):
    for member, organisers in ((False, ["@camille:example.org", "alice"]), (True, ["@camille:example.org"])):
        console = ConsoleBackend("alice", Clock(), is_organiser=not member)
        config = Config()
        config.chambre.organisers = ["@camille:example.org"]
        app = App(config, backends=[console], db_path=str(tmp_path / "c.db"))
        scheduler = Scheduler(app)
        assert scheduler.announce_rooms() == ["console"]
        assert scheduler.organisers() == organisers
        assert app.destination("#chambre:example.org") == ("console", "console")
        assert app.destination("@camille:example.org", dm=True) == ("console", "@camille:example.org")
