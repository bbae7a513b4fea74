from datetime import timedelta

import pytest

from spaces_core.domain.errors import InvalidInput, SpacesError
from spaces_core.domain.events import SpaceStarted
from spaces_core.domain.space import Space, SpaceState
from tests.unit.builders import NOW


def open_space(**overrides: object) -> Space:
    args: dict[str, object] = {
        "space_id": "s1",
        "guild_id": 1,
        "channel_id": 2,
        "host_id": 3,
        "title": "Title",
        "topics": (),
        "now": NOW,
    }
    args.update(overrides)
    space, _ = Space.open(**args)  # type: ignore[arg-type]
    return space


def test_open_starts_live_with_the_host_present_and_credited() -> None:
    space, events = Space.open(
        space_id="s1", guild_id=1, channel_id=2, host_id=3, title="  Friday   jam ", topics="a, b", now=NOW
    )
    assert events == [SpaceStarted("s1", 3, "Friday jam", ("a", "b"))]
    assert space.state is SpaceState.LIVE
    assert space.started_at == NOW
    assert space.present == {3}
    assert space.spoke == [3]
    assert space.original_host_id == space.host_id == 3
    assert space.speaker_limit == 10
    assert space.listener_count == 0


def test_error_message_is_the_string() -> None:
    error = SpacesError("Hello there.")
    assert str(error) == error.message == "Hello there."


@pytest.mark.parametrize("title", ["", "   ", "\n"])
def test_empty_title_is_refused(title: str) -> None:
    with pytest.raises(InvalidInput, match="Give your Space a title"):
        open_space(title=title)


def test_long_title_message_counts_characters() -> None:
    with pytest.raises(InvalidInput) as info:
        open_space(title="x" * 83)
    assert info.value.message == "Titles can be at most 70 characters (yours has 83)."


def test_title_of_exactly_70_characters_is_fine() -> None:
    assert open_space(title="y" * 70).title == "y" * 70


def test_topics_from_a_list_are_stripped_and_deduplicated_ignoring_case() -> None:
    assert open_space(topics=[" Music ", "music", "", "Q&A"]).topics == ("Music", "Q&A")


def test_topics_from_a_comma_separated_string() -> None:
    assert open_space(topics="music,, chat ,").topics == ("music", "chat")


def test_more_than_three_topics_are_refused() -> None:
    with pytest.raises(InvalidInput, match=r"at most 3 topics \(you gave 4\)"):
        open_space(topics="a,b,c,d")


def test_long_topic_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Topics can be at most 30 characters"):
        open_space(topics=["z" * 31])


@pytest.mark.parametrize("limit", [-1, 51])
def test_speaker_limit_out_of_range_is_refused(limit: int) -> None:
    with pytest.raises(InvalidInput, match="speaker limit"):
        open_space(speaker_limit=limit)


def test_summary_duration_uses_the_end_time() -> None:
    space = open_space()
    space.end(None, NOW + timedelta(minutes=30), "host_ended")
    assert space.summary(NOW + timedelta(days=1)).duration == timedelta(minutes=30)
