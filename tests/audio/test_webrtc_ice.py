"""Choosing the ICE interface: real aiortc peers, candidates only on the loopback, and they connect."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from spaces_core.webrtc.ice import IceBindError, gather_host_candidates


def candidate_hosts(sdp: str) -> set[str]:
    # a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
    return {line.split()[4] for line in sdp.splitlines() if line.startswith("a=candidate:")}


async def test_peers_gather_only_on_the_loopback_and_connect_over_it() -> None:
    offerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        offerer.createDataChannel("probe")
        await gather_host_candidates(offerer, "127.0.0.1")
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await gather_host_candidates(answerer, "127.0.0.1")
        await answerer.setLocalDescription(await answerer.createAnswer())
        await offerer.setRemoteDescription(answerer.localDescription)

        assert candidate_hosts(offerer.localDescription.sdp) == {"127.0.0.1"}
        assert candidate_hosts(answerer.localDescription.sdp) == {"127.0.0.1"}
        async with asyncio.timeout(10):
            while not (offerer.connectionState == answerer.connectionState == "connected"):
                await asyncio.sleep(0.05)
    finally:
        await offerer.close()
        await answerer.close()


async def test_gathering_twice_is_harmless() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="recvonly")
        await gather_host_candidates(pc, "127.0.0.1")
        await gather_host_candidates(pc, "127.0.0.1")
        await pc.setLocalDescription(await pc.createOffer())
        assert len([x for x in pc.localDescription.sdp.splitlines() if x.startswith("a=candidate:")]) == 1
    finally:
        await pc.close()


async def test_an_address_that_is_not_ours_is_refused() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTransceiver("audio", direction="recvonly")
        with pytest.raises(IceBindError, match=r"203\.0\.113\.7"):
            await gather_host_candidates(pc, "203.0.113.7")  # TEST-NET-3: never a local address
    finally:
        await pc.close()
