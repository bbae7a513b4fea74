"""FollowService and SettingsService over in-memory ports."""

import pytest

from spaces_core.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from spaces_core.domain.refs import MemberRef
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy, HostingRule, MemberPrefs
from tests.unit.services_support import GUILD, App

ADMIN = Actor(5, is_admin=True)


async def test_follow_unfollow_and_counts() -> None:
    app = App()
    await app.follows.follow(10, 1)
    await app.follows.follow(11, 1)
    await app.follows.follow(10, 2)
    assert await app.follows.following(10) == [1, 2]
    assert await app.follows.follower_count(1) == 2
    with pytest.raises(Conflict) as info:
        await app.follows.follow(10, 1)
    assert (info.value.template, info.value.refs) == ("You already follow {host}.", {"host": MemberRef(1)})
    with pytest.raises(InvalidInput, match="can't follow yourself"):
        await app.follows.follow(1, 1)
    await app.follows.unfollow(10, 1)
    with pytest.raises(NotFound, match="You don't follow member 1") as missing:
        await app.follows.unfollow(10, 1)
    assert missing.value.refs == {"host": MemberRef(1)}
    assert await app.follows.follower_count(1) == 1


async def test_followers_to_notify_skips_members_who_turned_dms_off() -> None:
    app = App()
    for follower in (10, 11, 12):
        await app.follows.follow(follower, 1)
    assert await app.settings.set_live_dms(11, False) == MemberPrefs(11, live_dms=False)
    assert await app.follows.followers_to_notify(1) == [10, 12]
    assert (await app.settings.prefs(11)).live_dms is False
    assert (await app.settings.prefs(99)).live_dms is True


async def test_update_policy_needs_an_admin() -> None:
    app = App()
    with pytest.raises(NotAllowed, match="Only server admins"):
        await app.settings.update_policy(GUILD, Actor(1, is_moderator=True), speaker_limit=5)
    assert app.db.policies == {}


async def test_update_policy_applies_and_persists() -> None:
    app = App()
    policy = await app.settings.update_policy(
        GUILD,
        ADMIN,
        speaker_limit=5,
        grace_seconds=120,
        feed_channel_id=77,
        min_followers=3,
        required_role_ids=frozenset({9}),
    )
    assert policy == GuildPolicy(
        guild_id=GUILD,
        speaker_limit=5,
        grace_seconds=120,
        feed_channel_id=77,
        hosting_rule=HostingRule(min_followers=3, required_role_ids=frozenset({9})),
    )
    assert await app.settings.policy(GUILD) == policy
    await app.settings.record_live_board(GUILD, 555)
    assert (await app.settings.policy(GUILD)).live_board_message_id == 555
    assert (await app.settings.policy(GUILD)).speaker_limit == 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"speaker_limit": 0}, "speaker limit must be a whole number from 1 to 50"),
        ({"speaker_limit": "ten"}, "speaker limit"),
        ({"grace_seconds": 601}, "grace period"),
        ({"min_followers": -1}, "follower minimum"),
        ({"feed_channel_id": "general"}, "must be a Discord id"),
        ({"required_role_ids": "admins"}, "set of role ids"),
        ({"colour": "red"}, "There is no setting called colour"),
    ],
)
async def test_bad_settings_change_nothing(changes: dict[str, object], message: str) -> None:
    app = App()
    with pytest.raises(InvalidInput, match=message):
        await app.settings.update_policy(GUILD, ADMIN, **{"grace_seconds": 30, **changes})
    assert await app.settings.policy(GUILD) == GuildPolicy(guild_id=GUILD)


async def test_delete_member_data_keeps_blocks_against_them() -> None:
    app = App()
    await app.follows.follow(10, 1)
    await app.follows.follow(1, 10)
    await app.follows.follow(11, 1)
    await app.settings.set_live_dms(10, False)
    app.db.blocks = {(10, 20), (1, 10)}
    await app.settings.delete_member_data(10)
    assert app.db.follows == {(11, 1)}
    assert app.db.prefs == {}
    assert app.db.blocks == {(1, 10)}
