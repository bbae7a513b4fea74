"""Per-packet fan-out below aiortc: the mix's one Opus packet to every connected web listener in one loop.

Why it exists: through aiortc's sender every listener costs, per 20 ms packet, a track ``recv`` coroutine, an
``RtpPacket`` object, ``RTCDtlsTransport._send_rtp`` → ``RTCIceTransport`` → aioice → asyncio's transport, each
an ``await``: some 35-40 µs of CPU, so one core carries about 550 listeners. Most of that is Python around the
two things that must happen per listener, SRTP with its keys and sending; this loop spends ~9 µs per packet
with ``sendmmsg`` on the shared port when it is Python (~11 with one ``sendto`` per listener socket), and less
when the packets are built by the C loop of ``fanout_loop`` (docs/BENCHMARKS.md).

What aiortc still does for each listener: signalling, ICE (and its consent checks), the DTLS handshake that keys
SRTP, receiving RTCP (receiver reports reach its sender as before), and teardown. Once a listener's DTLS transport
is connected, ``SrtpFanout.add`` takes over its media: each frame is, per listener, the RTP header aiortc would
have written (its SSRC, payload type and header extensions, our sequence and timestamp, since aiortc's sender
never sends a packet of its own) → libsrtp ``srtp_protect`` in place, on the very session aiortc's
``RTCDtlsTransport`` keyed, into the listener's slot of one buffer (these steps run in C for every listener in
one call when ``fanout_loop`` is built, else in Python, the same) → then, for listeners whose ICE runs on the
shared port (``port``, what ``WebListeners`` does), the whole frame leaves in ⌈N / 1024⌉ ``sendmmsg``
calls on that one socket (``sendmmsg``); any other listener gets a non-blocking ``sendto`` on its own ICE
pair's socket. A send that would block drops that listener's packet (counted), a broken path drops that
listener; neither holds up the others. The RTCP sender reports are sent from here too, every 5 s per listener
(aiortc sends one a second, at several times the cost of a packet), spread over the frames.

Reached below the public API, all through ``compat`` (one module per library, checked when ``WebListeners`` is
built, and again per listener at hand-over: on a mismatch ``add`` returns None and the caller keeps the listener
on aiortc's own sender): the DTLS transport's SRTP session, the transceiver's negotiated codecs and header
extensions, aioice's selected pair, pylibsrtp's cffi binding and session context, and the sender's CNAME,
counters and RTCP task.
"""

from __future__ import annotations

import contextlib
import logging
import struct
from typing import Any, Final

from aiortc import RTCRtpTransceiver, clock

from spaces_core.audio.relay import EncodedFrame, RelayClosed, RelayHub, Subscription
from spaces_core.webrtc import fanout_loop, sendmmsg
from spaces_core.webrtc.compat.pylibsrtp import ffi, srtp_protect, srtp_protect_rtcp
from spaces_core.webrtc.fanout_leg import (
    BUFFER_SIZE,
    HEADER_MAX,
    REPORT_EVERY_FRAMES,
    FanoutLeg,
    Unsupported,
    available,
)
from spaces_core.webrtc.port import SharedIcePort

__all__ = ["FanoutLeg", "SrtpFanout", "available"]

_log = logging.getLogger(__name__)

_SRTP_TRAILER_MAX: Final = 16 + 128  # pylibsrtp's own bound (auth tag + MKI)
_SEQUENCE_AND_TIMESTAMP: Final = struct.Struct("!HI")  # RTP header bytes 2..7
_SENDER_INFO: Final = struct.Struct("!QIII")  # RTCP SR bytes 8..27: NTP time, RTP time, packets, octets
SYNC_EVERY_FRAMES: Final = 50  # once a second: the sender's counters (for its getStats) and the ICE pair
DEFAULT_QUEUE_FRAMES: Final = 10  # as the per-listener tracks: a stalled loop skips ahead rather than bursts


