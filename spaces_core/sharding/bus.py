"""The message bus of a process that holds some shards: a batch about another shard's guild is mailed there.

An aggregate with a `guild_id` (a Space, a scheduled Space) whose guild this process does not hold is not
dispatched here: its whole batch goes to the holder, which dispatches it on its own bus, core handlers included.
So every handler of a guild's events runs in one process, the one that has the guild in its gateway cache and the
Space's audio: a Stripe webhook, a scheduler job or a reconciliation that ran elsewhere still ends in the owner's
Stage access, DMs and cards. Aggregates without a guild (none today) stay local.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from spaces_core.bus import MessageBus
from spaces_core.domain.shards import ShardPlan, shard_of

__all__ = ["Mail", "ShardedBus"]

# (shard id, aggregate, events): leaves the batch for the process holding that shard.
Mail = Callable[[int, object, Sequence[object]], Awaitable[None]]


class ShardedBus(MessageBus):
    def __init__(self, plan: ShardPlan) -> None:
        super().__init__()
        self.plan = plan
        self._mail: Mail | None = None

    def mail_with(self, mail: Mail) -> None:
        """Where batches for other shards go (`ShardGroup.mail`); bound once the group is built."""
        self._mail = mail

    def owner_of(self, aggregate: object) -> int | None:
        """The shard whose process must handle this aggregate's events, or None when it is this process."""
        guild_id = getattr(aggregate, "guild_id", None)
        if not isinstance(guild_id, int) or self.plan.owns(guild_id):
            return None
        return shard_of(guild_id, self.plan.count)

    async def publish(self, aggregate: object, events: Sequence[object]) -> None:
        shard = self.owner_of(aggregate) if events else None
        if shard is None:
            await super().publish(aggregate, events)
            return
        if self._mail is None:
            raise RuntimeError("a batch for another shard, but the bus has no mail: bind ShardGroup.mail first")
        await self._mail(shard, aggregate, events)

    async def publish_here(self, aggregate: object, events: Sequence[object]) -> None:
        """Dispatch a batch mailed to this process (its guild is ours) on this process's handlers."""
        await super().publish(aggregate, events)
