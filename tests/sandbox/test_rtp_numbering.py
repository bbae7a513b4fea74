"""A speaker's RTP numbering as the local server forwards it: what a Discord client sends, utterance after utterance."""

from __future__ import annotations

import asyncio
import itertools
import socket
import struct

from sandbox.voice import VoiceServer, VoiceSession


def _receiver() -> tuple[socket.socket, VoiceSession]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    session = VoiceSession("token", 1, 2, "session", ssrc=7, mode="aead_xchacha20_poly1305_rtpsize")
    session.client_address = sock.getsockname()
    return sock, session


async def _headers(sock: socket.socket, count: int) -> list[tuple[int, int]]:
    """(sequence, timestamp) of the next ``count`` datagrams: the RTP header travels in clear (it is the AEAD's
    associated data)."""
    loop = asyncio.get_running_loop()
    found = []
    for _ in range(count):
        datagram = await asyncio.wait_for(loop.sock_recv(sock, 2048), timeout=10)
        _, _, sequence, timestamp, _ = struct.unpack(">BBHII", datagram[:12])
        found.append((sequence, timestamp))
    return found


async def test_a_speakers_second_utterance_goes_on_from_the_first() -> None:
    """A fresh random sequence for each utterance made the bot's jitter buffer drop a later one as late about one
    time in twenty; Discord clients number on, and their timestamps jump over the silence between."""
    server = VoiceServer()
    await server.start()
    sock, session = _receiver()
    try:
        heard = []
        for _ in range(4):
            await server.send_audio(1, 3, [b"\xf8\xff\xfe"] * 3, lambda: [session], paced=True)
            heard += await _headers(sock, 3)
            await asyncio.sleep(0.1)  # a pause between two utterances
        sequences = [sequence for sequence, _ in heard]
        assert sequences == [(sequences[0] + i) & 0xFFFF for i in range(12)], sequences
        steps = [(b[1] - a[1]) & 0xFFFFFFFF for a, b in itertools.pairwise(heard)]
        within = [step for i, step in enumerate(steps) if i % 3 != 2]
        between = [step for i, step in enumerate(steps) if i % 3 == 2]
        assert set(within) == {960}, steps
        assert all(step >= 960 * 5 for step in between), steps  # 100 ms of silence is at least 5 frames later
    finally:
        sock.close()
        await server.stop()
