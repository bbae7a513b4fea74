"""The recap owed for each ended Space: owed at its end, built from its stored phrases, marked posted once shown.

The debt is a row in the database (`RecapRepository`), written as the Space ends, so a bot restarted before the
recap was posted still owes it, and one posted is never owed again. A recap not posted within `GIVE_UP_AFTER` of
the end is dropped: a recap of last week's Space, arriving out of nowhere, would be noise in the channel.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from spaces_core.domain.space import Space, SpaceState
from spaces_core.ports import Clock, UnitOfWorkFactory
from spaces_core.recap import Recap, SpaceFacts, build_recap

__all__ = ["GIVE_UP_AFTER", "OwedRecap", "RecapService"]

GIVE_UP_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class OwedRecap:
    space: Space
    web_peak: int  # the most web listeners connected at once, as the Space ended


class RecapService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def owe(self, space_id: str, web_peak: int) -> bool:
        """Owe the ended Space's recap; False when it was already owed or posted (the end seen twice)."""
        async with self._uow_factory() as uow:
            owed = await uow.recaps.owe(space_id, web_peak)
            await uow.commit()
        return owed

    async def posted(self, space_id: str, message_id: int) -> None:
        async with self._uow_factory() as uow:
            await uow.recaps.posted(space_id, message_id)
            await uow.commit()

    async def not_needed(self, space_id: str) -> None:
        """Nothing to post (the ended card says it all): no longer owed."""
        async with self._uow_factory() as uow:
            await uow.recaps.forget(space_id)
            await uow.commit()

    async def owed(self) -> list[OwedRecap]:
        """The recaps still owed (a restart came between an end and its recap); those too old are given up."""
        now, out = self._clock.now(), []
        async with self._uow_factory() as uow:
            for space_id, web_peak in await uow.recaps.owed():
                space = await uow.spaces.get(space_id)
                ended = space.ended_at if space is not None and space.state == SpaceState.ENDED else None
                if space is None or ended is None or now - ended > GIVE_UP_AFTER:
                    await uow.recaps.forget(space_id)
                else:
                    out.append(OwedRecap(space, web_peak))
            await uow.commit()
        return out

    async def ended_recap(self, space: Space) -> Recap:
        """The recap of an ended Space as a page shows it: with the web peak recorded at its end (0 when no row
        was kept: a Space whose recap wasn't needed had no web listeners)."""
        async with self._uow_factory() as uow:
            web_peak = await uow.recaps.web_peak(space.id)
        return await self.recap(space, web_peak or 0)

    async def recap(self, space: Space, web_peak: int) -> Recap:
        """The ended Space's recap from the phrases stored so far, built in a thread: keywords and TextRank are
        CPU work and the event loop runs the audio's 20 ms ticks. Measured on 2 shared cores: a 5-minute Space
        0.05–0.1 s, no tick late; a 2-hour one (2,400 phrases) 1.4–2.3 s, 2–6 ticks late by at most 66 ms (yake
        is pure Python and holds the GIL). A process would spare those ticks, but a spawned one imports the
        whole bot (`bot.__main__`) for each recap and a fork server keeps a copy of it resident: not worth it
        for a few late ticks once per long Space."""
        async with self._uow_factory() as uow:
            phrases = await uow.transcripts.of_space(space.id)
        facts = SpaceFacts(
            duration=space.summary(space.ended_at or self._clock.now()).duration,
            peak_listeners_discord=space.peak_listeners,
            peak_listeners_web=web_peak,
            pinned_links=tuple(space.links),
        )
        return await asyncio.to_thread(build_recap, phrases, facts)
