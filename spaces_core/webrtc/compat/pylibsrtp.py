"""Every use of pylibsrtp's private parts: its cffi binding (libsrtp's own functions) and a session's context.

Written against pylibsrtp 1.0.0 (``PINNED``). Why: the fan-out protects each listener's packet in place, in its
slot of a send buffer, with libsrtp's ``srtp_protect`` on the session aiortc keyed; pylibsrtp's public
``Session.protect`` returns new bytes per packet, which is the copy and allocation the fan-out exists to avoid.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from pylibsrtp import Session

from spaces_core.webrtc.compat.check import missing_names, version_problem

__all__ = [
    "PINNED",
    "PRIVATE_NAMES",
    "PROTECT_SIGNATURE",
    "binding_supported",
    "ffi",
    "problem",
    "protect_pointer",
    "session_context",
    "srtp_protect",
    "srtp_protect_rtcp",
]

PINNED: Final = "1.0.0"
PRIVATE_NAMES: Final = frozenset({"_srtp", "_binding"})
# libsrtp 2.x: what the fan-out (and its C loop) call srtp_protect as.
PROTECT_SIGNATURE: Final = "srtp_err_status_t(*)(struct srtp_ctx_t_ *, void *, int *)"

_binding: Any = importlib.import_module("pylibsrtp._binding")  # cffi, no type information
ffi: Any = _binding.ffi
srtp_protect: Any = _binding.lib.srtp_protect
srtp_protect_rtcp: Any = _binding.lib.srtp_protect_rtcp


def problem() -> str | None:
    """None when the installed pylibsrtp is the one this module was written for, else why not."""
    version = version_problem("pylibsrtp", PINNED)
    if version is not None:
        return version
    if missing_names(Session, ["_srtp"]):
        return "pylibsrtp's Session no longer keeps its libsrtp context in _srtp"
    if not binding_supported():
        return f"pylibsrtp's srtp_protect is {ffi.typeof(srtp_protect).cname}, not libsrtp 2.x's"
    return None


def binding_supported() -> bool:
    """Whether the binding's ``srtp_protect`` is the libsrtp 2.x one the fan-out calls."""
    return str(ffi.typeof(srtp_protect).cname) == PROTECT_SIGNATURE


def session_context(session: Session) -> Any:
    """The session's libsrtp context (``srtp_t``), valid as long as ``session`` is alive; None if not found."""
    pointer: Any = getattr(session, "_srtp", None)
    return None if pointer is None else pointer[0]


def protect_pointer(target_ffi: Any, typename: str) -> Any:
    """libsrtp's ``srtp_protect`` as a function pointer of ``typename`` in another cffi module; None if the
    binding is not the libsrtp 2.x one (srtp_err_status_t is an enum, an int, and srtp_t a pointer)."""
    if not binding_supported():
        return None
    return target_ffi.cast(typename, ffi.addressof(_binding.lib, "srtp_protect"))
