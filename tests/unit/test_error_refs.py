"""An error's sentence with its refs: neutral words for logs, Discord markup only where the bot renders it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.replies import said
from spaces_core.domain.errors import AlreadyLive, Conflict, InvalidInput, NotEligible
from spaces_core.domain.refs import ChannelRef, MemberRef, RoleRef, TimeRef, fill

NOON = datetime(2026, 12, 24, 12, 0, tzinfo=UTC)
STAMP = int(NOON.timestamp())


def test_str_reads_each_ref_in_neutral_words():
    error = AlreadyLive("You're already hosting a live Space in {channel}.", channel=ChannelRef(77))
    assert str(error) == error.message == "You're already hosting a live Space in channel 77."
    assert str(Conflict("You already follow {host}.", host=MemberRef(5))) == "You already follow member 5."
    assert str(InvalidInput("From {when} on.", when=TimeRef(NOON, "time"))) == "From 2026-12-24 12:00 UTC on."


def test_the_bot_renders_refs_as_mentions_channels_and_timestamps():
    assert said(AlreadyLive("Live in {channel}.", channel=ChannelRef(77))) == "Live in <#77>."
    assert said(Conflict("You already follow {host}.", host=MemberRef(5))) == "You already follow <@5>."
    roles = NotEligible("Needs {role_1} or {role_2}.", role_1=RoleRef(7), role_2=RoleRef(8))
    assert said(roles) == "Needs <@&7> or <@&8>."
    shown = [said(InvalidInput("{when}", when=TimeRef(NOON, detail))) for detail in ("time", "date_time", "full")]
    assert shown == [f"<t:{STAMP}:t>", f"<t:{STAMP}:f>", f"<t:{STAMP}:F>"]


def test_braces_without_a_ref_are_left_as_typed():
    """A title or a time a member typed may hold braces: never a format error, never filled."""
    assert str(InvalidInput("Title {beta} is too long.")) == "Title {beta} is too long."
    assert fill("{x} {when} {}", {"when": TimeRef(NOON)}) == "{x} 2026-12-24 12:00 UTC {}"
    assert said(Conflict("{host} {0} {host}", host=MemberRef(1))) == "<@1> {0} <@1>"
