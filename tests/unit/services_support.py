"""Wiring of the services over the in-memory fakes, shared by the service tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from spaces_core.domain.roles import Actor
from spaces_core.domain.space import Space
from spaces_core.services.follows import FollowService
from spaces_core.services.settings import SettingsService
from spaces_core.services.spaces import SpaceService
from tests.fakes import FakeClock, FakeDatabase, FakePublisher

__all__ = ["GUILD", "HOST", "STAGE", "App"]

GUILD, STAGE = 900, 901
HOST = Actor(1)


@dataclass
class App:
    db: FakeDatabase = field(default_factory=FakeDatabase)
    clock: FakeClock = field(default_factory=FakeClock)
    publisher: FakePublisher = field(default_factory=FakePublisher)

    def __post_init__(self) -> None:
        ids = iter(f"space{n}" for n in range(1, 1000))
        self.spaces = SpaceService(self.db.uow, self.clock, self.publisher, id_factory=lambda: next(ids))
        self.follows = FollowService(self.db.uow)
        self.settings = SettingsService(self.db.uow)

    async def start(self, host: Actor = HOST, channel_id: int = STAGE, present: tuple[int, ...] = ()) -> Space:
        space = await self.spaces.start_space(
            guild_id=GUILD, channel_id=channel_id, actor=host, title="Friday jam", topics="music"
        )
        for user_id in present:
            await self.spaces.member_joined(GUILD, channel_id, user_id)
        return await self.spaces.get(space.id)
