"""`python -m demo` as a host runs it (what `bash scripts/demo` ends with): the whole story, in readable text.

Run as its own process, the way the README's command runs it, so the exit status and the printed text are the
ones a host sees.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READABLE_TIME = re.compile(r"\w+day \d{1,2} \w+ \d{4}, \d{2}:\d{2} \S+")  # `<t:…:F>` in the machine's zone


async def run_demo() -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "demo", cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_demo_tells_the_whole_story_in_readable_text() -> None:
    status, out, err = await run_demo()

    assert status == 0, f"{out}\n{err}"
    assert "Demo failed" not in err
    # Discord markup, rendered: no asterisks, no raw timestamps, no ids where a member sees names.
    assert "**" not in out, out
    assert "<t:" not in out, out
    assert not re.search(r"<(@[!&]?|#)\d+>", out), out
    assert READABLE_TIME.search(out), out
    assert "\033[" not in out, "terminal bold in a pipe"
    # The Approve press, who it brought up, and who is on the Stage.
    assert "hana     presses [Approve lee] on the panel → @lee is now a speaker." in out, out
    assert "on #Main Stage now: speaking: hana, lee · listening: maya" in out, out
    # The ticket sale, paid and counted, and the gate.
    assert "Stripe   cole pays 5.00 USD on the Checkout page" in out, out
    assert "/space sales → Tickets sold: 1 ·" in out, out
    assert "lee      has no ticket: Discord won't let him connect" in out, out
    # Live captions under the speakers' names, and the recap after the end (loose: whisper hears espeak's voice).
    assert "hana     /space captions on → Captions are on" in out, out
    assert re.search(r"lee: .*drums", out, re.IGNORECASE), out
    assert "replies to the card with the recap: Recap · Friday AMA" in out, out
    assert re.search(r"Talk time: @(hana|lee) \d+ s", out), out
    assert out.rstrip().endswith("Demo finished: the real bot ran a whole Space with no account anywhere."), out
