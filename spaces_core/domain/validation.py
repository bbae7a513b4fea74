"""Clean-up and checks for what members type: titles, topics, links."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from spaces_core.domain.errors import InvalidInput
from spaces_core.domain.rules import MAX_TITLE, MAX_TOPIC, MAX_TOPICS, MAX_URL

__all__ = ["clean_title", "clean_topics", "clean_url"]


def clean_title(title: str) -> str:
    cleaned = " ".join(title.split())  # newlines and runs of spaces would break the Stage topic and the card
    if not cleaned:
        raise InvalidInput("Give your Space a title.")
    if len(cleaned) > MAX_TITLE:
        raise InvalidInput(f"Titles can be at most {MAX_TITLE} characters (yours has {len(cleaned)}).")
    return cleaned


def clean_topics(topics: str | Iterable[str]) -> tuple[str, ...]:
    """Accept "music, q&a" as typed in a slash command or a list; strip, drop blanks, dedupe ignoring case."""
    raw = topics.split(",") if isinstance(topics, str) else list(topics)
    cleaned: list[str] = []
    seen: set[str] = set()
    for topic in raw:
        topic = " ".join(topic.split())
        if not topic or topic.casefold() in seen:
            continue
        if len(topic) > MAX_TOPIC:
            raise InvalidInput(
                f'Topics can be at most {MAX_TOPIC} characters ("{topic[:MAX_TOPIC]}…" has {len(topic)}).'
            )
        seen.add(topic.casefold())
        cleaned.append(topic)
    if len(cleaned) > MAX_TOPICS:
        raise InvalidInput(f"A Space can have at most {MAX_TOPICS} topics (you gave {len(cleaned)}).")
    return tuple(cleaned)


def clean_url(url: str) -> str:
    cleaned = url.strip()
    if len(cleaned) > MAX_URL:
        raise InvalidInput(f"Links can be at most {MAX_URL} characters (yours has {len(cleaned)}).")
    try:
        parts = urlsplit(cleaned)
    except ValueError as exc:
        raise InvalidInput("That doesn't look like a web link.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput("Links must start with http:// or https://.")
    if not parts.netloc or any(char.isspace() for char in cleaned):
        raise InvalidInput("That doesn't look like a web link.")
    return cleaned
