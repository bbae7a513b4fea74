"""ICE host candidates on one chosen address: the only place spaces_core reaches into aiortc/aioice internals.

Why it is needed: aiortc 1.16 gathers host candidates on every interface aioice finds and offers no setting to
choose one, and aioice 0.13 skips 127.0.0.1 altogether. The listeners relay must bind where it is told (the
loopback in tests and benchmarks, the public interface behind a reverse proxy in production), so before
aiortc gathers we gather for it, through aioice's own ``get_component_candidates``, on that one address.
aiortc's ``gather()`` then finds gathering already done and keeps our candidates.

The private attributes touched are checked once, so an aiortc/aioice upgrade that renames them fails loudly
at the first listener instead of silently binding every interface.
"""

from __future__ import annotations

from typing import Final

from aioice import Connection
from aiortc import RTCIceGatherer, RTCPeerConnection

from spaces_core.audio.webrtc_port import IceBindError, SharedIcePort

__all__ = ["IceBindError", "gather_host_candidates"]

_CONNECTION_INTERNALS: Final = (
    "_components",
    "_local_candidates",
    "_local_candidates_start",
    "_local_candidates_end",
    "_local_username",
    "_protocols",
)


async def gather_host_candidates(pc: RTCPeerConnection, address: str, port: SharedIcePort | None = None) -> None:
    """Gather host candidates on ``address`` only, for every transport ``pc`` has now.

    With ``port`` (bound on ``address``), the one candidate of each component is on that shared socket
    (``webrtc_port``) instead of a socket of its own.

    Call it after the transceivers exist (``addTransceiver`` or ``setRemoteDescription``) and before
    ``setLocalDescription``, which is where aiortc would otherwise gather on all interfaces.
    """
    for gatherer in _gatherers(pc):
        if gatherer.state != "new":
            continue
        connection = _connection_of(gatherer)
        if connection._local_candidates_start:
            continue
        connection._local_candidates_start = True
        for component in sorted(connection._components):
            if port is not None:
                connection._local_candidates.append(port.add(connection, component))
                continue
            candidates = await connection.get_component_candidates(component=component, addresses=[address])
            if not candidates:
                raise IceBindError(f"could not bind a UDP socket for ICE on {address}")
            connection._local_candidates += candidates
        connection._local_candidates_end = True


def _gatherers(pc: RTCPeerConnection) -> list[RTCIceGatherer]:
    """Each distinct ICE gatherer (one with BUNDLE, one per m-line without), in transceiver order."""
    dtls_transports = [transceiver.sender.transport for transceiver in pc.getTransceivers()]
    if pc.sctp is not None:
        dtls_transports.append(pc.sctp.transport)
    gatherers: list[RTCIceGatherer] = []
    for dtls in dtls_transports:
        gatherer = dtls.transport.iceGatherer
        if all(gatherer is not seen for seen in gatherers):
            gatherers.append(gatherer)
    return gatherers


def _connection_of(gatherer: RTCIceGatherer) -> Connection:
    connection = getattr(gatherer, "_connection", None)
    if not isinstance(connection, Connection) or not all(hasattr(connection, name) for name in _CONNECTION_INTERNALS):
        raise RuntimeError(
            "aiortc/aioice internals changed: cannot choose the ICE interface; "
            "review spaces_core/audio/webrtc_ice.py against the installed versions"
        )
    return connection
