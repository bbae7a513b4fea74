"""The recap, as members see it: when a Space whose phrases are in the transcript store ends, a reply to its ended
card shows who spoke how long, the key quotes, the questions and the chapters; the card stays the summary. A
restart between the end and the post neither loses the recap nor posts it twice."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import aiohttp
import discord
from sqlalchemy import text

from bot.recap.render import REPLAY_HINT, clock
from demo.world import World
from spaces_core.domain.transcripts import Phrase
from spaces_core.recap import SpaceFacts, build_recap
from spaces_core.services.transcripts import TranscriptService
from spaces_core.store.database import create_engine, make_uow_factory
from tests.discord_limits import discord_refusals
from tests.e2e.conftest import eventually, live_space, start_space
from tests.e2e.test_audio_receive import room_of
from tests.e2e.test_recording import record
from tests.unit.recap_conversation import DRE, KIM, MAYA, conversation

TITLE = "Friday AMA"


@asynccontextmanager
async def database(world: World) -> AsyncIterator[Any]:
    engine = create_engine(world.database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


async def a_space_with_a_transcript(world: World) -> list[Phrase]:
    """hana hosts; the conversation's three speakers are hana, cole and lee; its phrases are stored as captions
    store them (the real TranscriptService on the bot's database)."""
    await start_space(world, title=TITLE)
    space = await live_space(world)
    who = {MAYA: world["hana"], DRE: world["cole"], KIM: world["lee"]}
    phrases = [dataclasses.replace(p, space_id=space.id, speaker_id=who[p.speaker_id]) for p in conversation()]
    async with database(world) as engine:
        await TranscriptService(make_uow_factory(engine)).add(phrases)
    return phrases


def card(world: World) -> dict[str, Any]:
    titled = [(m, str((m.get("embeds") or [{}])[0].get("title"))) for m in world.server.messages(world.stage_id)]
    return next(m for m, title in titled if TITLE in title and not title.startswith("Recap"))


def recaps(world: World) -> list[dict[str, Any]]:
    return [
        m
        for m in world.server.messages(world.stage_id)
        if str((m.get("embeds") or [{}])[0].get("title")) == f"Recap · {TITLE}"
    ]


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0]["fields"]}


async def recap_row(world: World) -> int | None:
    async with database(world) as engine, engine.connect() as connection:
        return (await connection.execute(text("SELECT message_id FROM space_recaps"))).scalar_one()  # type: ignore[no-any-return]


async def owe_again(world: World) -> None:
    """The state a crash leaves between the post and its mark: the recap still owed."""
    async with database(world) as engine, engine.begin() as connection:
        await connection.execute(text("UPDATE space_recaps SET message_id = NULL"))


async def test_the_recap_replies_to_the_ended_card_with_what_was_said(world: World) -> None:
    phrases = await a_space_with_a_transcript(world)
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: len(recaps(world)) == 1, timeout=30)
    [recap] = recaps(world)
    summary = card(world)
    assert summary["embeds"][0]["title"] == f"Ended · {TITLE}" and not summary.get("components")
    assert str(recap["message_reference"]["message_id"]) == summary["id"]
    assert discord_refusals(recap) == []
    shown = fields(recap)
    want = build_recap(phrases, SpaceFacts(duration=timedelta(0)))  # what the bot builds from the same phrases
    talkers = [line.split()[0] for line in shown["Talk time"].splitlines()]
    assert talkers == [f"<@{world['cole']}>", f"<@{world['hana']}>", f"<@{world['lee']}>"]
    assert shown["Key quotes"].splitlines() == [
        f"“{discord.utils.escape_markdown(q.text)}” — <@{q.speaker_id}> at {clock(q.at)}" for q in want.quotes
    ]
    kim_asked = f"<@{world['lee']}> at 0:46: Wait, do you tune every drum sample or only the kick?"
    assert kim_asked in shown["Questions asked"]
    assert len(shown["Questions asked"].splitlines()) == len(want.questions)
    assert shown["Chapters"].splitlines() == [f"`{clock(c.at)}` {c.keyword}" for c in want.chapters]
    assert "beats.example/upload" in shown["Links shared"]
    assert "Peak listeners" in recap["embeds"][0]["description"]


async def test_a_recorded_spaces_recap_points_to_the_replay_command(world: World) -> None:
    await a_space_with_a_transcript(world)
    await room_of(world)
    await record(world, "hana", "on")
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: len(recaps(world)) == 1, timeout=30)
    assert REPLAY_HINT in recaps(world)[0]["embeds"][0]["description"]
    # The command the hint names hands this Space's replay to whoever asks.
    asked: Any = await world.slash(world.stage_id, world["lee"], "space replay")
    assert f"Replay of **{TITLE}**" in asked.content, asked.content


