"""The times members type, read by the dateparser-backed `DateparserWhen` with a fixed clock, in their zone,
preferring the future; the exact forms and DST placement the domain keeps for itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.refs import TimeRef
from spaces_core.domain.schedule import ScheduledSpace, SchedulePolicy
from spaces_core.domain.when import exact_when, on_the_clock
from spaces_core.when_reader import DateparserWhen
from tests.unit.builders import HOST

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
READER = DateparserWhen()
FRIDAY_21 = datetime(2026, 12, 18, 21, 0, tzinfo=BERLIN)  # a Friday, 21:00 in Berlin (UTC+1 in December)
FRIDAY_19 = datetime(2026, 12, 18, 19, 0, tzinfo=BERLIN)


def read(text: str, now: datetime, zone: ZoneInfo | type[UTC] = BERLIN) -> datetime:
    got = READER.read(text, now=now.astimezone(UTC), zone=zone)  # the clock gives UTC
    assert got.tzinfo is UTC
    return got


def berlin(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("friday 8pm", berlin(12, 25, 20)),  # today is Friday, 8 pm has passed: next Friday
        ("Fri 8pm", berlin(12, 25, 20)),
        ("8pm", berlin(12, 19, 20)),  # already 21:00: tomorrow
        ("20:00", berlin(12, 19, 20)),
        ("next monday 18:00", berlin(12, 21, 18)),
        ("2026-12-20 6pm", berlin(12, 20, 18)),
        ("in 90 minutes", berlin(12, 18, 22, 30)),
        ("tomorrow at 6:30pm", berlin(12, 19, 18, 30)),
        ("tomorrow 6pm", berlin(12, 19, 18)),
        ("Dec 24 7pm", berlin(12, 24, 19)),
        ("24 dec 19:00", berlin(12, 24, 19)),
        ("24/12 19:00", berlin(12, 24, 19)),
        ("12/24 7pm", berlin(12, 24, 19)),  # month first: the only reading there is
        ("24/12/2026 19:00", berlin(12, 24, 19)),
        ("noon", berlin(12, 19, 12)),
        ("  Tomorrow   AT 6:30PM ", berlin(12, 19, 18, 30)),
        ("2026-12-25T18:00+00:00", datetime(2026, 12, 25, 18, 0, tzinfo=UTC)),  # its own offset wins
        ("<t:1767225600:F>", datetime(2026, 1, 1, tzinfo=UTC)),
        ("today 8pm", berlin(12, 18, 20)),  # read as typed; the schedule refuses it as past
    ],
)
def test_phrases_on_a_friday_evening(text, expected):
    assert read(text, FRIDAY_21) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("friday 8pm", berlin(12, 18, 20)),  # Friday before 8 pm: tonight
        ("8pm", berlin(12, 18, 20)),
        ("next friday 8pm", berlin(12, 25, 20)),  # "next" asks for next week's
        ("saturday 10:00", berlin(12, 19, 10)),
    ],
)
def test_the_day_named_is_today_until_its_time_has_passed(text, expected):
    assert read(text, FRIDAY_19) == expected


def test_wall_times_are_read_in_the_members_zone():
    now = datetime(2026, 12, 18, 12, 0, tzinfo=UTC)  # Friday 07:00 in New York
    assert read("friday 8pm", now, NEW_YORK) == datetime(2026, 12, 19, 1, 0, tzinfo=UTC)
    assert read("friday 8pm", now, UTC) == datetime(2026, 12, 18, 20, 0, tzinfo=UTC)  # no zone set: UTC


def test_dst_spring_forward_in_berlin():
    evening = berlin(3, 28, 20)  # Saturday 20:00 CET; at 02:00 the clocks jump to 03:00 CEST
    assert read("tomorrow 18:00", evening) == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)  # CEST, not CET
    with pytest.raises(InvalidInput, match="doesn't exist"):
        read("tomorrow 02:30", evening)
    night = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET
    assert read("in 2h", night) == datetime(2026, 3, 29, 2, 30, tzinfo=UTC)  # two hours elapsed: 04:30 CEST


def test_dst_fall_back_takes_the_first_of_the_doubled_hour():
    assert read("tomorrow 2:30am", berlin(10, 24, 12)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert read("tomorrow 3:30am", berlin(10, 24, 12)) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)  # CET


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("5/6 19:00", "could be 5 Jun or May 6"),
        ("friday", "at what time"),
        ("next week", "at what time"),
        ("18h", "in 18 hours"),
        ("soon", "friday 8pm"),
        ("next blursday 8pm", "couldn't read"),
        ("in 2 fortnights", "couldn't read `in 2 fortnights`"),
        ("tomorrow 25:00", "couldn't read"),
        ("1767225600", "couldn't read"),  # a bare number is not taken for a Unix time
        ("", "Discord timestamp"),
        ("tomorrow 18:00 " * 10, "couldn't read"),
    ],
)
def test_unreadable_or_ambiguous_times_explain_what_works(text, words):
    with pytest.raises(InvalidInput) as refused:
        read(text, FRIDAY_21)
    assert words in refused.value.message


def test_the_domain_keeps_the_exact_forms_and_leaves_wall_times_to_the_reader():
    now = datetime(2026, 12, 18, 20, 0, tzinfo=UTC)
    assert exact_when("in 1h 30m", now=now) == now + timedelta(minutes=90)
    assert exact_when("<t:1767225600:R>", now=now) == datetime(2026, 1, 1, tzinfo=UTC)
    assert exact_when("friday 8pm", now=now) is None
    assert on_the_clock(datetime(2026, 7, 1, 18, 0), BERLIN) == datetime(2026, 7, 1, 16, 0, tzinfo=UTC)


def test_the_schedule_names_the_time_it_refuses():
    def plan(when: str) -> None:
        ScheduledSpace.plan(
            schedule_id="a" * 32,
            guild_id=1,
            channel_id=2,
            host_id=HOST.user_id,
            title="Beats",
            topics="",
            starts_at=read(when, FRIDAY_21),
            now=FRIDAY_21.astimezone(UTC),
            policy=SchedulePolicy(),
            upcoming_of_host=0,
        )

    with pytest.raises(InvalidInput, match=r"\(2026-12-18 19:00 UTC\) is in the past") as past:
        plan("today 8pm")
    assert past.value.refs == {"when": TimeRef(berlin(12, 18, 20), "date_time")}
    with pytest.raises(InvalidInput, match=r"too far ahead.*30 days") as far:
        plan("Jan 29 8pm")
    assert far.value.refs == {"when": TimeRef(berlin(1, 29, 20, year=2027), "full")}
