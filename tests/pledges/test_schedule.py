"""The pledgers' direct messages, made by the scheduler through the outbox: the monthly reminder
once per month at 09:00 local time (across a restart and a change of summer time), the notice a
week before a commitment ends, late while useful when the bot was down; none to a pledger who
said no, stopped, or replaced the commitment the notice was about."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.scheduler.conftest import Shown, paris

ALICE = "@alice:example.org"  # named, reminders on
BOB = "@bob:example.org"  # anonymous
CAROL = "@carol:example.org"  # public amount, no reminders
UTC = timezone.utc


def pledge_dms(h, heading: str = "Mécénat des communs") -> list[Shown]:
    """The direct messages the bot sent pledgers by itself (not the answers to their commands)."""
    return [s for s in h.chat.shown if s.dm_user and s.text.startswith(heading)]


def due(h, kind: str) -> list[tuple[str, str]]:
    """(person, UTC instant it was due) of each message of that kind the scheduler made."""
    return [(name.rsplit("/", 1)[1] if kind == "pledge-reminder" else name, at) for name, at in h.rows(
        "SELECT name, due_at FROM posts WHERE name LIKE ? AND outcome != 'skipped' ORDER BY due_at, name", (kind + "/%",))]


def reminders(h) -> list[Shown]:
    return [s for s in pledge_dms(h) if "bientôt" not in s.text.splitlines()[0]]


async def three_pledgers(h) -> None:
    await h.say("!brique lien 7 ; https://liberapay.com/catalyst ; Liberapay")
    await h.say("!mécénat engager 37,45 ; pour Redistribution", sender=ALICE)
    await h.say("!mécénat engager 83,20 ; anonyme ; pendant 2 mois", sender=BOB)
    await h.say("!mécénat engager 120 ; montant public", sender=CAROL)
    await h.say("!mécénat rappel non", sender=CAROL)


async def test_the_monthly_reminder_once_a_month_across_a_restart_and_summer_time(harness):
    h = harness(paris(2027, 2, 20, 10, 0))
    await h.start()
    await three_pledgers(h)
    await h.run_until(paris(2027, 3, 1, 8, 59), step=timedelta(hours=6))
    assert reminders(h) == []
    await h.run_until(paris(2027, 3, 1, 12, 0))
    march = reminders(h)
    # 09:00 in Lille is 08:00 UTC in winter; one each to the two pledgers who want it
    assert sorted(s.dm_user for s in march) == [ALICE, BOB]
    assert due(h, "pledge-reminder") == [(ALICE, "2027-03-01T08:00:00+00:00"), (BOB, "2027-03-01T08:00:00+00:00")]
    alice = next(s.text for s in march if s.dm_user == ALICE)
    assert alice.startswith("Mécénat des communs — mars 2027\nVotre engagement : 37,45\u00a0€/mois pendant 12 mois")
    assert "Où donner :\n• Liberapay (https://liberapay.com/catalyst)" in alice
    assert "Il court encore 11 mois et 19 jours." in alice
    assert "Plus de rappel : !mécénat rappel non" in alice
    assert "83,20" in next(s.text for s in march if s.dm_user == BOB) and "83,20" not in alice

    await h.stop()  # a restart the same day: nothing again
    await h.start()
    await h.settle()
    await h.run_until(paris(2027, 3, 20, 12, 0), step=timedelta(hours=12))
    assert len(reminders(h)) == 2
    await h.stop()
    h.clock.set(paris(2027, 3, 25, 12, 0))
    await h.start()
    # summer time begins on Sunday 28 March: 09:00 in Lille is 07:00 UTC in April
    await h.run_until(paris(2027, 4, 3, 12, 0), step=timedelta(hours=5))
    april = reminders(h)[2:]
    assert sorted(s.dm_user for s in april) == [ALICE, BOB] and "avril 2027" in april[0].text
    assert due(h, "pledge-reminder")[2:] == [(ALICE, "2027-04-01T07:00:00+00:00"), (BOB, "2027-04-01T07:00:00+00:00")]
    # each message went through the outbox under its own key, once
    assert len({s.send_key for s in pledge_dms(h)}) == len(pledge_dms(h))
    # no private amount in any room post (agenda, digest) of the whole period
    for post in h.chat.shown:
        if post.dm_user is None:
            assert "37,45" not in post.text and "83,20" not in post.text, post.text


async def test_the_end_notice_a_week_before_with_the_command_to_renew(harness):
    h = harness(paris(2027, 2, 20, 10, 0))
    await h.start()
    await three_pledgers(h)  # Bob's two months run to Monday 19 April included
    await h.run_until(paris(2027, 4, 12, 12, 0), step=timedelta(hours=12))
    assert pledge_dms(h, "Mécénat des communs — votre engagement se termine bientôt") == []
    await h.run_until(paris(2027, 4, 13, 12, 0))
    (notice,) = pledge_dms(h, "Mécénat des communs — votre engagement se termine bientôt")
    assert notice.dm_user == BOB and due(h, "pledge-ending") == [("pledge-ending/2", "2027-04-13T07:00:00+00:00")]
    assert "Votre engagement de 83,20\u00a0€/mois se termine le lundi 19 avril 2027 (dernier jour). Merci !" in notice.text
    assert "Pour le renouveler, 2 mois de plus : !mécénat engager 83,20 par mois ; pendant 2 mois ; anonyme" in notice.text
    # the command in the notice works as written, and replaces the commitment
    await h.say("!mécénat engager 83,20 par mois ; pendant 2 mois ; anonyme", sender=BOB)
    await h.run_until(paris(2027, 6, 1, 12, 0), step=timedelta(hours=12))
    assert len(pledge_dms(h, "Mécénat des communs — votre engagement se termine bientôt")) == 1  # not before mid-June
    assert [s.at.date().isoformat() for s in reminders(h) if s.dm_user == BOB] == ["2027-03-01", "2027-04-01", "2027-05-01", "2027-06-01"]


async def test_no_notice_for_a_commitment_stopped_or_replaced_before(harness):
    h = harness(paris(2027, 2, 20, 10, 0))
    await h.start()
    await h.say("!mécénat engager 10 ; pendant 1 mois", sender=ALICE)
    await h.say("!mécénat engager 10 ; pendant 1 mois", sender=BOB)
    await h.run_until(paris(2027, 3, 5, 12, 0), step=timedelta(hours=12))
    await h.say("!mécénat arrêter", sender=ALICE)
    await h.say("!mécénat engager 12 ; pendant 1 mois", sender=BOB)  # replaced: its last day is 4 April now
    await h.run_until(paris(2027, 4, 10, 12, 0), step=timedelta(hours=12))
    notices = pledge_dms(h, "Mécénat des communs — votre engagement se termine bientôt")
    assert [s.dm_user for s in notices] == [BOB]
    assert due(h, "pledge-ending") == [("pledge-ending/3", "2027-03-29T07:00:00+00:00")]
    assert "12\u00a0€/mois" in notices[0].text


async def test_down_on_the_day_late_while_useful_else_skipped(harness):
    h = harness(paris(2027, 2, 20, 10, 0))
    await h.start()
    await three_pledgers(h)
    await h.run_until(paris(2027, 2, 28, 12, 0), step=timedelta(hours=12))
    await h.stop()
    h.clock.set(paris(2027, 3, 4, 12, 0))  # back three days after the reminder's day
    await h.start()
    await h.settle()
    late = reminders(h)
    assert {s.dm_user for s in late} == {ALICE, BOB}
    assert all(s.at == datetime(2027, 3, 4, 11, tzinfo=UTC) and "(envoyé en retard" in s.text for s in late)
    await h.stop()
    await h.start()
    await h.stop()
    h.clock.set(paris(2027, 4, 8, 10, 0))  # back seven days and an hour after the next one: too late
    await h.start()
    await h.settle()
    assert len(reminders(h)) == 2
    assert h.rows("SELECT outcome FROM posts WHERE name LIKE 'pledge-reminder/2027-04/%'") == [("skipped",), ("skipped",)]


async def test_a_pledge_stopped_while_the_bot_was_down_gets_no_late_reminder(harness):
    h = harness(paris(2027, 2, 20, 10, 0))
    await h.start()
    await three_pledgers(h)
    await h.run_until(paris(2027, 2, 28, 12, 0), step=timedelta(hours=12))
    await h.stop()
    # Alice stops from another process on the same database while the bot is down
    h.clock.set(paris(2027, 3, 2, 10, 0))
    await h.start()
    h.app.scheduler.stop()  # this run answers commands only
    await h.say("!mécénat arrêter", sender=ALICE)
    await h.stop()
    h.clock.set(paris(2027, 3, 2, 11, 0))
    await h.start()
    await h.settle()
    assert [s.dm_user for s in reminders(h)] == [BOB]
    outcomes = dict(h.rows("SELECT name, outcome FROM posts WHERE name LIKE 'pledge-reminder/%'"))
    assert outcomes == {f"pledge-reminder/2027-03/{ALICE}": "skipped", f"pledge-reminder/2027-03/{BOB}": "late"}


async def test_the_reminder_speaks_the_language_of_the_room_the_pledge_was_made_in(harness):
    from bot.config import parse_config
    from tests.scheduler.conftest import ANNOUNCE, DIGEST, ORGANISERS

    english = "!english:example.org"
    config = parse_config({"chambre": {"organisers": ORGANISERS, "room_languages": {english: "en"}},
                           "rhythm": {"announce_rooms": [ANNOUNCE]}, "digest": {"rooms": [DIGEST]}}, env={})
    h = harness(paris(2027, 2, 20, 10, 0), config)
    await h.start()
    await h.say("!pledge commit 12.50 a month ; for 3 months", sender=ALICE, room=english)
    await h.run_until(paris(2027, 3, 1, 12, 0), step=timedelta(hours=12))
    (reminder,) = pledge_dms(h, "Commons patronage")
    assert reminder.dm_user == ALICE
    assert reminder.text.startswith("Commons patronage — March 2027\nYour pledge: €12.50 a month for 3 months, "
                                    "through Wednesday 19 May 2027.")
    assert "It still runs for 2 months and 19 days." in reminder.text
    assert "No more reminders: !pledge reminder no" in reminder.text
