"""The only place the web listeners reach below the public API of aiortc, aioice and pylibsrtp.

One module per library, each naming the version it was written for and the private names it uses. ``problem()``
checks all three (installed versions, and that those names are still used by the libraries' code); the
listeners call it once when they are built and, on any mismatch, use aiortc's own sender (and aioice's own
sockets) instead of the fan-out, with the reason logged. tests/audio/test_webrtc_compat.py keeps every private
access in these modules.
"""

from __future__ import annotations

from spaces_core.webrtc.compat import aioice, aiortc, pylibsrtp

__all__ = ["aioice", "aiortc", "problem", "pylibsrtp"]


def problem() -> str | None:
    """None when every library is the version its module was written for, else the first mismatch found."""
    return aiortc.problem() or aioice.problem() or pylibsrtp.problem()
