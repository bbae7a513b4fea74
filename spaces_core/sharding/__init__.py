"""The bot across processes (PostgreSQL only): each process holds some of Discord's shards and acts on their
guilds only. `ShardGroup` is what one process holds: its shards' advisory locks (a deploy's new process waits for
the old one), the mail other processes leave for its guilds (`ShardedBus`), and the web addresses of every shard.
The design, and why, is in `spaces_core/sharding/group.py` and docs/ARCHITECTURE.md ("Shards")."""

from spaces_core.sharding.bus import ShardedBus
from spaces_core.sharding.group import ShardGroup

__all__ = ["ShardGroup", "ShardedBus"]