class SrtpFanout:
    """Sends each frame the hub publishes to every leg; a leg leaves when its transport or socket ends."""

    def __init__(
        self,
        hub: RelayHub,
        *,
        queue_frames: int = DEFAULT_QUEUE_FRAMES,
        port: SharedIcePort | None = None,
        compiled: bool | None = None,
    ) -> None:
        """``compiled``: build the packets with the C loop (``fanout_loop``) when it is built (None), always
        (True: raises if it is not) or never (False: the Python loop)."""
        self._hub = hub
        self._loop: Any = None if compiled is False else fanout_loop.load()
        self._protect: Any = None if self._loop is None else fanout_loop.protect_function(self._loop.ffi)
        if self._protect is None:
            self._loop = None
            if compiled:
                raise RuntimeError("the compiled fan-out loop is not built (scripts/install builds it)")
        self._states: Any = None  # the legs' C structs in send order, for the compiled loop
        self._refused: Any = None  # where the compiled loop lists the legs libsrtp refused
        self._scratch: Any = None  # the slots of the legs not on the shared port
        self._queue_frames = queue_frames
        self._port: SharedIcePort | None = None
        self._batch: sendmmsg.SendBatch | None = None
        self._legs: dict[FanoutLeg, None] = {}  # insertion-ordered, O(1) removal
        self._order: list[FanoutLeg] = []  # the legs on the shared port first (slots 0..batched-1), then the rest
        self._batched = 0
        self._arranged = False
        self._fresh: list[FanoutLeg] = []  # legs whose first packet (marker bit set) is still to go
        self._reporting: list[dict[FanoutLeg, None]] = [{} for _ in range(REPORT_EVERY_FRAMES)]  # by phase
        self._subscription: Subscription | None = None
        self._buffer: Any = ffi.new("char[]", BUFFER_SIZE)  # sender reports are built here
        self._scratch_lengths: Any = None
        self._view = memoryview(ffi.buffer(self._buffer))
        self._length: Any = ffi.new("int *")
        self._frames = 0
        self._closed = False
        self.frames_too_large = 0
        self.legs_failed = 0
        if port is not None:
            self.use_port(port)

    def use_port(self, port: SharedIcePort) -> None:
        """Batch the packets of the legs whose ICE runs on ``port`` (if ``sendmmsg`` is available here)."""
        self._port = port
        self._batch = sendmmsg.SendBatch(port.socket) if sendmmsg.available() else None
        self._arranged = False

    @property
    def compiled(self) -> bool:
        """Whether the C loop builds the packets (else the Python loop in ``send_frame``)."""
        return self._loop is not None

    @property
    def count(self) -> int:
        return len(self._legs)

    @property
    def legs(self) -> list[FanoutLeg]:
        return list(self._legs)

    @property
    def batched(self) -> int:
        """How many legs the last frame sent through ``sendmmsg`` on the shared port."""
        return self._batched

    def add(self, transceiver: RTCRtpTransceiver) -> FanoutLeg | None:
        """Take over a connected listener's media; None if it must stay on aiortc's sender."""
        if self._closed or not available():
            return None
        try:
            leg = FanoutLeg(transceiver, None if self._loop is None else self._loop.ffi.new("struct fanout_leg *"))
        except (Unsupported, OSError) as why:
            _log.warning("web listener stays on aiortc's own sender: %s", why)
            return None
        if self._subscription is None:
            try:
                self._subscription = self._hub.attach(self, queue_frames=self._queue_frames)
            except RelayClosed:
                leg._release()
                return None

        def on_state() -> None:  # DTLS closed or failed: the listener is gone, whatever the peer says later
            if leg._dtls.state != "connected":
                self.remove(leg)

        leg._on_state = on_state
        leg._dtls.on("statechange", on_state)
        leg._fanout = self
        self._legs[leg] = None
        self._reporting[leg.report_phase][leg] = None
        self._fresh.append(leg)
        self._arranged = False
        return leg

    def remove(self, leg: FanoutLeg) -> None:
        """Stop sending to ``leg`` (idempotent); whoever waits on ``leg.wait_closed()`` wakes."""
        if leg in self._legs:
            del self._legs[leg]
            del self._reporting[leg.report_phase][leg]
            self._arranged = False
            leg._release()

    async def close(self) -> None:
        self._closed = True
        for leg in list(self._legs):
            self.remove(leg)
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await self._hub.detach(subscription)

    async def send(self, frame: EncodedFrame) -> None:
        """The hub's sink interface; the work is synchronous, one pass over every leg."""
        self.send_frame(frame)

    def _arrange(self) -> None:
        """Give every leg its slot: one in the batch for those on the shared port, the scratch buffer otherwise."""
        batch, port = self._batch, self._port
        shared = [leg for leg in self._legs if batch is not None and leg.on_port(port)]
        own = [leg for leg in self._legs if batch is None or not leg.on_port(port)]
        if batch is not None and (batch.capacity < len(shared) or batch.capacity > 4 * len(shared) + 64):
            batch.resize(len(shared) + len(shared) // 4 + 16)  # some room: listeners join one by one
        for index, leg in enumerate(shared):
            assert batch is not None
            leg.batched = True
            leg.place(*batch.slot(index))
            batch.set_destination(index, leg.address)
        # The others each get a scratch slot of their own: the C loop builds every packet before any is sent.
        self._scratch = ffi.new("char[]", max(len(own), 1) * sendmmsg.SLOT_BYTES)
        lengths = ffi.new("int[]", max(len(own), 1))
        self._scratch_lengths = lengths
        for index, leg in enumerate(own):
            leg.batched = False
            slot = self._scratch + index * sendmmsg.SLOT_BYTES
            leg.place(slot, memoryview(ffi.buffer(slot, sendmmsg.SLOT_BYTES)), lengths + index)
        self._order = shared + own
        self._batched = len(shared)
        if self._loop is not None:
            self._states = self._loop.ffi.new("struct fanout_leg *[]", [leg._state for leg in self._order])
            self._refused = self._loop.ffi.new("int[]", max(len(self._order), 1))
        self._arranged = True

    def send_frame(self, frame: EncodedFrame) -> None:
        payload = frame.payload
        size = len(payload)
        if size > BUFFER_SIZE - _SRTP_TRAILER_MAX - HEADER_MAX:
            self.frames_too_large += 1  # never from our encoder (Opus: at most 1,275 bytes)
            return
        if not self._arranged:
            self._arrange()
        if self._loop is not None:
            failed = self._build_compiled(payload, size, frame.timestamp)
        else:
            failed = self._build_and_send(payload, size, frame.timestamp)
        if self._batched:
            self._send_batch(failed, size)
        self._after_frame(failed)

    def _build_compiled(self, payload: bytes, size: int, timestamp: int) -> list[FanoutLeg]:
        """Every leg's packet built by the C loop, then sent by those not on the shared port."""
        order, refused = self._order, self._refused
        count = self._loop.lib.fanout_build(
            self._states, len(order), payload, size, timestamp & 0xFFFFFFFF, self._protect, refused
        )
        failed = [order[refused[index]] for index in range(count)]  # libsrtp refused: the session is gone
        for leg in order[self._batched :]:
            if count and leg in failed:
                continue
            try:
                leg.sendto(leg.slot_view[: leg.slot_length[0]], leg.address)
            except BlockingIOError:
                leg.dropped += 1  # its socket buffer is full: this listener loses this packet, nobody waits
                leg.packets -= 1
                leg.octets -= size
            except OSError:
                leg.send_errors += 1
                leg.packets -= 1
                leg.octets -= size
                failed.append(leg)
        return failed

    def _build_and_send(self, payload: bytes, size: int, timestamp: int) -> list[FanoutLeg]:
        """The same in Python: each leg's packet built, protected and (if not on the shared port) sent in turn."""
        protect, pack_into = srtp_protect, _SEQUENCE_AND_TIMESTAMP.pack_into
        failed: list[FanoutLeg] = []
        for leg in self._order:
            view, length = leg.slot_view, leg.slot_length
            start = leg.header_len
            end = start + size
            view[:start] = leg._header
            rtp_timestamp = (leg.timestamp_origin + timestamp) & 0xFFFFFFFF
            pack_into(view, 2, leg._sequence, rtp_timestamp)
            view[start:end] = payload
            length[0] = end
            if protect(leg.srtp, leg.slot, length):
                failed.append(leg)  # libsrtp refused (the session was torn down): nothing else will work
                continue
            if not leg.batched:
                try:
                    leg.sendto(view[: length[0]], leg.address)
                except BlockingIOError:
                    leg.dropped += 1  # its socket buffer is full: this listener loses this packet, nobody waits
                    leg._packets -= 1
                    leg._octets -= size
                except OSError:
                    leg.send_errors += 1
                    failed.append(leg)
                    continue
            # Counted as sent; ``_send_batch`` takes back what the kernel refused. A dropped packet still used
            # its number (and SRTP index): the listener sees it as network loss.
            leg._packets += 1
            leg._octets += size
            leg._sequence = (leg._sequence + 1) & 0xFFFF
            leg._rtp_timestamp = rtp_timestamp
        return failed

    def _send_batch(self, failed: list[FanoutLeg], size: int) -> None:
        """The shared port's slots in runs around any leg that failed above (rare), each in ``sendmmsg`` calls."""
        assert self._batch is not None
        order, runs, start = self._order, [], 0
        for leg in failed:
            if leg.batched:
                runs.append((start, order.index(leg)))
                start = order.index(leg) + 1
        runs.append((start, self._batched))
        for start, stop in runs:
            if start >= stop:
                continue
            done, errors = self._batch.send(start, stop)
            for index in errors:
                leg = order[index]
                leg.send_errors += 1
                leg.packets -= 1
                leg.octets -= size
                failed.append(leg)
            for leg in order[done:stop]:
                leg.dropped += 1  # the socket buffer is full: these listeners lose this packet, nobody waits
                leg.packets -= 1
                leg.octets -= size

    def _after_frame(self, failed: list[FanoutLeg]) -> None:
        for leg in failed:
            self.legs_failed += 1
            self.remove(leg)
        for leg in self._fresh:
            leg.header = leg.steady_header
        self._fresh.clear()
        self._report(self._reporting[self._frames % REPORT_EVERY_FRAMES])
        self._frames += 1
        if self._frames % SYNC_EVERY_FRAMES == 0:
            for leg in list(self._legs):
                synced = leg._sync()
                if synced is None:
                    self.remove(leg)
                elif synced:  # ICE moved to another pair: new destination (and maybe socket)
                    self._arranged = False

    def _report(self, legs: dict[FanoutLeg, None]) -> None:
        """RTCP sender reports for this frame's share of the legs: what each was sent, and when (RFC 3550 6.4.1)."""
        if not legs:
            return
        ntp_time = clock.current_ntp_time()  # the instant of the RTP timestamp each leg just sent
        buffer, view, length, pack_into = self._buffer, self._view, self._length, _SENDER_INFO.pack_into
        for leg in legs:
            if not leg.packets:
                continue
            end = len(leg.report)
            view[:end] = leg.report
            pack_into(view, 8, ntp_time, leg.rtp_timestamp, leg.packets & 0xFFFFFFFF, leg.octets & 0xFFFFFFFF)
            length[0] = end
            if not srtp_protect_rtcp(leg.srtp, buffer, length):
                with contextlib.suppress(OSError):  # a report lost is no loss: the next comes in 5 s
                    leg.sendto(view[: length[0]], leg.address)
