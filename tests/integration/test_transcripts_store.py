"""Transcripts in the store, on SQLite (FTS5) and PostgreSQL (tsvector + GIN): phrases kept in order, found by
what was said in one guild's Spaces only, newest Space first; whatever a member types (quotes, `*`, `-`, `NEAR`,
`AND`/`OR`, nothing, an essay) is a search that never raises; deleted per Space and per member (/privacy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spaces_core.domain.space import Space
from spaces_core.domain.transcripts import Phrase, matched_spans
from spaces_core.ports import UnitOfWorkFactory
from spaces_core.store.transcripts import MAX_HITS

GUILD, OTHER_GUILD = 1_574_872_490_587_586_568, 900
HANA, LEE = 2**63 - 1, 11
T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def said(space_id: str, speaker: int, start_s: float, words: str) -> Phrase:
    start = timedelta(seconds=start_s)
    return Phrase(space_id, speaker, start, start + timedelta(seconds=2.5), words, "en")


async def open_space(uows: UnitOfWorkFactory, space_id: str, guild_id: int, days: int) -> None:
    space, _ = Space.open(
        space_id=space_id,
        guild_id=guild_id,
        channel_id=guild_id + days + 1,
        host_id=HANA,
        title="Friday jam",
        topics="music",
        now=T0 + timedelta(days=days),
        speaker_limit=10,
    )
    async with uows() as uow:
        await uow.spaces.add(space)
        await uow.commit()


async def add(uows: UnitOfWorkFactory, *phrases: Phrase) -> None:
    async with uows() as uow:
        await uow.transcripts.add(phrases)
        await uow.commit()


async def found(uows: UnitOfWorkFactory, query: str, guild_id: int = GUILD, limit: int = 10) -> list[tuple[str, str]]:
    async with uows() as uow:
        hits = await uow.transcripts.search(guild_id, query, limit)
    return [(hit.space_id, hit.text) for hit in hits]


@pytest.fixture
async def spaces(uows: UnitOfWorkFactory) -> UnitOfWorkFactory:
    """Two Spaces in the guild (old, then new a day later) and one in another guild, each with a transcript."""
    await open_space(uows, "old", GUILD, 0)
    await open_space(uows, "new", GUILD, 1)
    await open_space(uows, "elsewhere", OTHER_GUILD, 2)
    await add(
        uows,
        said("old", HANA, 3725, "Who is on the stage tonight?"),  # added out of order: read back by time
        said("old", LEE, 1.5, "Welcome to the Friday jam, everyone"),
        said("new", LEE, 10, "Who brought the drum machine"),
        said("new", HANA, 12, 'It\'s a "vintage" drum-machine & sampler'),
        said("elsewhere", HANA, 5, "Who is here from the other server"),
    )
    return uows


async def test_a_spaces_phrases_come_back_in_order_exactly(spaces: UnitOfWorkFactory) -> None:
    async with spaces() as uow:
        phrases = await uow.transcripts.of_space("old")
        assert await uow.transcripts.of_space("missing") == []
    assert phrases == [
        said("old", LEE, 1.5, "Welcome to the Friday jam, everyone"),
        said("old", HANA, 3725, "Who is on the stage tonight?"),
    ]


async def test_times_are_kept_to_the_nearest_millisecond_not_cut_short(spaces: UnitOfWorkFactory) -> None:
    """A caption's times come from a float clock: 2.9996 s is kept as 3.000 s (it was floored to 2.999)."""
    start, end = timedelta(seconds=2.9996), timedelta(seconds=4.0004)
    await add(spaces, Phrase("old", LEE, start, end, "On the dot", "en"))
    async with spaces() as uow:
        kept = [p for p in await uow.transcripts.of_space("old") if p.text == "On the dot"]
    assert [(p.start, p.end) for p in kept] == [(timedelta(seconds=3), timedelta(seconds=4))]


async def test_search_finds_who_in_this_guild_only_newest_space_first(spaces: UnitOfWorkFactory) -> None:
    # "who" is a stop word of PostgreSQL's english configuration: `simple` keeps it.
    assert await found(spaces, "who") == [
        ("new", "Who brought the drum machine"),
        ("old", "Who is on the stage tonight?"),
    ]
    assert await found(spaces, "who", OTHER_GUILD) == [("elsewhere", "Who is here from the other server")]
    assert await found(spaces, "WHO is ON") == [("old", "Who is on the stage tonight?")]  # every word, any case
    assert await found(spaces, "who", limit=1) == [("new", "Who brought the drum machine")]
    assert await found(spaces, "who", limit=0) == []
    assert await found(spaces, "sta") == [("old", "Who is on the stage tonight?")]  # the last word is a prefix
    assert await found(spaces, "sta jam") == []  # only the last one
    assert await found(spaces, "nobody said this") == []


@pytest.mark.parametrize(
    ("typed", "hits"),
    [
        ("", []),
        ("  \t ", []),
        ('"', []),
        ('"vintage', ["new"]),
        ('"vintage" "drum', ["new"]),
        ("drum*", ["new", "new"]),
        ("*", []),
        ("-drum", ["new", "new"]),
        ("drum-machine", ["new", "new"]),
        ("drum NEAR machine", []),  # NEAR is a word like any other, and nobody said it
        ("drum AND machine", []),
        ("drum OR jam", []),
        ("who:*", ["new", "old"]),
        ("who & ! | <-> (", ["new", "old"]),
        ("it's", ["new"]),
        ("'; DROP TABLE transcript_phrases; --", []),
        ("\\ \" ' ` ; ) ( } { ^", []),
    ],
)
async def test_nothing_a_member_types_makes_the_search_fail(
    spaces: UnitOfWorkFactory, typed: str, hits: list[str]
) -> None:
    assert [space for space, _ in await found(spaces, typed)] == hits


async def test_a_very_long_search_neither_fails_nor_hangs(spaces: UnitOfWorkFactory) -> None:
    assert await found(spaces, "who " * 20_000) == await found(spaces, "who")
    assert await found(spaces, "x" * 200_000) == []
    assert await found(spaces, "who", limit=10_000) == await found(spaces, "who", limit=MAX_HITS)


async def test_delete_a_spaces_transcript_and_a_members_phrases(spaces: UnitOfWorkFactory) -> None:
    async with spaces() as uow:
        await uow.transcripts.delete_space("old")
        await uow.transcripts.delete_member(LEE)
        await uow.commit()
    assert await found(spaces, "who") == []  # old's phrase gone with its Space, new's by LEE gone with him
    assert await found(spaces, "drum") == [("new", 'It\'s a "vintage" drum-machine & sampler')]
    assert await found(spaces, "welcome") == []  # the index follows the deletes, not just the table
    async with spaces() as uow:
        assert await uow.transcripts.of_space("old") == []
        assert [p.speaker_id for p in await uow.transcripts.of_space("new")] == [HANA]
    assert await found(spaces, "who", OTHER_GUILD) == [("elsewhere", "Who is here from the other server")]


async def test_phrases_written_without_a_commit_are_not_kept(spaces: UnitOfWorkFactory) -> None:
    async with spaces() as uow:
        await uow.transcripts.add([said("new", HANA, 30, "uncommitted words")])
    assert await found(spaces, "uncommitted") == []


@pytest.mark.parametrize("typed", ["who", "sta", "DRUM mach", '"vintage" sampler'])
async def test_every_hit_has_the_words_to_highlight(spaces: UnitOfWorkFactory, typed: str) -> None:
    hits = await found(spaces, typed)
    assert hits
    for _, said_text in hits:
        assert matched_spans(said_text, typed), said_text
