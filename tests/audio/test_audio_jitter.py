"""The jitter buffer against a simulated network: reordering, loss, jitter and drifting clocks.

The network is simulated in virtual time so a minute of audio runs in milliseconds; the buffer itself is the
real one. Payloads carry their send index so the test can measure each frame's end-to-end latency.
"""

from __future__ import annotations

import heapq
import random
import statistics
from dataclasses import dataclass, field

import pytest

from spaces_core.audio.jitter import Gap, JitterBuffer, RtpAudio

FRAME = 0.020
FIRST_SEQ = 65_500  # wraps past 65535 within the first second
FIRST_TS = (1 << 32) - 48_000  # wraps too


def packet(index: int) -> RtpAudio:
    return RtpAudio(
        sequence=(FIRST_SEQ + index) % (1 << 16),
        timestamp=(FIRST_TS + 960 * index) % (1 << 32),
        payload=index.to_bytes(4, "big"),
    )


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds from send to playout, per played frame
    delays: list[int] = field(default_factory=list)  # buffer depth in frames, per tick
    played: list[int] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


def simulate(
    buffer: JitterBuffer,
    *,
    seconds: float,
    loss: float = 0.0,
    jitter: float = 0.0,
    sender_speed: float = 1.0,
    seed: int = 7,
) -> Run:
    rng = random.Random(seed)
    frames = int(seconds / FRAME)
    sent_at = [i * FRAME / sender_speed for i in range(frames)]
    arrivals = [(t + 0.010 + rng.uniform(0, jitter), i) for i, t in enumerate(sent_at) if rng.random() >= loss]
    heapq.heapify(arrivals)
    run = Run()
    for tick in range(frames):
        now = 0.005 + tick * FRAME
        while arrivals and arrivals[0][0] <= now:
            arrival, index = heapq.heappop(arrivals)
            buffer.push(packet(index), arrival)
        out = buffer.pop_frame()
        run.delays.append(buffer.delay_frames)
        if isinstance(out, Gap):
            run.gaps.append(out)
        else:
            index = int.from_bytes(out, "big")
            run.played.append(index)
            run.latencies.append(now - sent_at[index])
    return run


def test_reordered_packets_play_in_sequence_order() -> None:
    buffer = JitterBuffer(min_delay_frames=3)
    for index, arrival in [(2, 0.0), (0, 0.001), (1, 0.002)]:
        buffer.push(packet(index), arrival)

    assert [buffer.pop_frame() for _ in range(4)] == [packet(i).payload for i in range(3)] + [Gap.LOST]


def test_buffer_stays_silent_until_target_depth_then_conceals_a_hole() -> None:
    buffer = JitterBuffer(min_delay_frames=2)
    buffer.push(packet(0), 0.0)
    assert buffer.pop_frame() is Gap.SILENT
    buffer.push(packet(2), 0.04)  # 1 is lost; 2 proves the hole is a loss, not a late packet

    assert [buffer.pop_frame() for _ in range(3)] == [packet(0).payload, Gap.LOST, packet(2).payload]
    assert buffer.stats.concealed == 1


def test_duplicates_and_late_packets_are_dropped_and_counted() -> None:
    buffer = JitterBuffer(min_delay_frames=2)
    for index in (0, 1, 1, 2):
        buffer.push(packet(index), 0.0)
    buffer.pop_frame()
    buffer.push(packet(0), 0.1)

    assert buffer.stats.duplicates == 1
    assert buffer.stats.late == 1
    assert buffer.pop_frame() == packet(1).payload


def test_speaker_who_stops_sending_goes_silent_then_resumes() -> None:
    buffer = JitterBuffer(min_delay_frames=2, idle_after_frames=5)
    for index in range(3):
        buffer.push(packet(index), 0.0)
    outputs = [buffer.pop_frame() for _ in range(12)]

    assert outputs[3:8] == [Gap.LOST] * 5  # PLC lets the voice fade out naturally
    assert set(outputs[8:]) == {Gap.SILENT}
    assert not buffer.playing
    for index in (3, 4):  # Discord keeps the sequence contiguous across a pause
        buffer.push(packet(index), 1.0)
    assert buffer.pop_frame() == packet(3).payload


def test_a_sequence_jump_is_a_new_stream() -> None:
    buffer = JitterBuffer(min_delay_frames=2)
    for index in (0, 1, 20_000, 20_001):
        buffer.push(packet(index), 0.0)

    assert buffer.stats.restarts == 1
    assert buffer.pop_frame() == packet(20_000).payload


def test_ten_percent_loss_and_50_ms_jitter_keep_delay_bounded_and_steady() -> None:
    buffer = JitterBuffer(min_delay_frames=2, max_delay_frames=10)
    run = simulate(buffer, seconds=60, loss=0.10, jitter=0.050)

    assert max(run.delays) <= 10
    assert max(run.latencies) <= 10 * FRAME + 0.060  # the buffer's bound plus the network's own delay
    assert run.played == sorted(run.played)  # reordering never reaches the decoder
    assert len(run.played) >= 0.85 * 3000  # only the 10 % lost, and a few too late, are missing
    assert 0.010 <= buffer.jitter_seconds <= 0.025  # RFC 3550's estimate of uniform 0-50 ms is ~17 ms
    early = statistics.mean(run.latencies[500:1000])
    late = statistics.mean(run.latencies[-500:])
    assert abs(late - early) < FRAME  # no creep over the minute


@pytest.mark.parametrize("sender_speed", [1.005, 0.995])
def test_clock_drift_is_absorbed_without_creeping_delay(sender_speed: float) -> None:
    buffer = JitterBuffer(min_delay_frames=2, max_delay_frames=10)
    run = simulate(buffer, seconds=120, jitter=0.010, sender_speed=sender_speed)

    # 0.5 % of two minutes is 30 frames that must have been dropped (fast) or concealed (slow) somewhere.
    corrections = buffer.stats.dropped_drift + buffer.stats.dropped_overflow + buffer.stats.concealed
    assert corrections >= 25
    assert statistics.mean(run.latencies[-500:]) < 0.100
    assert max(run.delays) <= 10
