"""The limits Discord puts on a message body: content, embeds, components (and, for responses, modals).

The same checks guard every way a bot writes a message: channel and DM messages (create, edit), interaction
responses (types 4 and 7, the message under ``data``), follow-ups and webhook edits of the original response.
https://discord.com/developers/docs/resources/message#embed-object-embed-limits
"""

from __future__ import annotations

from typing import Any

from sandbox.errors import ApiError
from sandbox.limits.components import check_components
from sandbox.limits.form import Form

__all__ = [
    "EMBED_TOTAL",
    "MAX_UPLOADS",
    "MAX_UPLOAD_BYTES",
    "check_message",
    "check_uploads",
    "embed_size",
    "require_valid_message",
]

JSON = dict[str, Any]

CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
IS_COMPONENTS_V2 = 1 << 15
# Files: 10 a message, each at most the guild's upload limit, 10 MiB below boost level 2 (the sandbox's guilds are
# unboosted). Discord answers a bigger file with 413 and code 40005, "Request entity too large".
# https://discord.com/developers/docs/reference#uploading-files
MAX_UPLOADS = 10
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def embed_size(embed: JSON) -> int:
    """The characters Discord counts toward the 6,000 shared by all embeds of a message."""
    fields = [f for f in embed.get("fields") or [] if isinstance(f, dict)]
    footer = embed.get("footer") if isinstance(embed.get("footer"), dict) else {}
    author = embed.get("author") if isinstance(embed.get("author"), dict) else {}
    return (
        len(_text(embed.get("title")))
        + len(_text(embed.get("description")))
        + sum(len(_text(f.get("name"))) + len(_text(f.get("value"))) for f in fields)
        + len(_text((footer or {}).get("text")))
        + len(_text((author or {}).get("name")))
    )


def _check_field(form: Form, field: object) -> None:
    if not isinstance(field, dict):
        form.error("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    if form.at("name").required(field.get("name")):
        form.at("name").text(field["name"], FIELD_NAME)
    if form.at("value").required(field.get("value")):
        form.at("value").text(field["value"], FIELD_VALUE)


def _check_embed(form: Form, embed: object) -> None:
    if not isinstance(embed, dict):
        form.error("DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    form.at("title").text(embed.get("title"), TITLE)
    form.at("description").text(embed.get("description"), DESCRIPTION)
    fields = embed.get("fields") or []
    form.at("fields").max_length(fields, FIELDS)
    for index, field in enumerate(fields):
        _check_field(form.at("fields", index), field)
    if isinstance(embed.get("footer"), dict):
        form.at("footer", "text").text(embed["footer"].get("text"), FOOTER_TEXT)
    if isinstance(embed.get("author"), dict):
        form.at("author", "name").text(embed["author"].get("name"), AUTHOR_NAME)


def _check_embeds(form: Form, embeds: object) -> None:
    if not isinstance(embeds, list):
        form.error("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return
    form.max_length(embeds, EMBEDS)
    for index, embed in enumerate(embeds):
        _check_embed(form.at(index), embed)
    if sum(embed_size(e) for e in embeds if isinstance(e, dict)) > EMBED_TOTAL:
        form.error("MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL}")


def check_message(form: Form, body: JSON) -> None:
    """Record in ``form`` every limit ``body`` (a message create or edit) breaks; fields absent are not checked."""
    form.at("content").text(body.get("content"), CONTENT)
    if body.get("embeds") is not None:
        _check_embeds(form.at("embeds"), body["embeds"])
    if body.get("components") is not None:
        layout = bool(int(body.get("flags") or 0) & IS_COMPONENTS_V2)
        check_components(form.at("components"), body["components"], layout=layout)


def require_valid_message(body: JSON, *where: str) -> None:
    """Refuse ``body`` as Discord would (400, 50035); ``where`` places it, e.g. ``"data"`` in a callback."""
    form = Form()
    check_message(form.at(*where), body)
    form.raise_if_any()


def check_uploads(files: list[bytes]) -> None:
    """Refuse what Discord refuses in a message's files: more than ten, or one over the upload limit."""
    if len(files) > MAX_UPLOADS:
        raise ApiError(400, 50035, "Invalid Form Body", {"files": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}})
    if any(len(data) > MAX_UPLOAD_BYTES for data in files):
        raise ApiError(413, 40005, "Request entity too large")
