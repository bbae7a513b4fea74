"""`python -m demo`: a short scripted Space, played by simulated members, with the real bot answering; then a
ticketed Space sold end to end (Buy ticket, Stripe Checkout paid, the signed webhook, the receipt, the gated Stage).

Everything runs on this machine: the local Discord-compatible server, the unmodified discord.py bot, SQLite, and
a local Stripe-compatible server driven by the real `stripe` SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

from demo import janus
from demo.captions import caption_a_conversation, show_recap
from demo.narrator import Narrator
from demo.tickets import sell_a_ticket
from demo.world import World, eventually, open_world

GRACE_SECONDS = 3


def last_embed_title(world: World, channel_id: int, prefix: str = "") -> str:
    for message in reversed(world.server.messages(channel_id)):
        for embed in message.get("embeds") or []:
            if str(embed.get("title")).startswith(prefix):
                return str(embed.get("title"))
    raise AssertionError(f"no card starting {prefix!r} in the channel")


async def go_live(world: World, say: Narrator) -> None:
    server, stage = world.server, world.stage_id
    await world.slash(
        world.chat_id, world.owner, "server-settings", feed_channel=world.feed_id, grace_seconds=GRACE_SECONDS
    )
    say("Olivia", f"(server owner) sets #live-now as the feed channel and a {GRACE_SECONDS} s takeover grace")
    record: Any = await world.slash(world.chat_id, world["cole"], "follow", host=world["hana"])
    say("cole", f"/follow hana → {record.content}")

    await server.join_voice(world.guild_id, world["hana"], stage)
    say("hana", "joins #Main Stage")
    record = await world.slash(stage, world["hana"], "space start", title="Friday AMA", topics="music, production")
    say("hana", f'/space start title:"Friday AMA" → {record.content}')
    await server.wait_for(lambda: server.stage_instance(stage) is not None)
    instance = server.stage_instance(stage)
    assert instance is not None  # waited for just above
    say("Discord", f"the Stage is live, its topic: {instance['topic']}")
    await server.wait_for(lambda: bool(server.dms(world["cole"])), timeout=10)
    say("cole", f"gets a DM: {server.dms(world['cole'])[-1]['content']}")
    say("Discord", f"the card in #live-now: {last_embed_title(world, world.feed_id, '🔴 LIVE')}")
    shared: Any = await world.slash(stage, world["maya"], "space share")
    listen = next((line for line in (shared.content or "").splitlines() if "browser" in line), "")
    if listen:
        say("maya", f"/space share → {listen}")


async def bring_up_a_speaker(world: World, say: Narrator) -> None:
    server, gid, stage = world.server, world.guild_id, world.stage_id
    for name in ("lee", "maya"):
        await server.join_voice(gid, world[name], stage)
        say(name, "joins #Main Stage as a listener")
    say("Discord", f"on #Main Stage now: {_who_is_on(world)}")
    await server.raise_hand(gid, world["lee"])
    say("lee", "raises a hand (Request to Speak)")
    await eventually(lambda: _queued(world, world["lee"]))
    panel: Any = await world.slash(stage, world["hana"], "space panel")
    say("hana", f"/space panel → (only hana sees) {panel.content}")
    buttons = [c for row in panel.components for c in row["components"]]
    approve = next(c for c in buttons if c["custom_id"].startswith("sp:ok:"))
    pressed = await server.click(world["hana"], panel.message_id, approve["custom_id"])
    if pressed.responded:
        await pressed.wait_done(timeout=10.0)
    say("hana", f"presses [{approve['label']}] on the panel → {pressed.content}")
    await server.wait_for(lambda: (server.voice_state(gid, world["lee"]) or {}).get("suppress") is False)
    say("Discord", f"lee is brought up to speak; on #Main Stage now: {_who_is_on(world)}")


async def hand_over(world: World, say: Narrator) -> None:
    server, stage = world.server, world.stage_id
    await server.join_voice(world.guild_id, world["cole"], stage)
    say("cole", "joins #Main Stage as a listener")
    await eventually(lambda: _present(world, world["cole"]))
    record: Any = await world.slash(stage, world["hana"], "cohost add", member=world["cole"])
    say("hana", f"/cohost add cole → {record.content}")
    await server.leave_voice(world.guild_id, world["hana"])
    say("hana", f"leaves the Stage; the Space waits {GRACE_SECONDS} s for her to come back")
    await eventually(lambda: _hosted_by(world, world["cole"]), timeout=GRACE_SECONDS + 10)
    say("Spaces", f"in the Stage chat: {server.messages(stage)[-1]['content']}")
    record = await world.slash(stage, world["cole"], "space end")
    say("cole", f"/space end → {record.content}")
    await server.wait_for(lambda: server.stage_instance(stage) is None)
    say("Discord", f"the Stage is closed; its card now reads: {last_embed_title(world, stage, 'Ended')}")
    cards = [m["embeds"][0] for m in server.messages(stage) if m.get("embeds")]
    summary = next(e for e in reversed(cards) if not str(e.get("title", "")).startswith("Recap"))
    for field in summary.get("fields", []):
        say("", f"{field['name']}: {field['value']}")


def _who_is_on(world: World) -> str:
    """The Stage as Discord shows it: speakers, then listeners (the bot itself left out)."""
    guild = world.server.guild(world.guild_id)
    users = world.server.world.users
    states = [s for s in guild.voice_states.values() if s.channel_id == world.stage_id and not users[s.user_id].bot]
    speakers = [users[s.user_id].username for s in states if not s.suppress]
    listeners = [users[s.user_id].username for s in states if s.suppress]
    return f"speaking: {', '.join(speakers) or 'nobody'} · listening: {', '.join(listeners) or 'nobody'}"


async def _live(world: World) -> Any:
    return await world.bot.bot.app.spaces.live_in_channel(world.guild_id, world.stage_id)


async def _present(world: World, user_id: int) -> bool:
    space = await _live(world)
    return space is not None and user_id in space.present


async def _queued(world: World, user_id: int) -> bool:
    space = await _live(world)
    return space is not None and user_id in space.queue


async def _hosted_by(world: World, user_id: int) -> bool:
    space = await _live(world)
    return space is not None and space.host_id == user_id


# Scheduled Spaces prompt their host right at the start (no earlier reminders in a demo of seconds).
SCHEDULES: dict[str, Any] = {"reminder_offsets": (0,), "host_alert_seconds": 1.0, "schedule_grace_seconds": 120.0}


async def main(database_dir: Path, tickets: bool = True, edges: str = "") -> None:
    world = await open_world(f"sqlite+aiosqlite:///{database_dir}/spaces.db", stripe=tickets)
    try:
        await world.start_bot(**SCHEDULES, janus_edges=edges)
        say = Narrator.of(world, bold=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
        print(f"The Spaces bot is connected to a local Discord-compatible server ({world.server.endpoint}).")
        say.cast()
        say.act("1. A live Space: hana hosts, lee is brought up to speak, captions, cole takes over, the recap")
        await go_live(world, say)
        if edges:
            await janus.listen_through_an_edge(world, say)
        await bring_up_a_speaker(world, say)
        captioned = await caption_a_conversation(world, say)
        await hand_over(world, say)
        if captioned:
            await show_recap(world, say)
        if world.stripe is not None:
            say.act(f"2. A ticketed Space, paid on a local Stripe-compatible server ({world.stripe.url})")
            await sell_a_ticket(world, say)
        print("\nDemo finished: the real bot ran a whole Space with no account anywhere.")
    finally:
        await world.close()


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="show the bot's own log lines")
    parser.add_argument("--no-tickets", action="store_true", help="skip the ticketed Space (no local Stripe server)")
    parser.add_argument("--janus", action="store_true", help="web listeners through two Janus edges (root, janus)")
    args = parser.parse_args()
    if args.janus and (why := janus.missing()) is not None:
        print(f"--janus: {why}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="spaces-demo-") as tmp, contextlib.ExitStack() as stack:
        edges = stack.enter_context(janus.DemoEdges()).setting if args.janus else ""
        try:
            asyncio.run(main(Path(tmp), tickets=not args.no_tickets, edges=edges))
        except Exception as error:  # the story went wrong: say so, with the trace for a bug report, and exit 1
            traceback.print_exc()
            print(
                f"\nDemo failed: {error or type(error).__name__} (run with --verbose for the bot's log)",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(cli())
