"""SpaceService over in-memory ports: what is stored and what is published."""

from collections.abc import Sequence

import pytest

from spaces_core.domain import events as ev
from spaces_core.domain.errors import AlreadyLive, Conflict, NotAllowed, NotEligible, NotFound, SpaceFull
from spaces_core.domain.events import DomainEvent
from spaces_core.domain.refs import ChannelRef
from spaces_core.domain.roles import Actor
from spaces_core.domain.rules import GuildPolicy, HostingRule
from spaces_core.domain.space import Space, SpaceState
from spaces_core.services.spaces import SpaceService
from tests.fakes import FakeDatabase
from tests.unit.services_support import GUILD, HOST, STAGE, App


async def test_start_stores_publishes_and_uses_the_server_speaker_limit() -> None:
    app = App()
    app.db.policies[GUILD] = GuildPolicy(guild_id=GUILD, speaker_limit=4)
    space = await app.start()
    assert space.id == "space1" and space.speaker_limit == 4
    assert app.db.spaces["space1"].state is SpaceState.LIVE
    assert app.publisher.events == [ev.SpaceStarted("space1", 1, "Friday jam", ("music",))]
    assert await app.spaces.live_of_host(1) == space
    assert await app.spaces.live_in_channel(GUILD, STAGE) == space


async def test_a_host_already_live_is_told_where() -> None:
    app = App()
    await app.start()
    with pytest.raises(AlreadyLive) as info:
        await app.start(channel_id=777)
    assert info.value.refs == {"channel": ChannelRef(STAGE)}
    assert info.value.message == f"You're already hosting a live Space in channel {STAGE}."


async def test_a_busy_stage_is_a_conflict() -> None:
    app = App()
    await app.start()
    with pytest.raises(Conflict, match="already live on this Stage"):
        await app.start(host=Actor(2))


async def test_hosting_rule_uses_the_real_follower_count() -> None:
    app = App()
    app.db.policies[GUILD] = GuildPolicy(guild_id=GUILD, hosting_rule=HostingRule(min_followers=2))
    await app.follows.follow(10, HOST.user_id)
    with pytest.raises(NotEligible, match="you have 1"):
        await app.start()
    assert app.db.spaces == {} and app.publisher.events == []
    await app.follows.follow(11, HOST.user_id)
    await app.start()


async def test_events_are_published_after_the_commit() -> None:
    db = FakeDatabase()
    seen: list[SpaceState] = []

    class LookingPublisher:
        async def publish(self, space: Space, events: Sequence[DomainEvent]) -> None:
            seen.append(db.spaces[space.id].state)  # what another process would read right now

    service = SpaceService(db.uow, App().clock, LookingPublisher())
    space = await service.start_space(guild_id=1, channel_id=2, actor=HOST, title="t", topics=[])
    await service.end_space(space.id, HOST)
    assert seen == [SpaceState.LIVE, SpaceState.ENDED]


async def test_refused_action_saves_and_publishes_nothing() -> None:
    app = App()
    space = await app.start(present=(10,))
    await app.spaces.request_to_speak(space.id, 10)
    before, published = app.db.commits, len(app.publisher.published)
    with pytest.raises(NotAllowed):
        await app.spaces.approve(space.id, Actor(10), 10)
    assert app.db.commits == before and len(app.publisher.published) == published
    assert app.db.spaces[space.id].queue == [10]


async def test_request_approve_move_mute_flow() -> None:
    app = App()
    space = await app.start(present=(10, 11))
    await app.spaces.request_to_speak(space.id, 10)
    space = await app.spaces.approve(space.id, HOST, 10)
    assert space.speakers == [10]
    space = await app.spaces.mute(space.id, HOST, 10)
    space = await app.spaces.unmute(space.id, HOST, 10)
    space = await app.spaces.move_to_audience(space.id, HOST, 10)
    assert space.speakers == [] and app.db.spaces[space.id].speakers == []
    await app.spaces.request_to_speak(space.id, 11)
    await app.spaces.cancel_request(space.id, 11)
    await app.spaces.request_to_speak(space.id, 11)
    space = await app.spaces.deny(space.id, HOST, 11)
    assert space.queue == []
    assert [e.reason for e in app.publisher.of(ev.HandLowered)] == ["approved", "cancelled", "denied"]  # type: ignore[attr-defined]


async def test_invitations_and_full_stage() -> None:
    app = App()
    app.db.policies[GUILD] = GuildPolicy(guild_id=GUILD, speaker_limit=1)
    space = await app.start(present=(10, 11))
    await app.spaces.invite(space.id, HOST, 10)
    await app.spaces.invite(space.id, HOST, 11)
    await app.spaces.accept_invite(space.id, 10)
    with pytest.raises(SpaceFull):
        await app.spaces.accept_invite(space.id, 11)
    space = await app.spaces.decline_invite(space.id, 11)
    assert space.speakers == [10] and space.invites == set()


