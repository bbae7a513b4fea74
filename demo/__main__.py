"""`python -m demo`: a short scripted Space, played by simulated members, with the real bot answering; then a
ticketed Space sold end to end (Buy ticket, Stripe Checkout paid, the signed webhook, the receipt, the gated Stage).

Everything runs on this machine: the local Discord-compatible server, the unmodified discord.py bot, SQLite, and
a local Stripe-compatible server driven by the real `stripe` SDK.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from demo.tickets import sell_a_ticket
from demo.world import World, eventually, open_world

GRACE_SECONDS = 3


NAMES: dict[str, str] = {}


def say(who: str, text: str) -> None:
    """Print one line, with Discord's <@id> and <#id> shown as the names a member would see."""
    readable = re.sub(r"<[@#](\d+)>", lambda m: NAMES.get(m.group(1), m.group(0)), text)
    print(f"  {who:<10} {readable}", flush=True)


def last_embed_title(world: World, channel_id: int, prefix: str = "") -> str:
    for message in reversed(world.server.messages(channel_id)):
        for embed in message.get("embeds") or []:
            if str(embed.get("title")).startswith(prefix):
                return str(embed.get("title"))
    return "(no card)"


async def play(world: World) -> None:
    server, gid, stage = world.server, world.guild_id, world.stage_id
    NAMES.update({str(uid): f"@{name}" for name, uid in world.people.items()})
    NAMES.update({str(stage): "#Main Stage", str(world.feed_id): "#live-now", str(world.chat_id): "#general"})
    await world.slash(
        world.chat_id, world.owner, "server-settings", feed_channel=world.feed_id, grace_seconds=GRACE_SECONDS
    )
    say("Olivia", f"(server owner) sets the feed channel and a {GRACE_SECONDS} s takeover grace")
    record: Any = await world.slash(world.chat_id, world["cole"], "follow", host=world["hana"])
    say("cole", f"/follow hana → {record.content}")

    await server.join_voice(gid, world["hana"], stage)
    record = await world.slash(stage, world["hana"], "space start", title="Friday AMA", topics="music, production")
    say("hana", f'/space start title:"Friday AMA" → {record.content}')
    await server.wait_for(lambda: server.stage_instance(stage) is not None)
    instance = server.stage_instance(stage)
    assert instance is not None  # waited for just above
    say("Discord", f"Stage instance open: {instance['topic']!r}")
    await server.wait_for(lambda: bool(server.dms(world["cole"])), timeout=10)
    say("cole", f"gets a DM: {server.dms(world['cole'])[-1]['content']}")
    say("Discord", f"card in #live-now: {last_embed_title(world, world.feed_id, '🔴 LIVE')}")

    shared: Any = await world.slash(stage, world["maya"], "space share")
    listen = next((line for line in (shared.content or "").splitlines() if "browser" in line), "")
    if listen:
        say("maya", f"/space share → {listen}")
    for name in ("lee", "maya"):
        await server.join_voice(gid, world[name], stage)
        say(name, "joins the Stage as a listener")
    await server.raise_hand(gid, world["lee"])
    say("lee", "raises a hand")
    await eventually(lambda: _queued(world, world["lee"]))
    panel: Any = await world.slash(stage, world["hana"], "space panel")
    say("hana", f"opens the control panel: {panel.content.splitlines()[0]}")
    approve = next(c for row in panel.components for c in row["components"] if c["custom_id"].startswith("sp:ok:"))
    await server.click(world["hana"], panel.message_id, approve["custom_id"])
    await server.wait_for(lambda: (server.voice_state(gid, world["lee"]) or {}).get("suppress") is False)
    say("Discord", "lee is brought up to speak (unsuppressed)")

    await server.join_voice(gid, world["cole"], stage)
    await eventually(lambda: _present(world, world["cole"]))
    record = await world.slash(stage, world["hana"], "cohost add", member=world["cole"])
    say("hana", f"/cohost add cole → {record.content}")

    await server.leave_voice(gid, world["hana"])
    say("hana", f"leaves the Stage; the Space waits {GRACE_SECONDS} s for her")
    await eventually(lambda: _hosted_by(world, world["cole"]), timeout=GRACE_SECONDS + 10)
    notice = server.messages(stage)[-1]["content"]
    say("Spaces", f"in the Stage chat: {notice}")

    record = await world.slash(stage, world["cole"], "space end")
    say("cole", f"/space end → {record.content}")
    await server.wait_for(lambda: server.stage_instance(stage) is None)
    say("Discord", f"Stage closed; card is now: {last_embed_title(world, stage)}")
    summary = next(m for m in reversed(server.messages(stage)) if m.get("embeds"))["embeds"][0]
    for field in summary.get("fields", []):
        say("", f"{field['name']}: {field['value']}")


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


async def main(database_dir: Path, tickets: bool = True) -> None:
    world = await open_world(f"sqlite+aiosqlite:///{database_dir}/spaces.db", stripe=tickets)
    try:
        await world.start_bot(**SCHEDULES)
        print(f"Spaces bot connected to the local Discord-compatible server at {world.server.endpoint}")
        await play(world)
        if world.stripe is not None:
            print(f"\nTicketed Space (local Stripe-compatible server at {world.stripe.url}):")
            await sell_a_ticket(world, say)
        print("Demo finished: the real bot ran a whole Space with no account anywhere.")
    finally:
        await world.close()


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="show the bot's own log lines")
    parser.add_argument("--no-tickets", action="store_true", help="skip the ticketed Space (no local Stripe server)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="spaces-demo-") as tmp:
        asyncio.run(main(Path(tmp), tickets=not args.no_tickets))
    return 0


if __name__ == "__main__":
    sys.exit(cli())
