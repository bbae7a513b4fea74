"""What real Discord refuses with error 50035, checked on a message payload as the bot sent it.

The local server accepts more than Discord does; these checks hold our payloads to Discord's documented limits.
"""

from __future__ import annotations

from typing import Any

__all__ = ["discord_refusals"]


def _embed_refusals(embed: dict[str, Any]) -> list[str]:
    fields = embed.get("fields") or []
    texts = {
        "title": (embed.get("title") or "", 256),
        "description": (embed.get("description") or "", 4096),
        "footer": ((embed.get("footer") or {}).get("text") or "", 2048),
        "author": ((embed.get("author") or {}).get("name") or "", 256),
    }
    for index, field in enumerate(fields):
        texts[f"field {index} name"] = (field.get("name") or "", 256)
        texts[f"field {index} value"] = (field.get("value") or "", 1024)
    found = [f"{key}: {len(text)} > {most}" for key, (text, most) in texts.items() if len(text) > most]
    found += [f"field {i} is empty" for i, f in enumerate(fields) if not f.get("name") or not f.get("value")]
    if len(fields) > 25:
        found.append(f"{len(fields)} fields > 25")
    total = sum(len(text) for text, _ in texts.values())
    if total > 6000:
        found.append(f"embed total: {total} > 6000")
    return found


def _component_refusals(rows: list[dict[str, Any]]) -> list[str]:
    found = [f"{len(rows)} action rows > 5"] if len(rows) > 5 else []
    for row_index, row in enumerate(rows):
        items = row.get("components") or []
        selects = [c for c in items if c.get("type") != 2]
        if len(items) > 5 or (selects and len(items) > 1):
            found.append(f"row {row_index}: {len(items)} components (5 buttons, or one menu)")
        for item in items:
            if len(str(item.get("custom_id") or "")) > 100:
                found.append(f"custom_id over 100: {item.get('custom_id')}")
            if len(item.get("label") or "") > 80:
                found.append(f"label over 80: {item.get('label')}")
            options = item.get("options") or []
            if len(options) > 25:
                found.append(f"{len(options)} menu options > 25")
            found += [f"option label over 100: {o['label']}" for o in options if len(o.get("label") or "") > 100]
    return found


def discord_refusals(message: dict[str, Any]) -> list[str]:
    """Every limit `message` (a message payload: content, embeds, components) breaks; empty when Discord takes it."""
    found = []
    content = message.get("content") or ""
    if len(content) > 2000:
        found.append(f"content: {len(content)} > 2000")
    embeds = message.get("embeds") or []
    if len(embeds) > 10:
        found.append(f"{len(embeds)} embeds > 10")
    for embed in embeds:
        found += _embed_refusals(embed)
    return found + _component_refusals(message.get("components") or [])