async def test_unknown_space_is_not_found() -> None:
    with pytest.raises(NotFound, match="doesn't exist"):
        await App().spaces.request_to_speak("nope", 1)


async def test_voice_updates_outside_a_live_space_are_ignored() -> None:
    app = App()
    assert await app.spaces.member_joined(GUILD, STAGE, 10) is None
    assert await app.spaces.member_left(GUILD, STAGE, 10) is None
    assert await app.spaces.reconcile(GUILD, STAGE, {10}) is None


async def test_removed_member_rejoining_is_refused_with_a_reason() -> None:
    app = App()
    space = await app.start(present=(10,))
    await app.spaces.remove(space.id, HOST, 10)
    space = await app.spaces.member_joined(GUILD, STAGE, 10)  # type: ignore[assignment]
    assert 10 not in space.present
    [refused] = app.publisher.of(ev.RejoinRefused)
    assert refused == ev.RejoinRefused(space.id, 10, "You were removed from this Space by the host.")


async def test_block_keeps_the_member_out_of_the_hosts_next_space() -> None:
    app = App()
    space = await app.start(present=(10,))
    await app.spaces.block(space.id, HOST, 10)
    assert (HOST.user_id, 10) in app.db.blocks
    await app.spaces.end_space(space.id, HOST)
    second = await app.start(present=(10,))
    assert 10 not in second.present
    assert app.publisher.of(ev.RejoinRefused)[-1] == ev.RejoinRefused(
        second.id, 10, "The host has blocked you from their Spaces."
    )


async def test_unblock_lets_the_member_back_into_the_live_space_and_the_next() -> None:
    app = App()
    space = await app.start(present=(10, 11))
    await app.spaces.block(space.id, HOST, 10)
    await app.spaces.block(space.id, HOST, 11)
    assert await app.spaces.blocked_by(HOST.user_id) == [10, 11]
    live = await app.spaces.unblock(HOST, 10)
    assert live is not None and 10 not in live.removed and 11 in live.removed
    assert await app.spaces.blocked_by(HOST.user_id) == [11]
    back = await app.spaces.member_joined(GUILD, STAGE, 10)
    assert back is not None and 10 in back.present
    assert app.publisher.of(ev.MemberUnblocked)[-1] == ev.MemberUnblocked(space.id, 10, HOST.user_id)


async def test_unblock_without_a_live_space_and_of_someone_not_blocked() -> None:
    app = App()
    space = await app.start(present=(10,))
    await app.spaces.block(space.id, HOST, 10)
    await app.spaces.end_space(space.id, HOST)
    assert await app.spaces.unblock(HOST, 10) is None
    second = await app.start(present=(10,))
    assert 10 in second.present
    with pytest.raises(NotFound, match="isn't on your block list"):
        await app.spaces.unblock(HOST, 10)


async def test_cohost_and_links_and_reactions() -> None:
    app = App()
    space = await app.start(present=(2, 10))
    space = await app.spaces.add_cohost(space.id, HOST, 2)
    space = await app.spaces.pin_link(space.id, Actor(2), "https://example.com")
    space = await app.spaces.unpin_link(space.id, HOST, "https://example.com")
    space = await app.spaces.react(space.id, 10, "🔥")
    space = await app.spaces.remove_cohost(space.id, HOST, 2)
    assert (space.cohosts, space.speakers, space.links, space.reactions) == ([], [2], [], {"🔥": 1})


async def test_cards_are_recorded() -> None:
    app = App()
    space = await app.start()
    await app.spaces.record_card(space.id, 5, 6)
    await app.spaces.record_card(space.id, 7, 8)
    assert await app.spaces.cards(space.id) == [(5, 6), (7, 8)]


async def test_live_in_guild_is_busiest_first() -> None:
    app = App()
    quiet = await app.start(channel_id=1)
    busy = await app.start(host=Actor(2), channel_id=2, present=(10, 11))
    assert [s.id for s in await app.spaces.live_in_guild(GUILD)] == [busy.id, quiet.id]
    assert len(await app.spaces.all_live()) == 2


async def test_a_lost_race_is_retried_transparently() -> None:
    app = App()
    space = await app.start(present=(10, 11))
    real_factory = app.db.uow
    raced = False

    def racing_factory():  # type: ignore[no-untyped-def]
        """The first unit of work loses a race: another writer commits between its read and its save."""
        nonlocal raced
        uow = real_factory()
        if not raced:
            raced = True
            rival = real_factory()
            rival_space = rival._copy.spaces[space.id]
            rival_space.request_to_speak(11)
            rival_space.version += 1
            app.db.spaces[space.id] = rival_space
        return uow

    service = SpaceService(racing_factory, app.clock, app.publisher)
    result = await service.request_to_speak(space.id, 10)
    assert result.queue == [11, 10]
    assert app.db.spaces[space.id].queue == [11, 10]
