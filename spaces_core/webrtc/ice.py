"""ICE host candidates on one chosen address, gathered for aiortc through aioice's internals (``compat``).

Why it is needed: aiortc 1.16 gathers host candidates on every interface aioice finds and offers no setting to
choose one, and aioice 0.13 skips 127.0.0.1 altogether. The listeners relay must bind where it is told (the
loopback in tests and benchmarks, the public interface behind a reverse proxy in production), so before
aiortc gathers we gather for it, through aioice's own ``get_component_candidates``, on that one address.
aiortc's ``gather()`` then finds gathering already done and keeps our candidates.

The private attributes touched are checked at each gathering, so an aiortc/aioice upgrade that renames them fails
loudly at the first listener instead of silently binding every interface.
"""

from __future__ import annotations

from aioice import Connection
from aiortc import RTCIceGatherer, RTCPeerConnection

from spaces_core.webrtc import compat
from spaces_core.webrtc.port import IceBindError, SharedIcePort

__all__ = ["IceBindError", "gather_host_candidates"]


async def gather_host_candidates(pc: RTCPeerConnection, address: str, port: SharedIcePort | None = None) -> None:
    """Gather host candidates on ``address`` only, for every transport ``pc`` has now.

    With ``port`` (bound on ``address``), the one candidate of each component is on that shared socket
    (``port``) instead of a socket of its own.

    Call it after the transceivers exist (``addTransceiver`` or ``setRemoteDescription``) and before
    ``setLocalDescription``, which is where aiortc would otherwise gather on all interfaces.
    """
    for gatherer in _gatherers(pc):
        if gatherer.state != "new":
            continue
        connection = _connection_of(gatherer)
        if not compat.aioice.start_gathering(connection):
            continue
        for component in compat.aioice.components(connection):
            if port is not None:
                compat.aioice.add_local_candidates(connection, [port.add(connection, component)])
                continue
            candidates = await connection.get_component_candidates(component=component, addresses=[address])
            if not candidates:
                raise IceBindError(f"could not bind a UDP socket for ICE on {address}")
            compat.aioice.add_local_candidates(connection, candidates)
        compat.aioice.finish_gathering(connection)


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
    connection = compat.aiortc.gatherer_connection(gatherer)
    if not isinstance(connection, Connection) or not compat.aioice.has_internals(connection):
        raise RuntimeError(
            "aiortc/aioice internals changed: cannot choose the ICE interface; "
            "review spaces_core/webrtc/compat/ against the installed versions"
        )
    return connection
