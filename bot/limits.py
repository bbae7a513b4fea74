"""Discord's limits on what a message may hold, and fitting member-sized lists under them.

Discord refuses a message over any of these with error 50035 (Invalid Form Body): a card that breaks one stops
updating, a reply that breaks one never arrives. Lists whose length members decide (raised hands, upcoming Spaces,
pinned links) are therefore cut to fit, saying how many were left out, rather than trusted to stay short.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = [
    "ACTION_ROWS",
    "BUTTON_LABEL",
    "CONTENT",
    "CUSTOM_ID",
    "EMBED_DESCRIPTION",
    "EMBED_FIELDS",
    "EMBED_TITLE",
    "EMBED_TOTAL",
    "FIELD_NAME",
    "FIELD_VALUE",
    "FOOTER",
    "ROW_ITEMS",
    "SELECT_OPTIONS",
    "fit_lines",
]

CONTENT: Final = 2000
EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25
FIELD_NAME: Final = 256
FIELD_VALUE: Final = 1024
FOOTER: Final = 2048
EMBED_TOTAL: Final = 6000
ACTION_ROWS: Final = 5
ROW_ITEMS: Final = 5
CUSTOM_ID: Final = 100
BUTTON_LABEL: Final = 80
SELECT_OPTIONS: Final = 25


def fit_lines(
    header: str, lines: Sequence[str], *, limit: int = CONTENT, most: int | None = None, more: str = "…and {n} more."
) -> str:
    """`header`, then as many of `lines` as fit within `limit` characters (at most `most`), then "…and N more."
    when some were left out. Lines are kept whole: a cut mention or link would be worse than none."""
    shown = len(lines) if most is None else min(most, len(lines))
    full = "\n".join([header, *lines[:shown]])
    if shown == len(lines) and len(full) <= limit:
        return full
    # Room for the longest tail it could need, so the one written always fits.
    reserve = 1 + len(more.format(n=len(lines)))
    kept, size = [header], len(header)
    for line in lines[:shown]:
        if size + 1 + len(line) + reserve > limit:
            break
        kept.append(line)
        size += 1 + len(line)
    return "\n".join([*kept, more.format(n=len(lines) - (len(kept) - 1))])
