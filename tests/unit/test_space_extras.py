"""Reactions and pinned links."""

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain import extras
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, SpaceFull
from spaces_core.domain.rules import ALLOWED_REACTIONS
from tests.unit.builders import COHOST, HOST, MOD, live_space


def test_react_counts_per_emoji() -> None:
    space = live_space()
    extras.react(space, 10, "👏")
    assert extras.react(space, 11, "👏") == [ev.Reacted("s1", "👏", 2, 11)]
    assert space.reactions == {"👏": 2}


def test_react_errors() -> None:
    space = live_space()
    with pytest.raises(InvalidInput) as info:
        extras.react(space, 10, "🍕")
    assert info.value.message == f"Pick one of these reactions: {' '.join(ALLOWED_REACTIONS)}."
    with pytest.raises(NotAllowed, match="Join the Stage to react"):
        extras.react(space, 99, "👏")


def test_pin_and_unpin_links() -> None:
    space = live_space(cohost=True)
    assert extras.pin_link(space, COHOST, " https://example.com/a ") == [
        ev.LinkPinned("s1", "https://example.com/a", COHOST.user_id)
    ]
    extras.pin_link(space, HOST, "http://example.com/b")
    assert extras.unpin_link(space, HOST, 0) == [ev.LinkUnpinned("s1", "https://example.com/a", HOST.user_id)]
    extras.unpin_link(space, COHOST, "http://example.com/b")
    assert space.links == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("https://", "doesn't look like a web link"),
        ("https://exa mple.com", "doesn't look like a web link"),
        ("https://e.com/" + "x" * 600, "at most 512 characters"),
    ],
)
def test_bad_links_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        extras.pin_link(live_space(), HOST, url)


def test_link_limits_and_permissions() -> None:
    space = live_space()
    with pytest.raises(NotAllowed, match="pin links"):
        extras.pin_link(space, MOD, "https://example.com")
    for index in range(5):
        extras.pin_link(space, HOST, f"https://example.com/{index}")
    with pytest.raises(Conflict, match="already pinned"):
        extras.pin_link(space, HOST, "https://example.com/0")
    with pytest.raises(SpaceFull, match="at most 5 links"):
        extras.pin_link(space, HOST, "https://example.com/5")
    with pytest.raises(NotFound, match="no pinned link at that position"):
        extras.unpin_link(space, HOST, 5)
    with pytest.raises(NotFound, match="isn't pinned"):
        extras.unpin_link(space, HOST, "https://nope.example")
    with pytest.raises(NotAllowed, match="unpin links"):
        extras.unpin_link(space, MOD, 0)
