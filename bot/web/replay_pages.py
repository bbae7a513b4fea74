"""What the replay page shows before any script runs: the Space's header, and the pages for a link that can't open.

The header is rendered on the server rather than fetched by the page: the title is then in the tab and the first
heading a screen reader announces, nothing shifts when it arrives, and it reads the same without JavaScript (the
script only puts the date into the viewer's own locale and time zone). Every value a member chose (the title,
names) goes through ``html.escape`` here and nowhere else; what was *said* in the Space is never rendered here
(the page builds it with ``textContent``).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from urllib.parse import quote

__all__ = ["FactsOf", "ReplayFacts", "attachment_header", "error_page", "header_html", "human_length", "page_html"]

_PLACEHOLDER = re.compile(r"%([A-Z_]+)%")
MAX_FILENAME = 80  # characters before ".ogg": long titles stay readable in a download list
_RESERVED = re.compile(r'[<>:"/\\|?*]')  # what Windows, macOS or a shell would choke on in a file name


@dataclass(frozen=True, slots=True)
class ReplayFacts:
    """The Space as its header shows it; `avatar` and `icon` are Discord CDN URLs (None: the server has none)."""

    title: str
    host_name: str
    host_avatar: str | None
    server_name: str
    server_icon: str | None
    started_at: datetime
    length_seconds: float | None  # the replay's own length; None when the file can't be read


FactsOf = Callable[[str], Awaitable[ReplayFacts | None]]  # None: the Space is not known (any more)


def _static(name: str) -> str:
    return resources.files("bot.web").joinpath(f"static/{name}").read_text(encoding="utf-8")


def _fill(template: str, values: Mapping[str, str]) -> str:
    """One pass over the template, so a title that reads like a placeholder is never filled in itself."""
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), template)


def human_length(seconds: float) -> str:
    """ "1 h 05 min", "4 min 10 s", "12 s": the length as a person says it, at the precision that matters."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _initials(name: str) -> str:
    """What Discord shows for a server without an icon: the first letter of each of its first words."""
    firsts = (next((c for c in word if c.isalnum()), "") for word in name.split())
    return "".join(firsts)[:3].upper() or "?"


def _picture(url: str | None, css: str, fallback: str) -> str:
    """A decorative picture (the name is written beside it); the initials show if it has none or fails to load."""
    letters = f'<span class="{css} initials" aria-hidden="true">{html.escape(_initials(fallback))}</span>'
    if url is None:
        return letters
    image = f'<img class="{css}" src="{html.escape(url)}" alt="" width="40" height="40" data-fallback>'
    return image + letters.replace('class="', 'hidden class="', 1)


def header_html(facts: ReplayFacts | None) -> str:
    if facts is None:
        plain = '<p class="kicker">Replay</p><h1 id="space-title">Replay of a Space</h1>'
        return f'{plain}<p class="meta">{_length(None)}</p>'
    moment = facts.started_at
    started = (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)
    return (
        f'<p class="server">{_picture(facts.server_icon, "server-icon", facts.server_name)}'
        f"<span>{html.escape(facts.server_name)}</span></p>"
        f'<p class="kicker">Replay</p><h1 id="space-title">{html.escape(facts.title)}</h1>'
        f'<p class="host">{_picture(facts.host_avatar, "avatar", facts.host_name)}'
        f'<span>Hosted by <strong id="host-name">{html.escape(facts.host_name)}</strong></span></p>'
        f'<p class="meta"><time id="when" datetime="{started.isoformat()}">'
        f"{started.strftime('%d %B %Y, %H:%M')} UTC</time>"
        f'<span aria-hidden="true"> · </span>{_length(facts.length_seconds)}</p>'
    )


def _length(seconds: float | None) -> str:
    """Empty when unknown: the page then writes the player's own length in once it has read the file."""
    told = "" if seconds is None else human_length(seconds)
    return f'<span class="visually-hidden">Length: </span><span id="length">{told}</span>'


def replay_filename(facts: ReplayFacts | None) -> str:
    """The title as a file name any system takes: no control or format characters (a right-to-left override
    could disguise the extension), no separators or reserved signs, one space between words, at most 80 long."""
    title = unicodedata.normalize("NFC", facts.title if facts is not None else "")
    kept = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in title)
    stem = " ".join(_RESERVED.sub(" ", kept).split()).strip(" .")[:MAX_FILENAME].strip(" .")
    return f"{stem or 'Space replay'}.ogg"


def attachment_header(filename: str) -> str:
    """RFC 6266: the UTF-8 name for every current browser, and an ASCII one for anything older."""
    kept = filename[: -len(".ogg")].encode("ascii", "ignore").decode()
    ascii_stem = " ".join(kept.split()).strip(" .") or "Space replay"
    return f"attachment; filename=\"{ascii_stem}.ogg\"; filename*=UTF-8''{quote(filename, safe='')}"


def page_html(facts: ReplayFacts | None, *, audio: str, lines: str) -> str:
    """The replay page; `audio` and `lines` are the signed URLs of the file and the transcript."""
    filename = replay_filename(facts)
    title = "Replay" if facts is None else f"{facts.title} · Replay"
    return _fill(
        _static("replay.html"),
        {
            "STYLE": _static("replay.css"),
            "SCRIPT": _static("replay.js"),
            "TITLE": html.escape(title),
            "HEADER": header_html(facts),
            "SRC": html.escape(audio),
            "DOWNLOAD": html.escape(f"{audio}&download=1"),
            "FILENAME": html.escape(filename),
            "LINES": html.escape(lines),
        },
    )


def error_page(heading: str, reason: str) -> str:
    """A link that can't open the replay: what happened, in the same look as the page, and how to get a new one."""
    values = {"STYLE": _static("replay.css"), "HEADING": html.escape(heading), "REASON": html.escape(reason)}
    return _fill(_static("replay_error.html"), values)
