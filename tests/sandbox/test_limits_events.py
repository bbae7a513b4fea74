"""Guild scheduled events: Discord refuses a start time already past, on create and when moving one."""

from __future__ import annotations

import datetime

import discord
import pytest

from tests.sandbox.conftest import Starter, Town

PAST = {"_errors": [{"code": "GUILD_SCHEDULED_EVENT_SCHEDULE_PAST", "message": "Cannot schedule event in the past."}]}


def _in(minutes: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)


async def _guild_and_stage(town: Town, start_client: Starter) -> tuple[discord.Guild, discord.StageChannel]:
    client = await start_client(town.server, town.bot.token)
    guild, stage = client.get_guild(town.guild_id), client.get_channel(town.stage)
    assert guild is not None
    assert isinstance(stage, discord.StageChannel)
    return guild, stage


async def test_an_event_starting_in_the_past_is_refused(town: Town, start_client: Starter) -> None:
    guild, stage = await _guild_and_stage(town, start_client)
    kind, privacy = discord.EntityType.stage_instance, discord.PrivacyLevel.guild_only

    with pytest.raises(discord.HTTPException) as refused:
        await guild.create_scheduled_event(
            name="Yesterday", start_time=_in(-1), channel=stage, entity_type=kind, privacy_level=privacy
        )
    await guild.create_scheduled_event(
        name="Soon", start_time=_in(1), channel=stage, entity_type=kind, privacy_level=privacy
    )

    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert refused.value._errors == {"scheduled_start_time": PAST}
    assert [e.name for e in town.server.scheduled_events(town.guild_id)] == ["Soon"]


async def test_moving_a_scheduled_event_into_the_past_is_refused(town: Town, start_client: Starter) -> None:
    guild, stage = await _guild_and_stage(town, start_client)
    start = _in(60)
    event = await guild.create_scheduled_event(
        name="AMA", start_time=start, channel=stage, entity_type=discord.EntityType.stage_instance,
        privacy_level=discord.PrivacyLevel.guild_only,
    )  # fmt: skip

    with pytest.raises(discord.HTTPException) as refused:
        await event.edit(start_time=_in(-5))
    await event.edit(start_time=_in(30))

    assert refused.value._errors == {"scheduled_start_time": PAST}
    assert town.server.scheduled_events(town.guild_id)[0].start < start  # the valid move went through
