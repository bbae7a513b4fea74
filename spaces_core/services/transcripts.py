"""Spaces' transcripts: the phrases live captions stored, read back as files, searched, and deleted with replays.

Writes come from the captions pipeline (`bot/captions/`), one phrase as it is transcribed; a member who opted out of
the recording is never passed here (the pipeline leaves them out before a phrase is stored).

How long a transcript is kept: as long as a replay, RECORDINGS_RETENTION_DAYS after its Space ended, whether the
Space was recorded or not (`delete_ended_before`, run by the replay retention sweep). A recorded Space's transcript
also goes the moment its replay is deleted, in the same transaction (`SpaceService.delete_replay`), and a member's
own phrases go with `/privacy delete` (`SettingsService.delete_member_data`).

Who may read a transcript (anyone who may hear the Space; a ticketed one only its ticket holders, host, co-hosts
and moderators) is decided by the bot, which knows the tickets and the members; the core finds and loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from spaces_core.domain.errors import NotFound
from spaces_core.domain.space import Space, SpaceState
from spaces_core.domain.transcripts import Phrase, TranscriptHit
from spaces_core.ports import UnitOfWork, UnitOfWorkFactory

__all__ = ["SEARCH_HITS", "FoundPhrase", "TranscriptService"]

# More than a reply shows (about ten): the bot leaves out the Spaces this member may not hear.
SEARCH_HITS = 30


@dataclass(frozen=True, slots=True)
class FoundPhrase:
    """A search hit with the Space it was said in (its title, start, replay)."""

    hit: TranscriptHit
    space: Space


class TranscriptService:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def add(self, phrases: Sequence[Phrase]) -> None:
        if not phrases:
            return
        async with self._uow_factory() as uow:
            await uow.transcripts.add(phrases)
            await uow.commit()

    async def of_space(self, space_id: str) -> list[Phrase]:
        """In the order they were said."""
        async with self._uow_factory() as uow:
            return await uow.transcripts.of_space(space_id)

    async def space_for(self, guild_id: int, channel_id: int, chosen: str | None) -> Space:
        """The Space a member asks the transcript of: the one picked (its id, or the start of its title, among
        this server's Spaces with a transcript), else the latest on this Stage (the live one, if any)."""
        async with self._uow_factory() as uow:
            if chosen is None or not chosen.strip():
                space = await uow.spaces.latest_in_channel(guild_id, channel_id)
                if space is None:
                    raise NotFound("No Space has run here yet: pick one with the `space` option.")
                return space
            space = await _picked(uow, guild_id, chosen.strip())
        if space is None:
            raise NotFound("No Space of this server with a transcript is called that: pick one from the list.")
        return space

    async def transcribed(self, guild_id: int, limit: int = 25) -> list[Space]:
        """This server's Spaces that have a transcript, newest first."""
        async with self._uow_factory() as uow:
            return await _spaces(uow, await uow.transcripts.transcribed_spaces(guild_id, limit))

    async def search(self, guild_id: int, query: str, limit: int = SEARCH_HITS) -> list[FoundPhrase]:
        """Phrases said in this server's past (ended) Spaces holding the words searched, newest Space first."""
        async with self._uow_factory() as uow:
            hits = await uow.transcripts.search(guild_id, query, limit)
            spaces = {s.id: s for s in await _spaces(uow, list(dict.fromkeys(h.space_id for h in hits)))}
        return [
            FoundPhrase(hit, spaces[hit.space_id])
            for hit in hits
            if hit.space_id in spaces and spaces[hit.space_id].state is SpaceState.ENDED
        ]

    async def delete_ended_before(self, cutoff: datetime) -> int:
        """The retention: transcripts of Spaces that ended before `cutoff` go; how many phrases went."""
        async with self._uow_factory() as uow:
            deleted = await uow.transcripts.delete_ended_before(cutoff)
            await uow.commit()
        return deleted


async def _spaces(uow: UnitOfWork, space_ids: Sequence[str]) -> list[Space]:
    found = [await uow.spaces.get(space_id) for space_id in space_ids]
    return [space for space in found if space is not None]


async def _picked(uow: UnitOfWork, guild_id: int, chosen: str) -> Space | None:
    """What the picker sends is the Space's id; a member who typed instead gets the newest title that starts
    with what they typed (case-insensitive)."""
    space = await uow.spaces.get(chosen) if chosen.isalnum() else None
    if space is not None and space.guild_id == guild_id:
        return space
    typed = chosen.casefold()
    candidates = await _spaces(uow, await uow.transcripts.transcribed_spaces(guild_id, 50))
    return next((s for s in candidates if s.title.casefold().startswith(typed)), None)
