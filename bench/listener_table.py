"""bench_listeners' instruments on the server's side: its garbage-collection pauses, and the table it prints."""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any

FAST_MODES = ("ours", "unfrozen", "pyloop", "perport")  # single-port ICE (sendmmsg) or a socket per listener


class GcPauses:
    """The server's garbage collections (generation, seconds with the event loop stopped) while it is measured."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def full(self) -> int:
        return sum(1 for generation, _ in self.pauses if generation == 2)

    def longest_ms(self) -> float:
        return 1000 * max((seconds for _, seconds in self.pauses), default=0.0)


GC_PAUSES = GcPauses()


def summarize(per_listener: list[dict[str, float]]) -> dict[str, Any]:
    rates = [s["rate"] for s in per_listener]
    p99s = [s["p99_jitter_ms"] for s in per_listener]
    return {
        "rate_min": min(rates),
        "rate_median": statistics.median(rates),
        "lost": int(sum(s["lost"] for s in per_listener)),
        "bad": int(sum(s["bad"] for s in per_listener)),
        "p99_median": statistics.median(p99s),
        "p99_worst": max(p99s),
        "p99_read_worst": max(s["p99_read_jitter_ms"] for s in per_listener),
        "max_gap_ms": max(s["max_gap_ms"] for s in per_listener),
    }


HEADER = (
    "    mode     N | sent/s | pkt/s min  med | lost bad | p99 jit med worst  read  maxgap | srv cores  lst/core | "
    "fan-out µs/pkt share | gc ms: join | full  max |  end | rcv cores | tone Hz"
)


def row(r: dict[str, Any]) -> str:
    tones = ",".join(f"{hz:.0f}" for hz in r["tones_hz"])
    fanout = (
        f"{r['fanout_us_per_packet']:8.1f} {100 * r['fanout_share']:4.0f}%" if r["mode"] in FAST_MODES else " " * 14
    )
    return (
        f"{r['mode']:>8} {r['listeners']:>5} | {r['sent_rate']:6.1f} | {r['rate_min']:6.1f} {r['rate_median']:6.1f}"
        f" | {r['lost']:4d} {r['bad']:3d} | {r['p99_median']:6.2f} {r['p99_worst']:6.2f}"
        f" {r['p99_read_worst']:5.1f} {r['max_gap_ms']:7.1f}"
        f" | {r['server_cores']:6.3f} {r['per_core']:7.0f}{'' if r['qualifies'] else '*'}"
        f" | {fanout} | {r['gc_joining_ms']:12.0f} | {r['gc_full']:4d} {r['gc_longest_ms']:4.0f}"
        f" | {r['gc_end_ms']:4.0f}"
        f" | {r['receivers_cores']:6.2f}    | {tones}"
    )
