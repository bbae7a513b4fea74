"""The stats chart, drawn by matplotlib from a `StatsChart` (the data, which the tests check; never the pixels).

Drawn on a bare `Figure` with the Agg canvas (pyplot keeps global state), in a child process (`draw`): about
0.5 s of work a chart, most of it holding the GIL. Measured on 2 shared cores (load 2.5-3.3) with a 20 ms ticker
on the loop, which runs the Spaces' audio: drawing in a worker thread made 16-26 of every ~80 ticks over 10 ms
late (up to 85 ms); in a child process 0-7 of ~180 (the machine's other load). The child's start and imports add
about 0.6 s, which `/space stats` spends deferred.
A resident process pool would spare that start but would import the whole bot (`bot.__main__`) and keep it.
"""

from __future__ import annotations

import asyncio
import io
import pickle
import sys
import unicodedata
from collections.abc import Mapping
from typing import Literal

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from spaces_core.domain.stats import StatsChart

__all__ = ["chart_caption", "draw", "render"]

Format = Literal["png", "svg"]
MAX_BARS = 12  # the most talkative speakers shown; the rest would be unreadable slivers
DISCORD, WEB, ACCENT = "#5865F2", "#3BA55C", "#ED4245"


def _plain(text: str) -> str:
    """Member-typed text drawn as typed: a `$` would otherwise start matplotlib's math mode."""
    return text.replace("$", r"\$")


def _emoji_name(emoji: str) -> str:
    """The chart's font has no colour emoji: the legend names them ("fire") rather than drawing empty boxes."""
    try:
        return unicodedata.name(emoji[0]).lower() if emoji and not emoji.startswith("<") else emoji
    except ValueError:
        return emoji


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def chart_caption(chart: StatsChart) -> str:
    """The chart's figures in words, for the message and the page (and for screen readers)."""
    peak = max(chart.listeners, default=0)
    parts = [
        f"Peak listeners: {peak}",
        f"speakers heard: {len(chart.talk_seconds)}",
        f"hands lowered: {chart.waits} (median wait {_duration(chart.wait_median)}, "
        f"longest {_duration(chart.wait_longest)}; {chart.unanswered} never answered)",
        f"reactions: {sum(values[-1] for values in chart.reactions.values() if values)}",
    ]
    if chart.tickets is not None:
        parts.append(f"tickets sold: {chart.tickets.sold}, net revenue {chart.tickets.revenue}")
    return "; ".join(parts) + "."


def _listeners(ax: Axes, chart: StatsChart) -> None:
    ax.set_title("Listeners")
    if chart.minutes:
        ax.stackplot(chart.minutes, chart.discord, chart.web, labels=["Discord", "Web"], colors=[DISCORD, WEB])
        ax.legend(loc="upper left", fontsize="small")
    ax.set_xlabel("minutes")
    ax.set_ylim(bottom=0)


def _talk(ax: Axes, chart: StatsChart, names: Mapping[int, str]) -> None:
    shown = list(chart.talk_seconds.items())[:MAX_BARS][::-1]
    in_minutes = max(chart.talk_seconds.values(), default=0) >= 120
    ax.set_title("Talk time (minutes)" if in_minutes else "Talk time (seconds)")
    labels = [_plain(names.get(user, str(user)))[:24] for user, _ in shown]
    ax.barh(labels, [seconds / 60 if in_minutes else seconds for _, seconds in shown], color=DISCORD)
    if not shown:
        ax.text(0.5, 0.5, "No one was heard", ha="center", va="center", transform=ax.transAxes)


def _reactions(ax: Axes, chart: StatsChart) -> None:
    ax.set_title("Reactions (so far) and raised hands (now)")
    for emoji, values in chart.reactions.items():
        ax.plot(chart.minutes, values, label=_plain(_emoji_name(emoji)))
    ax.set_xlabel("minutes")
    ax.set_ylim(bottom=0)
    if not chart.minutes:
        return
    hands = ax.twinx()  # a few hands against hundreds of reactions: their own scale, on the right
    hands.step(chart.minutes, chart.hands, where="post", color=ACCENT, linestyle="--", label="hands raised")
    hands.set_ylim(bottom=0, top=max(max(chart.hands, default=0), 1) * 1.2)
    hands.yaxis.set_major_locator(MaxNLocator(integer=True))  # a hand is a whole hand
    lines, labels = ax.get_legend_handles_labels()
    more, more_labels = hands.get_legend_handles_labels()
    ax.legend(lines + more, labels + more_labels, loc="upper left", fontsize="small")


def _waits(ax: Axes, chart: StatsChart) -> None:
    ax.set_title(f"Hand-raise waits ({chart.waits} lowered)")
    if not chart.waits:
        ax.text(0.5, 0.5, "No raised hand was answered", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    values = [chart.wait_median or 0.0, chart.wait_longest or 0.0]
    bars = ax.bar(["median", "longest"], values, color=[WEB, ACCENT])
    ax.bar_label(bars, labels=[_duration(chart.wait_median), _duration(chart.wait_longest)])
    ax.set_ylabel("seconds")
    ax.set_ylim(bottom=0, top=max(values) * 1.2 or 1)


def render(chart: StatsChart, names: Mapping[int, str], fmt: Format = "png", *, tall: bool = False) -> bytes:
    """Wide: four panels two by two (Discord, a desktop). Tall: one above the other, for a phone's width."""
    figure = Figure(figsize=(5, 13) if tall else (10, 7), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    title = _plain(chart.title)
    if chart.tickets is not None:
        title += f"\n{chart.tickets.sold} tickets sold, {_plain(chart.tickets.revenue)} net"
    figure.suptitle(title, wrap=True)
    listeners, talk, reactions, waits = figure.subplots(4, 1) if tall else figure.subplots(2, 2).flatten()
    _listeners(listeners, chart)
    _talk(talk, chart, names)
    _reactions(reactions, chart)
    _waits(waits, chart)
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata={"Software": None} if fmt == "png" else None)
    return out.getvalue()


async def draw(chart: StatsChart, names: Mapping[int, str], *, tall: bool = False) -> bytes:
    """`render` in a child process (`python -m bot.stats.chart`), so the loop's audio ticks never wait for it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.stats.chart",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        png, errors = await process.communicate(pickle.dumps((chart, dict(names), tall)))
    finally:
        if process.returncode is None:  # cancelled: the child goes with the request that wanted it
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise RuntimeError(f"the chart was not drawn: {errors.decode(errors='replace')[-500:]}")
    return png


def _child() -> None:
    """The child's side: our own process's pickle in on stdin, the PNG out on stdout."""
    chart, names, tall = pickle.loads(sys.stdin.buffer.read())
    sys.stdout.buffer.write(render(chart, names, tall=tall))


if __name__ == "__main__":
    _child()
