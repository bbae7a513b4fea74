"""The limits Discord puts on message components: action rows, buttons and select menus.

https://discord.com/developers/docs/components/reference — at most 5 action rows; a row holds up to 5 buttons
or one select menu (a select is as wide as the row); custom ids up to 100 characters and unique in the message;
button labels up to 80; a string select has 1–25 options, a placeholder up to 150, min_values 0–25 and
max_values 1–25.
"""

from __future__ import annotations

from typing import Any

from sandbox.limits.form import Form

__all__ = ["check_components"]

JSON = dict[str, Any]

ROWS = 5
ROW_WIDTH = 5
CUSTOM_ID = 100
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
SELECT_PLACEHOLDER = 150
OPTION_TEXT = 100
ACTION_ROW, BUTTON, STRING_SELECT = 1, 2, 3
SELECTS = (3, 5, 6, 7, 8)  # string, user, role, mentionable, channel
LINK, PREMIUM = 5, 6


def _custom_id(form: Form, component: JSON, seen: set[str]) -> None:
    custom_id = component.get("custom_id")
    if not form.required(custom_id):
        return
    form.text(custom_id, CUSTOM_ID)
    if custom_id in seen:
        form.error("COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
    seen.add(str(custom_id))


def _check_button(form: Form, button: JSON, seen: set[str]) -> None:
    form.at("label").text(button.get("label"), BUTTON_LABEL)
    style = button.get("style")
    if style == LINK:
        form.at("url").required(button.get("url"))
    elif style == PREMIUM:
        form.at("sku_id").required(button.get("sku_id"))
    else:
        _custom_id(form.at("custom_id"), button, seen)
    if style not in (LINK, PREMIUM) and not button.get("label") and not button.get("emoji"):
        form.error("BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A label or an emoji is required")


def _check_select(form: Form, select: JSON, seen: set[str]) -> None:
    _custom_id(form.at("custom_id"), select, seen)
    form.at("placeholder").text(select.get("placeholder"), SELECT_PLACEHOLDER)
    form.at("min_values").int_between(select.get("min_values"), 0, SELECT_OPTIONS)
    form.at("max_values").int_between(select.get("max_values"), 1, SELECT_OPTIONS)
    if select.get("type") != STRING_SELECT:
        return
    options = select.get("options") or []
    form.at("options").length_between(options, 1, SELECT_OPTIONS)
    for index, option in enumerate(options):
        where = form.at("options", index)
        for key in ("label", "value"):
            if where.at(key).required(option.get(key)):
                where.at(key).text(option[key], OPTION_TEXT)
        where.at("description").text(option.get("description"), OPTION_TEXT)


def _check_row(form: Form, row: object, seen: set[str]) -> None:
    if not isinstance(row, dict) or row.get("type") != ACTION_ROW:
        form.at("type").error("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
        return
    children = row.get("components") or []
    form.at("components").length_between(children, 1, ROW_WIDTH)
    width = 0
    for index, child in enumerate(children):
        where = form.at("components", index)
        kind = child.get("type") if isinstance(child, dict) else None
        if kind == BUTTON:
            width += 1
            _check_button(where, child, seen)
        elif kind in SELECTS:
            width += ROW_WIDTH
            _check_select(where, child, seen)
        else:
            where.at("type").error("UNION_TYPE_CHOICES", 'Value of field "type" must be one of (2, 3, 5, 6, 7, 8).')
    if width > ROW_WIDTH and len(children) <= ROW_WIDTH:
        form.at("components").error(
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width"
        )


def check_components(form: Form, rows: object, *, layout: bool = False) -> None:
    """Record in ``form`` (placed at ``components``) every limit the message's components break.

    ``layout`` is a message flagged IS_COMPONENTS_V2 (containers, text displays...): the bot sends none, so
    their different rules are not modelled and such a message is let through unchecked."""
    if not isinstance(rows, list):
        form.error("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return
    if layout:
        return
    seen: set[str] = set()
    form.max_length(rows, ROWS)
    for index, row in enumerate(rows):
        _check_row(form.at(index), row, seen)
