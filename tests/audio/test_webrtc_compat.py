"""The web listeners' reach below the public API of aiortc, aioice and pylibsrtp: all of it in
``spaces_core/webrtc/compat/``, checked when the listeners are built, and a mismatch costs only the fast path.

A private attribute on a library's object cannot be type-checked (mypy sees ``Any``), so the boundary is kept by
reading the source: every private name the compat modules declare, aiortc's name-mangled ones and pylibsrtp's
private modules, wherever they appear outside ``compat/``.
"""

from __future__ import annotations

import ast
import logging
import re
import tomllib
from pathlib import Path

import pytest
from aiortc import RTCRtpSender

from spaces_core.audio import RelayHub
from spaces_core.webrtc import WebListeners, compat
from spaces_core.webrtc.compat.check import missing_names
from tests.audio.test_webrtc import LOOPBACK, Listener, ToneSpace, dominant_frequency, space, to_pcm

__all__ = ["space"]  # the fixture

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("spaces_core", "bot", "payments", "demo", "sandbox", "stripe_sandbox", "bench", "tests")
COMPAT = REPO / "spaces_core" / "webrtc" / "compat"
PRIVATE = compat.aiortc.PRIVATE_NAMES | compat.aioice.PRIVATE_NAMES | compat.pylibsrtp.PRIVATE_NAMES
MANGLED = re.compile(r"^_RTC[A-Za-z]+__")  # aiortc's double-underscore attributes, as Python mangles them


def _private(name: str) -> bool:
    return name in PRIVATE or bool(MANGLED.match(name)) or name.startswith("pylibsrtp._")


def private_accesses(source: str) -> list[tuple[int, str]]:
    """(line, name) of each private name of the three libraries in ``source``: an attribute (but not one of our
    own, on ``self``), a string (``getattr``, ``import_module``) or an import of a private pylibsrtp module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            ours = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not ours and _private(node.attr):
                found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _private(node.value):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.ImportFrom) and _private(node.module or ""):
            found.append((node.lineno, str(node.module)))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if _private(alias.name)]
    return sorted(found)


def test_the_scan_finds_each_kind_of_private_access() -> None:
    source = """
import importlib
import pylibsrtp._binding
from pylibsrtp._binding import ffi
binding = importlib.import_module("pylibsrtp._binding")
cname = sender._RTCRtpSender__cname
session = getattr(dtls, "_tx_srtp", None)
pair = connection._nominated[1]

class Leg:
    def __init__(self):
        self._connection = None  # our own attribute, not aiortc's
"""
    assert [name for _, name in private_accesses(source)] == [
        "pylibsrtp._binding",
        "pylibsrtp._binding",
        "pylibsrtp._binding",
        "_RTCRtpSender__cname",
        "_tx_srtp",
        "_nominated",
    ]


def test_no_private_name_of_aiortc_aioice_or_pylibsrtp_is_used_outside_the_compat_modules() -> None:
    outside = {}
    for root in ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            if COMPAT in path.parents or path == Path(__file__).resolve():
                continue
            found = private_accesses(path.read_text(encoding="utf-8"))
            if found:
                outside[str(path.relative_to(REPO))] = found
    assert outside == {}, "use (or add) a function of spaces_core/webrtc/compat/ instead"


def test_the_compat_modules_fit_the_installed_libraries_and_the_pins_in_pyproject() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = dict(line.split("==") for line in pyproject["project"]["dependencies"] if "==" in line)
    assert pins["aiortc"] == compat.aiortc.PINNED
    assert pins["aioice"] == compat.aioice.PINNED
    assert pins["pylibsrtp"] == compat.pylibsrtp.PINNED
    assert compat.problem() is None  # an upgrade without a review of compat/ fails here, and the fast path is off


def test_a_private_name_the_library_no_longer_uses_is_named() -> None:
    assert missing_names(RTCRtpSender, ["_RTCRtpSender__cname", "_RTCRtpSender__renamed"]) == ["_RTCRtpSender__renamed"]


async def test_a_private_name_aioice_no_longer_uses_turns_the_fast_path_off_with_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compat.aioice, "PRIVATE_NAMES", compat.aioice.PRIVATE_NAMES | {"_checklist_renamed"})
    hub = RelayHub()
    listeners = WebListeners(hub, host=LOOPBACK)
    try:
        assert listeners.fanout is None
        assert listeners.fallback_reason == "aioice's Connection no longer uses _checklist_renamed"
    finally:
        await listeners.close_all()
        await hub.stop()


async def test_listeners_still_hear_the_space_through_aiortcs_sender_when_aiortc_is_not_the_version_compat_knows(
    space: ToneSpace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(compat.aiortc, "PINNED", "1.15.0")  # as if aiortc had moved on since compat was written
    caplog.set_level(logging.WARNING, logger="spaces_core.webrtc.listeners")
    listeners = WebListeners(space.hub, host=LOOPBACK)  # fast path and single port asked for, as the bot does
    listener = Listener()
    try:
        track = await listener.join(listeners)
        frames = await listener.frames(track, 75)
        sent_by_aiortc = listeners.tracks[0].frames_sent  # what aiortc's sender took from the track to send
    finally:
        await listener.pc.close()
        await listeners.close_all()

    frequency, amplitude = dominant_frequency(to_pcm(frames[25:]))
    assert abs(frequency - 440) <= 2 and amplitude > 0.2
    assert listeners.fanout is None and listeners.port is None
    assert sent_by_aiortc >= 75
    reason = "aiortc 1.16.0 is installed; its internals are used as of 1.15.0"
    assert listeners.fallback_reason == reason
    assert any(reason in record.getMessage() for record in caplog.records)