def poster(world: World) -> Any:
    cog: Any = world.bot.bot.get_cog("RecapCog")
    return cog.poster


async def test_the_recap_waits_for_the_captions_to_store_the_last_phrases(world: World) -> None:
    phrases = await a_space_with_a_transcript(world)
    late = dataclasses.replace(phrases[-1], start=timedelta(seconds=280), end=timedelta(seconds=284))
    late = dataclasses.replace(late, speaker_id=world["lee"], text="Will you post the replay of beat club tonight?")

    async def finish(space_id: str) -> None:  # the captions' flush: the Space's last phrase is stored only now
        assert space_id == late.space_id
        async with database(world) as engine:
            await TranscriptService(make_uow_factory(engine)).add([late])

    poster(world).finish = finish
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: len(recaps(world)) == 1, timeout=30)
    assert f"<@{world['lee']}> at 4:40: {late.text}" in fields(recaps(world)[0])["Questions asked"]


async def test_captions_that_never_finish_hold_the_recap_only_so_long(world: World) -> None:
    await a_space_with_a_transcript(world)
    stuck = asyncio.Event()

    async def finish(space_id: str) -> None:
        await stuck.wait()  # never set: a captions pipeline that hangs

    poster(world).finish, poster(world).finish_wait = finish, 0.5
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: len(recaps(world)) == 1, timeout=30)
    assert f"<@{world['cole']}>" in fields(recaps(world)[0])["Talk time"]


async def test_a_space_without_captions_or_anything_new_gets_no_recap(world: World) -> None:
    await start_space(world, title=TITLE)
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: card(world)["embeds"][0]["title"] == f"Ended · {TITLE}")
    await poster(world).wait_idle()
    assert recaps(world) == []
    async with database(world) as engine, engine.connect() as connection:
        owed = (await connection.execute(text("SELECT count(*) FROM space_recaps"))).scalar_one()
    assert owed == 0, "nothing owed: the ended card said it all"


async def test_a_recap_owed_across_a_restart_is_posted_once(world: World) -> None:
    await a_space_with_a_transcript(world)
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: len(recaps(world)) == 1, timeout=30)
    first = int(recaps(world)[0]["id"])
    await eventually(lambda: _marked(world, first))

    # Down after the post went out, before it was marked: found in the channel, not posted again.
    await world.stop_bot()
    await owe_again(world)
    await world.start_bot()
    await eventually(lambda: _marked(world, first), timeout=15)
    assert [int(m["id"]) for m in recaps(world)] == [first]

    # Down before the post went out: posted after the restart, once.
    await world.stop_bot()
    await owe_again(world)
    world.server.world.delete_message(world.server.world.channel(world.stage_id), first)
    await world.start_bot()
    await eventually(lambda: len(recaps(world)) == 1, timeout=30)
    [again] = recaps(world)
    await eventually(lambda: _marked(world, int(again["id"])), timeout=15)
    assert str(again["message_reference"]["message_id"]) == card(world)["id"]


async def _marked(world: World, message_id: int) -> bool:
    return await recap_row(world) == message_id


async def test_the_listen_page_gets_the_ended_spaces_recap_with_names(world: World) -> None:
    """GET /spaces/{id}/recap.json: the ended view's recap, the same one the card's reply shows, with names."""
    phrases = await a_space_with_a_transcript(world)
    space = await live_space(world)
    web = world.bot.bot.app.web
    url = f"{web.base_url}/spaces/{space.id}/recap.json"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as early:
            assert early.status == 404 and "hasn't ended" in await early.text()
        await world.slash(world.stage_id, world["hana"], "space end")
        async with http.get(url) as ended:
            assert ended.status == 200, await ended.text()
            data = await ended.json()
    want = build_recap(phrases, SpaceFacts(duration=timedelta(0)))
    assert data["title"] == TITLE
    assert [q["text"] for q in data["quotes"]] == [q.text for q in want.quotes]
    assert [c["keyword"] for c in data["chapters"]] == [c.keyword for c in want.chapters]
    assert {t["name"] for t in data["talk_time"]} == {"hana", "cole", "lee"}
    assert all(isinstance(t["speaker_id"], str) for t in data["talk_time"])  # past JavaScript's exact integers
