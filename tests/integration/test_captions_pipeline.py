"""The captions pipeline between the transcriber and the store, on SQLite and PostgreSQL: captions reach the live
feed under the speaker's name, are stored as transcript phrases unless the speaker opted out of recording, say
"delayed" when late and stop saying it once caught up, and a Space's end (`finish`) returns with every caption
stored. Captions are handed in as the transcriber hands them (its own tests cover the speech)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord

from bot.audio.rooms import AudioRooms
from bot.captions.chat import CaptionsChat
from bot.captions.feed import CaptionFeed
from bot.captions.model import CaptionsModel
from bot.captions.pipeline import LATE_S, LiveCaptions
from spaces_core.captions.transcriber import Caption
from spaces_core.domain.space import Space
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.services.transcripts import TranscriptService

HOST, SPEAKER, PRIVATE = 1, 2, 3
NAMES = {HOST: "Hana", SPEAKER: "Cole", PRIVATE: "Maya"}


async def captioned_space(uows: UnitOfWorkFactory) -> Space:
    space, _ = Space.open(
        space_id="s1", guild_id=5, channel_id=6, host_id=HOST, title="Jam", topics="", now=datetime.now(UTC)
    )
    space.speakers += [SPEAKER, PRIVATE]
    space.recording_opt_outs.add(PRIVATE)
    space.captions = True
    async with uows() as uow:
        await uow.spaces.add(space)
        await uow.commit()
    return space


async def test_captions_are_shown_stored_without_the_opted_out_and_finished(uows: UnitOfWorkFactory) -> None:
    space = await captioned_space(uows)
    feed, model, redrawn = CaptionFeed(), CaptionsModel(None), list[str]()

    async def language_of(guild_id: int) -> str:
        return "en"

    live = LiveCaptions(
        model,
        AudioRooms(recordings_dir=None),
        feed,
        CaptionsChat(discord.Client(intents=discord.Intents.none()), feed, interval=1.0),
        TranscriptService(uows),
        name_of=lambda guild_id, user_id: NAMES[user_id],
        language_of=language_of,
        redraw=lambda changed: redrawn.append(changed.id),
    )
    await live.follow(space)
    assert feed.state("s1").on

    model.on_caption(Caption(HOST, 1.0, 2.5, "Welcome everyone.", 0.4, key="s1"))
    model.on_caption(Caption(PRIVATE, 3.0, 4.0, "Off the record.", LATE_S + 1, key="s1"))
    assert feed.delayed("s1") and redrawn == ["s1"]
    model.on_caption(Caption(SPEAKER, 4.0, 5.0, "Thanks for having me.", 0.3, key="s1"))
    assert not feed.delayed("s1") and redrawn == ["s1", "s1"]
    assert [(line.name, line.text) for line in feed.recent("s1", 8)] == [
        ("Hana", "Welcome everyone."),
        ("Maya", "Off the record."),
        ("Cole", "Thanks for having me."),
    ]

    space.end(None, datetime.now(UTC))
    await live.finish("s1")
    phrases = await TranscriptService(uows).of_space("s1")
    assert [(p.speaker_id, p.start, p.end, p.text, p.language) for p in phrases] == [
        (HOST, timedelta(seconds=1), timedelta(seconds=2.5), "Welcome everyone.", "en"),
        (SPEAKER, timedelta(seconds=4), timedelta(seconds=5), "Thanks for having me.", "en"),
    ]
    assert not feed.state("s1").on  # the ended Space's lines are dropped from the feed
    await live.stop()
