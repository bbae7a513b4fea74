"""Which shard holds a guild, as Discord computes it, and the shards one process holds.

Discord sends a guild's events to one gateway session only: shard ``(guild_id >> 22) % shard_count`` (the
snowflake's timestamp part, so new guilds spread evenly). A process that holds some of the shards therefore sees
the commands, voice states and Stage of those guilds only, and is the one that must act on their Spaces.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_SHARDS", "ShardPlan", "shard_of"]

# Far beyond any bot this one will run (Discord asks for a shard per 2,500 guilds at most): a typo guard.
MAX_SHARDS = 4096


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives `guild_id`'s events when the bot runs `shard_count` shards."""
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """`count` shards in all, of which this process holds `ids` (every one by default: an unsharded bot)."""

    count: int = 1
    ids: tuple[int, ...] = (0,)

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_SHARDS:
            raise ValueError(f"the shard count must be from 1 to {MAX_SHARDS}, not {self.count}")
        if not self.ids:
            raise ValueError("a process must hold at least one shard")
        outside = [i for i in self.ids if not 0 <= i < self.count]
        if outside:
            raise ValueError(f"shard ids {outside} are outside 0..{self.count - 1} (there are {self.count} shards)")
        if len(set(self.ids)) != len(self.ids):
            raise ValueError(f"shard ids {list(self.ids)} name a shard twice")

    @classmethod
    def every(cls, count: int) -> ShardPlan:
        return cls(count, tuple(range(count)))

    @property
    def holds_all(self) -> bool:
        """One process for the whole bot: nothing is ever another process's."""
        return len(self.ids) == self.count

    def owns(self, guild_id: int) -> bool:
        return shard_of(guild_id, self.count) in self.ids
