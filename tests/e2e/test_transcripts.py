"""What was said, after the Space, as members get it: `/space transcript` (.txt and WebVTT attachments, the picker,
no transcript), `/space search` (hits with the words in bold and a replay link at that moment when recorded;
whatever is typed), and who may read a ticketed Space's (holders, host, moderators: not a stranger)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import aiohttp
import av

from demo.world import World
from sandbox import InteractionRecord
from sandbox.limits.messages import MAX_UPLOAD_BYTES
from spaces_core.domain.transcripts import Phrase, render_txt, render_vtt
from tests.e2e.conftest import eventually, live_space, press, start_space
from tests.e2e.test_pickers import choices
from tests.e2e.test_recording import record, recordings, speak
from tests.e2e.tickets_support import TITLE, live_with_a_holder


def said(space_id: str, speaker: int, start_s: float, text: str) -> Phrase:
    start = timedelta(seconds=start_s)
    return Phrase(space_id, speaker, start, start + timedelta(seconds=2), text, "en")


async def ended_space(world: World, title: str, *, recorded: bool = False, seconds: float = 2.0) -> Any:
    """A Space started and ended on the Stage by hana (recorded while she speaks `seconds` when asked)."""
    await start_space(world, title=title)
    space = await live_space(world)
    if recorded:
        await record(world, "hana", "on")
        await speak(world, {"hana": 440}, seconds)
    await world.slash(world.stage_id, world["hana"], "space end")
    await eventually(lambda: world.bot.bot.app.audio.get(space.id) is None)
    return space


def files(world: World, answer: InteractionRecord) -> dict[str, str]:
    attachments = answer.message["attachments"] if answer.message else []
    return {a["filename"]: world.server.world.uploads[int(a["id"])].decode() for a in attachments}


async def test_a_listener_gets_the_transcript_as_txt_and_webvtt_and_picks_the_space(world: World) -> None:
    app = world.bot.bot.app
    quiet = await ended_space(world, "Quiet one")
    nothing = await world.slash(world.stage_id, world["lee"], "space transcript")
    assert nothing.ephemeral and "has no transcript" in (nothing.content or ""), nothing.content

    space = await ended_space(world, "Friday AMA")
    hana, lee = world["hana"], world["lee"]
    await app.transcripts.add(
        [said(space.id, hana, 1.5, "Welcome to the Friday AMA"), said(space.id, lee, 65, "Is <b>this</b> on & live?")]
    )
    answer = await world.slash(world.stage_id, lee, "space transcript")  # the latest Space on this Stage
    assert answer.ephemeral and "2 phrases" in (answer.content or ""), answer.content
    got = files(world, answer)
    assert (
        got["Friday-AMA.txt"]
        == "[00:00:01] hana: Welcome to the Friday AMA\n[00:01:05] lee: Is <b>this</b> on & live?\n"
    )
    vtt = got["Friday-AMA.vtt"]
    assert vtt.startswith("WEBVTT\n\n00:00:01.500 --> 00:00:03.500\n<v hana>Welcome to the Friday AMA\n")
    assert "<v lee>Is &lt;b&gt;this&lt;/b&gt; on &amp; live?" in vtt

    picked = await choices(world, lee, "space transcript", "space", channel=world.chat_id)
    assert [c["value"] for c in picked] == [space.id]  # only Spaces with a transcript; "Quiet one" has none
    assert picked[0]["name"].startswith("Friday AMA · ")
    elsewhere = await world.slash(world.chat_id, lee, "space transcript", space=picked[0]["value"])
    assert set(files(world, elsewhere)) == {"Friday-AMA.txt", "Friday-AMA.vtt"}
    typed = await world.slash(world.chat_id, lee, "space transcript", space="friday")
    assert "2 phrases" in (typed.content or ""), typed.content
    unknown = await world.slash(world.chat_id, lee, "space transcript", space="no such space")
    assert unknown.ephemeral and "pick one from the list" in (unknown.content or ""), unknown.content
    assert quiet.id != space.id


def replay_links(answer: InteractionRecord) -> list[str]:
    return re.findall(r"\((https?://[^)\s]+/replays/[^)\s]+)\)", answer.embeds[0]["description"])


async def test_search_finds_words_said_bolds_them_and_links_the_replay_at_that_moment(world: World) -> None:
    app, lee, hana = world.bot.bot.app, world["lee"], world["hana"]
    unrecorded = await ended_space(world, "Unrecorded jam")
    recorded = await app.spaces.get((await ended_space(world, "Recorded jam", recorded=True)).id)
    # Said a second before the end: a second before the replay's end, wherever the recording began.
    lasted = (recorded.ended_at - recorded.started_at).total_seconds()
    with av.open(str(recordings(world) / f"{recorded.id}.ogg")) as replay:
        at = int(replay.duration / 1e6 - 1)
    await app.transcripts.add(
        [
            said(unrecorded.id, hana, 5, "The drum machine is *vintage* @everyone"),
            said(recorded.id, lee, lasted - 1, "Who brought the drum machine?"),
        ]
    )
    answer = await world.slash(world.chat_id, lee, "space search", query="drum mach")
    assert answer.ephemeral and len(answer.embeds) == 1, answer.content
    text = answer.embeds[0]["description"]
    assert "**Recorded jam** · lee ·" in text and "Who brought the **drum** **machine**?" in text
    assert "**Unrecorded jam** · hana · 0:05 ·" in text  # no link: never recorded
    assert "The **drum** **machine** is \\*vintage\\* @\u200beveryone" in text  # what was said, as plain text
    assert text.index("Recorded jam") < text.index("Unrecorded jam")  # the newest Space first
    links = replay_links(answer)
    assert len(links) == 1 and links[0].endswith(f"&t={at}"), (links, at)
    async with aiohttp.ClientSession() as http, http.get(links[0]) as page:
        assert page.status == 200 and "<audio" in await page.text()

    for typed, expected in [
        ("nobody said this", "Nothing said in this server's past Spaces matches “nobody said this”."),
        ('"', "Type a word or two"),
        ("*", "Type a word or two"),
        ("   ", "Type a word or two"),
        ("drum NEAR machine", "Nothing said in this server's past Spaces matches"),
        ("-drum", "Said in this server's past Spaces"),
        ('"vintage', "Said in this server's past Spaces"),
    ]:
        found = await world.slash(world.chat_id, lee, "space search", query=typed)
        shown = (found.content or "") + "".join(e.get("title") or "" for e in found.embeds)
        assert found.ephemeral and expected in shown, (typed, shown)


async def test_a_ticketed_spaces_transcript_is_for_those_who_could_hear_it(ticket_world: World) -> None:
    world = ticket_world
    await live_with_a_holder(world, "cole")
    space = await live_space(world)
    await world.slash(world.stage_id, world["hana"], "space end")
    await world.bot.bot.app.transcripts.add([said(space.id, world["hana"], 3, "The secret chord progression")])

    stranger = await world.slash(world.stage_id, world["lee"], "space transcript")
    assert stranger.ephemeral and "Only members who may hear" in (stranger.content or ""), stranger.content
    assert not stranger.message or not stranger.message.get("attachments")
    for name in ("cole", "mo", "hana"):  # a holder, a moderator, the host
        answer = await world.slash(world.stage_id, world[name], "space transcript")
        assert "[00:00:03] hana: The secret chord progression\n" in next(iter(files(world, answer).values()))

    nothing = await world.slash(world.chat_id, world["lee"], "space search", query="secret chord")
    assert "Nothing said" in (nothing.content or ""), nothing.content
    holder = await world.slash(world.chat_id, world["cole"], "space search", query="secret chord")
    assert f"**{TITLE}** · hana · 0:03" in holder.embeds[0]["description"]


async def test_the_transcript_goes_with_the_replay_and_privacy_delete_takes_a_members_phrases(world: World) -> None:
    app, lee, hana = world.bot.bot.app, world["lee"], world["hana"]
    unrecorded = await ended_space(world, "Open mic")
    recorded = await ended_space(world, "Recorded jam", recorded=True)
    await app.transcripts.add([said(unrecorded.id, lee, 1, "lee at the open mic"), said(unrecorded.id, hana, 2, "hi")])
    await app.transcripts.add([said(recorded.id, lee, 1, "lee in the recording")])

    asked = await world.slash(world.chat_id, lee, "privacy delete")
    done = await press(world, lee, asked, "Confirm")
    assert "what you said in Spaces" in (done.content or ""), done.content
    assert [p.text for p in await app.transcripts.of_space(unrecorded.id)] == ["hi"]
    assert await app.transcripts.of_space(recorded.id) == []
    gone = await world.slash(world.chat_id, hana, "space search", query="lee")
    assert "Nothing said" in (gone.content or ""), gone.content

    await app.transcripts.add([said(recorded.id, hana, 1, "hana in the recording")])
    asked = await world.slash(world.stage_id, hana, "space replay", action="delete")
    deleted = await press(world, hana, asked, "Confirm")
    assert "is deleted" in (deleted.content or ""), deleted.content
    answer = await world.slash(world.stage_id, hana, "space transcript")  # the latest Space on this Stage
    assert "has no transcript" in (answer.content or ""), answer.content


async def test_a_transcript_over_discords_upload_limit_sends_what_fits_and_says_what_does_not(world: World) -> None:
    """5,000 phrases of about 2 KB: the .txt fits under 10 MiB, the .vtt (longer by its cue timings) does not."""
    app, hana = world.bot.bot.app, world["hana"]
    space = await ended_space(world, "Marathon")
    words = "la " * 690
    phrases = [said(space.id, hana, n * 2, words) for n in range(5000)]
    names = {hana: "hana"}
    assert len(render_txt(phrases, names).encode()) <= MAX_UPLOAD_BYTES < len(render_vtt(phrases, names).encode())
    await app.transcripts.add(phrases)

    answer = await world.slash(world.stage_id, world["lee"], "space transcript")
    assert "Marathon.vtt is too big to attach here" in (answer.content or ""), answer.content
    assert list(files(world, answer)) == ["Marathon.txt"]
