"""The core speaks in ids and times; only `bot/` writes Discord markup, and every core error it shows is rendered.

Source scans rather than import-linter contracts: markup is text, not an import, so only reading the files catches
a mention or timestamp built in the core, or an error sentence shown to a member with its refs left unrendered.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bot
import spaces_core
from spaces_core.domain import errors

CORE = Path(spaces_core.__file__).parent
BOT = Path(bot.__file__).parent
MARKUP = ("<@", "<#", "<t:")  # mentions (members, roles), channels, timestamps
# Reading what a Discord client produces is input, not output: the one line allowed, with the reason.
ALLOWED = {
    (
        "domain/when.py",
        '_DISCORD_TIMESTAMP = re.compile(r"^<t:(-?\\d+)(?::[tdfr])?>$", re.IGNORECASE)',
    ): "parses the timestamp tag a member pastes",
}


def markup_lines(root: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted(root.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if any(token in line for token in MARKUP):
                found.append((path.relative_to(root).as_posix(), line.strip()))
    return found


def test_the_core_writes_no_discord_markup():
    found = markup_lines(CORE)
    unexpected = [hit for hit in found if hit not in ALLOWED]
    assert not unexpected, f"Discord markup built in spaces_core (use a ref from spaces_core.domain.refs): {unexpected}"
    assert set(found) == set(ALLOWED), "an allowed line is gone: drop it from ALLOWED"  # the list never goes stale


CORE_ERRORS = set(errors.__all__)
RAW = {"message", "template", "args"}  # the sentence with its refs unrendered (or not filled at all)


def catches_core_error(node: ast.expr | None) -> bool:
    names = node.elts if isinstance(node, ast.Tuple) else [node]
    return any(
        (isinstance(name, ast.Name) and name.id in CORE_ERRORS)
        or (isinstance(name, ast.Attribute) and name.attr in CORE_ERRORS)
        for name in names
    )


def is_log_call(node: ast.AST) -> bool:
    """`log.warning(...)` and the like: neutral text is what a log line should hold."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"log", "logger", "logging"}
    )


def shows_raw_text(node: ast.AST, name: str) -> bool:
    if isinstance(node, ast.Attribute) and node.attr in RAW:
        return isinstance(node.value, ast.Name) and node.value.id == name
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "str":
        return any(isinstance(arg, ast.Name) and arg.id == name for arg in node.args)
    return isinstance(node, ast.FormattedValue) and isinstance(node.value, ast.Name) and node.value.id == name


def raw_error_text(source: str) -> list[int]:
    """Lines where a caught core error's text is used other than through `said` (or in a log call)."""
    lines = []
    for handler in ast.walk(ast.parse(source)):
        if not (isinstance(handler, ast.ExceptHandler) and handler.name and catches_core_error(handler.type)):
            continue
        body = [node for statement in handler.body for node in ast.walk(statement)]
        logged = {id(inner) for node in body if is_log_call(node) for inner in ast.walk(node)}
        lines += [node.lineno for node in body if id(node) not in logged and shows_raw_text(node, handler.name)]
    return lines


def test_the_bot_shows_core_errors_only_through_said():
    raw = {
        path.relative_to(BOT).as_posix(): lines
        for path in sorted(BOT.rglob("*.py"))
        if (lines := raw_error_text(path.read_text(encoding="utf-8")))
    }
    assert not raw, f"core error text shown without bot.replies.said (its refs would read 'member 42'): {raw}"


def test_the_bot_check_sees_a_raw_message():
    """The check above can fail: it flags the form this change replaced, and lets a log line through."""
    shown = "try:\n    pass\nexcept (KeyError, errors.NotEligible) as exc:\n    log.info('%s', exc.message)\n"
    shown += "    text = exc.message\n    other = f'{exc}'\n    fine = said(exc)\n"
    assert raw_error_text(shown) == [5, 6]
