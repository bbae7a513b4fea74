"""Reactions and pinned links."""

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, SpaceFull
from spaces_core.domain.rules import ALLOWED_REACTIONS
from tests.unit.builders import COHOST, HOST, MOD, live_space


def test_react_counts_per_emoji() -> None:
    space = live_space()
    space.react(10, "👏")
    assert space.react(11, "👏") == [ev.Reacted("s1", "👏", 2, 11)]
    assert space.reactions == {"👏": 2}


def test_react_errors() -> None:
    space = live_space()
    with pytest.raises(InvalidInput) as info:
        space.react(10, "🍕")
    assert info.value.message == f"Pick one of these reactions: {' '.join(ALLOWED_REACTIONS)}."
    with pytest.raises(NotAllowed, match="Join the Stage to react"):
        space.react(99, "👏")


def test_pin_and_unpin_links() -> None:
    space = live_space(cohost=True)
    assert space.pin_link(COHOST, " https://example.com/a ") == [
        ev.LinkPinned("s1", "https://example.com/a", COHOST.user_id)
    ]
    space.pin_link(HOST, "http://example.com/b")
    assert space.unpin_link(HOST, 0) == [ev.LinkUnpinned("s1", "https://example.com/a", HOST.user_id)]
    space.unpin_link(COHOST, "http://example.com/b")
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
        live_space().pin_link(HOST, url)


def test_link_limits_and_permissions() -> None:
    space = live_space()
    with pytest.raises(NotAllowed, match="pin links"):
        space.pin_link(MOD, "https://example.com")
    for index in range(5):
        space.pin_link(HOST, f"https://example.com/{index}")
    with pytest.raises(Conflict, match="already pinned"):
        space.pin_link(HOST, "https://example.com/0")
    with pytest.raises(SpaceFull, match="at most 5 links"):
        space.pin_link(HOST, "https://example.com/5")
    with pytest.raises(NotFound, match="no pinned link at that position"):
        space.unpin_link(HOST, 5)
    with pytest.raises(NotFound, match="isn't pinned"):
        space.unpin_link(HOST, "https://nope.example")
    with pytest.raises(NotAllowed, match="unpin links"):
        space.unpin_link(MOD, 0)
