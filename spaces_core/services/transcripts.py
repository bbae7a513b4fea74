"""Spaces' transcripts: the phrases live captions stored, read back as files, searched, and deleted with replays.

Writes come from the captions pipeline (`bot/captions/`), one phrase as it is transcribed; a member who opted out of
the recording is never passed here (the pipeline leaves them out before a phrase is stored).
"""

from __future__ import annotations

from collections.abc import Sequence

from spaces_core.domain.transcripts import Phrase
from spaces_core.ports import UnitOfWorkFactory

__all__ = ["TranscriptService"]


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
