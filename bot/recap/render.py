"""The recap embed, posted as a reply to an ended Space's card: a pure function of the Space and its `Recap`.

Everything members said (quotes, questions, keywords, links said) and the title they typed is escaped; speakers are
`<@id>` mentions, which name them in an embed without pinging anyone. Each list keeps whole items while they fit
Discord's limits and says how many more there were; one over-long quote is shortened at a word, never mid-word.

The replay is a hint to run `/space replay`, not a link: replay links are signed for one member and last a day
(`bot.web` signs them when that member asks), so a link posted in the channel would be one member's, soon dead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import discord

from bot.limits import EMBED_TITLE, EMBED_TOTAL, FIELD_VALUE
from bot.markup import masked_link
from spaces_core.domain.space import Space
from spaces_core.recap import Recap

__all__ = ["ITEM_CHARS", "clock", "fit_items", "recap_embed"]

RECAP_COLOUR = discord.Colour.dark_teal()
ITEM_CHARS = 300  # a quote or question longer than this is shortened: five of them must share one field
MORE = "…and {n} more"
NO_TRANSCRIPT = "Captions were off, so there are no quotes, questions or chapters."
REPLAY_HINT = "🎧 Listen to the replay: `/space replay` here."
# Characters that would end a masked link's target or text early.


def recap_embed(space: Space, recap: Recap, *, replay: bool) -> discord.Embed | None:
    """The recap, or None when it would only repeat the ended card: no transcript, no web listener, no link and no
    replay leave duration, peak and speakers, which the card already shows."""
    said = bool(recap.talk_time)
    if not (said or recap.facts.peak_listeners_web or recap.links or replay):
        return None
    title = _shorten(f"Recap · {discord.utils.escape_markdown(space.title)}", EMBED_TITLE)
    embed = discord.Embed(title=title, colour=RECAP_COLOUR, description=_description(recap, replay=replay))
    sections = [
        ("Talk time", _talk_time(recap)),
        ("Key quotes", _quotes(recap)),
        ("Questions asked", _questions(recap)),
        ("Chapters", _chapters(recap)),
        ("Links shared", [masked_link(url) for url in recap.links]),
    ]
    for name, lines in sections:
        # What is left of the embed's 6,000 once this field's name is counted; the later fields are short lists.
        room = min(FIELD_VALUE, EMBED_TOTAL - len(embed) - len(name))
        value = fit_items(lines, room)
        if value:
            embed.add_field(name=name, value=value, inline=False)
    return embed


def _description(recap: Recap, *, replay: bool) -> str:
    facts = recap.facts
    web = f" · {facts.peak_listeners_web} on the web" if facts.peak_listeners_web else ""
    lines = [
        f"**Duration** {_duration(facts.duration)} · **Peak listeners** {facts.peak_listeners_discord} on Discord{web}"
    ]
    if replay:
        lines.append(REPLAY_HINT)
    if not recap.talk_time:
        lines.append(NO_TRANSCRIPT)
    return "\n".join(lines)


def _talk_time(recap: Recap) -> list[str]:
    return [f"<@{t.speaker_id}> {_duration(t.total)}" for t in recap.talk_time]


def _quotes(recap: Recap) -> list[str]:
    return [f"“{_said(q.text)}” — <@{q.speaker_id}> at {clock(q.at)}" for q in recap.quotes]


def _questions(recap: Recap) -> list[str]:
    return [f"<@{q.speaker_id}> at {clock(q.at)}: {_said(q.text)}" for q in recap.questions]


def _chapters(recap: Recap) -> list[str]:
    return [f"`{clock(c.at)}` {_said(c.keyword)}" for c in recap.chapters]


def fit_items(lines: Sequence[str], limit: int) -> str:
    """As many whole `lines` as fit in `limit` characters, then "…and N more" for those left out ("" if none fit)."""
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        left = len(lines) - index - 1
        # Room for the tail it would need if this is the last line that fits.
        reserve = 1 + len(MORE.format(n=left)) if left else 0
        if size + (1 if kept else 0) + len(line) + reserve > limit:
            break
        size += (1 if kept else 0) + len(line)
        kept.append(line)
    if len(kept) < len(lines) and kept:
        kept.append(MORE.format(n=len(lines) - len(kept)))
    return "\n".join(kept)


def clock(offset: timedelta) -> str:
    """`m:ss`, or `h:mm:ss` past an hour: where in the Space (and its replay) something was said."""
    minutes, seconds = divmod(int(offset.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _duration(duration: timedelta) -> str:
    hours, rest = divmod(int(duration.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _said(text: str) -> str:
    """Member speech as plain text on one line: shortened at a word, then escaped (so no escape is cut in two)."""
    shown = discord.utils.escape_markdown(_shorten(" ".join(text.split()), ITEM_CHARS))
    return discord.utils.escape_mentions(shown)  # "<@id>" said aloud stays text, not a mention


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
