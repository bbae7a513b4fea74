"""Every read and write of aioice's private names: the ICE connection's candidates, protocols and selected pair.

Written against aioice 0.13.0 (``PINNED``). Why: aiortc offers no setting to choose the interface ICE binds on
(and aioice skips 127.0.0.1), so ``spaces_core.webrtc.ice`` gathers for it; single-port ICE
(``spaces_core.webrtc.port``) puts a protocol of its own in the connection; the fan-out sends on the pair ICE
selected.
"""

from __future__ import annotations

from typing import Any, Final

from aioice import Candidate, Connection
from aioice.ice import CandidatePair, StunProtocol

from spaces_core.webrtc.compat.check import missing_names, version_problem

__all__ = [
    "PINNED",
    "PRIVATE_NAMES",
    "add_local_candidates",
    "add_protocol",
    "components",
    "finish_gathering",
    "has_internals",
    "nominated_pairs",
    "problem",
    "protocols",
    "selected_pair",
    "set_local_username",
    "start_gathering",
]

PINNED: Final = "0.13.0"
PRIVATE_NAMES: Final = frozenset(
    {
        "_components",
        "_local_candidates",
        "_local_candidates_start",
        "_local_candidates_end",
        "_local_username",
        "_nominated",
        "_protocols",
    }
)


def problem() -> str | None:
    """None when the installed aioice is the one this module was written for, else why not."""
    version = version_problem("aioice", PINNED)
    if version is not None:
        return version
    missing = missing_names(Connection, sorted(PRIVATE_NAMES))
    if missing:
        return f"aioice's Connection no longer uses {', '.join(missing)}"
    return None


def has_internals(connection: object) -> bool:
    """Whether ``connection`` is an aioice ``Connection`` with every attribute the functions here touch."""
    return isinstance(connection, Connection) and all(hasattr(connection, name) for name in PRIVATE_NAMES)


def _private(connection: Connection) -> Any:
    """The connection untyped: what follows is below aioice's typed API."""
    return connection


# --- gathering on a chosen address (``spaces_core.webrtc.ice``)


def start_gathering(connection: Connection) -> bool:
    """Mark gathering as under way; False if it already was (then aioice's own gathering or ours ran)."""
    if _private(connection)._local_candidates_start:
        return False
    _private(connection)._local_candidates_start = True
    return True


def components(connection: Connection) -> list[int]:
    return sorted(_private(connection)._components)


def add_local_candidates(connection: Connection, candidates: list[Candidate]) -> None:
    _private(connection)._local_candidates.extend(candidates)


def finish_gathering(connection: Connection) -> None:
    """Gathering is complete: aiortc's own ``gather()`` then finds nothing left to do."""
    _private(connection)._local_candidates_end = True


# --- single-port ICE (``spaces_core.webrtc.port``)


def set_local_username(connection: Connection, ufrag: str) -> None:
    """Our ufrag for this connection (requests on the shared port are routed by it); before the SDP is written."""
    _private(connection)._local_username = ufrag


def add_protocol(connection: Connection, protocol: StunProtocol) -> None:
    """Make ``protocol`` one of the connection's own: it checks pairs on it and closes it with the rest."""
    _private(connection)._protocols.append(protocol)


def protocols(connection: Connection) -> list[StunProtocol]:
    return list(_private(connection)._protocols)


# --- the selected pair (the fan-out sends on it)


def nominated_pairs(connection: Connection) -> dict[int, CandidatePair]:
    """The nominated pair of each component (a copy); raises ``TypeError`` if aioice keeps them elsewhere."""
    nominated = getattr(connection, "_nominated", None)
    if not isinstance(nominated, dict):
        raise TypeError("aioice keeps its selected pair elsewhere than 0.13 did")
    return dict(nominated)


def selected_pair(connection: Connection) -> CandidatePair | None:
    """The pair ICE selected for RTP (component 1), or None when closed or not yet connected."""
    return nominated_pairs(connection).get(1)
