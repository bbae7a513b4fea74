"""The demo's voice: one line per thing that happens, who did it on the left, Discord markup rendered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from demo.render import BOLD, PLAIN, Names, readable
from demo.world import World

__all__ = ["Narrator"]


@dataclass(frozen=True)
class Narrator:
    names: Names
    guild: str
    bold: bool = False  # terminal bold for `**…**` and the act titles; off when the output is a file or a pipe

    @classmethod
    def of(cls, world: World, *, bold: bool = False) -> Narrator:
        """Names as the members of `world`'s server see them (users, its channels, its roles)."""
        state = world.server.world
        guild = state.guild(world.guild_id)
        return cls(
            Names(
                users={uid: user.username for uid, user in state.users.items()},
                channels={cid: channel.name for cid, channel in guild.channels.items()},
                roles={rid: role.name for rid, role in guild.roles.items()},
            ),
            guild.name,
            bold,
        )

    def __call__(self, who: str, text: str) -> None:
        shown = readable(text, self.names, now=datetime.now(UTC), bold=self.bold)
        first, *rest = shown.splitlines() or [""]
        print(f"  {who:<8} {first}", flush=True)
        for line in rest:  # a multi-line answer stays under its speaker, indented past the name column
            print(f"  {'':<8}   {line}", flush=True)

    def act(self, title: str) -> None:
        print(f"\n{BOLD}{title}{PLAIN}" if self.bold else f"\n{title}", flush=True)

    def cast(self) -> None:
        print(f'The server "{self.guild}": Olivia owns it; hana hosts; cole, lee and maya are members.', flush=True)
        print("#Main Stage is its Stage channel; #live-now is where live Spaces are announced.", flush=True)
