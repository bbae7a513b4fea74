"""What a Stage's Connect overwrites were before a ticketed Space closed its doors, kept across restarts.

The bot's ticket gate closes a Stage by changing Connect on `@everyone` and the moderator roles, and must put
back what the admins had set when the Space ends (a private Stage stays private), even if the bot restarted in
between and can then only see its own values. Each call is its own transaction: the gate records before it
changes anything, and forgets only once everything is back.
"""

from __future__ import annotations

from spaces_core.ports import Clock, StageConnect, UnitOfWorkFactory

__all__ = ["StageAccessMemory"]


class StageAccessMemory:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._clock = clock

    async def remember(self, channel_id: int, connect: StageConnect) -> None:
        """Record `connect` for the Stage, just before its doors close. Not called when they are closed already
        (after a restart the Stage shows the doors' own values): the record made when they closed holds."""
        async with self._uow_factory() as uow:
            await uow.stage_access.remember(channel_id, connect, self._clock.now())
            await uow.commit()

    async def recall(self, channel_id: int) -> StageConnect | None:
        async with self._uow_factory() as uow:
            return await uow.stage_access.recall(channel_id)

    async def forget(self, channel_id: int) -> None:
        async with self._uow_factory() as uow:
            await uow.stage_access.forget(channel_id)
            await uow.commit()
