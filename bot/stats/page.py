"""The host's stats page on the bot's web server, behind a personal expiring link (``purpose="stats"``).

    GET /stats/{id}?token=…            the page: the Space's charts, its figures in words, the member's past Spaces
    GET /stats/{id}/chart.png?token=…  the chart (the same image `/space stats` attaches)

The link is checked before anything else: a forged, expired or misplaced one gets a page in the same style that
says why and how to get a new one (403), whether or not the Space exists. Plain HTML and CSS, no script, no build
step; light or dark as the system says; one column on a phone, wider on a desktop.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web

from bot.replies import said
from bot.stats.chart import chart_caption, draw
from bot.web import LinkRefused, LinkSigner
from spaces_core.domain.errors import SpacesError
from spaces_core.domain.space import Space
from spaces_core.domain.stats import HostedSpace
from spaces_core.services.stats import StatsService, StatsView

__all__ = ["LINK_TTL", "StatsPages", "stats_path"]

LINK_TTL = 3600.0  # an hour: long enough to read, short enough that a forwarded link soon stops working
# The token is in the page's URL: never send it on as a Referer, never keep the page in a shared cache.
_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}

_STYLE = """
:root { color-scheme: light dark; --bg: #f6f7f9; --card: #fff; --text: #1d1f23; --muted: #5c6270;
  --accent: #4752c4; --line: #dde0e6; }
@media (prefers-color-scheme: dark) { :root { --bg: #15171b; --card: #202329; --text: #eceef2;
  --muted: #a9afbb; --accent: #9ba4ff; --line: #343842; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 16px/1.5 system-ui, sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; overflow-wrap: anywhere; } h2 { font-size: 1.15rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px;
  margin: 16px 0; }
.muted { color: var(--muted); }
img { display: block; width: 100%; height: auto; border-radius: 8px; background: #fff; }
ul.history { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px;
  grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); }
ul.history li { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
a { color: var(--accent); overflow-wrap: anywhere; } a:focus-visible { outline: 3px solid var(--accent); }
.current { border-color: var(--accent) !important; }
"""


def stats_path(space_id: str, token: str, suffix: str = "") -> str:
    return f"/stats/{space_id}{suffix}?token={quote(token, safe='')}"


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body><main>{body}</main></body></html>"
    )
    return web.Response(text=text, content_type="text/html", status=status, headers=_PRIVATE)


def refusal(reason: str) -> web.Response:
    body = (
        '<h1>This stats link doesn\'t work</h1><div class="card">'
        f"<p>{html.escape(reason)}</p><p>Stats links are personal and last an hour. In Discord, run "
        "<strong>/space stats</strong> in your server to get a new one.</p></div>"
    )
    return _page("Stats link refused", body, status=403)


def _minutes(space: HostedSpace | Space) -> str:
    started, ended = space.started_at, space.ended_at
    if ended is None or started is None:
        return "live now"
    return f"{round((ended - started).total_seconds() / 60)} min"


@dataclass(slots=True)
class StatsPages:
    service: StatsService
    signer: LinkSigner
    name_of: Callable[[int, int], str]  # (guild id, user id) -> display name

    def token(self, space_id: str, member_id: int) -> str:
        return self.signer.sign(space_id, member_id, ttl_seconds=LINK_TTL, purpose="stats")

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/stats/{space_id:[0-9A-Za-z]+}", self._page)
        app.router.add_get("/stats/{space_id:[0-9A-Za-z]+}/chart.png", self._chart)

    async def _linked(self, request: web.Request) -> tuple[StatsView, int, str]:
        space_id, token = request.match_info["space_id"], request.query.get("token", "")
        try:
            member = self.signer.verify(token, space_id, purpose="stats")
            return await self.service.view_linked(space_id), member, token
        except LinkRefused as refused:
            raise _Refused(str(refused)) from None
        except SpacesError as error:  # its sentences name no member or channel: nothing Discord-only in them
            raise _Refused(said(error)) from None

    async def _chart(self, request: web.Request) -> web.StreamResponse:
        try:
            view, _, _ = await self._linked(request)
        except _Refused as refused:
            return refusal(refused.reason)
        guild_id = view.space.guild_id
        names = {user: self.name_of(guild_id, user) for user in view.chart.talk_seconds}
        tall = request.query.get("layout") == "tall"
        png = await draw(view.chart, names, tall=tall)
        return web.Response(body=png, content_type="image/png", headers=_PRIVATE)

    async def _page(self, request: web.Request) -> web.Response:
        try:
            view, member, token = await self._linked(request)
        except _Refused as refused:
            return refusal(refused.reason)
        space, chart = view.space, view.chart
        history = await self.service.history(space.guild_id, member)
        started = space.started_at or space.created_at
        chart_src = stats_path(space.id, token, "/chart.png")
        caption = html.escape(chart_caption(chart))
        body = (
            f'<p class="muted">Your Space stats · private link</p><h1>{html.escape(space.title)}</h1>'
            f'<p class="muted">{started:%a %d %b %Y, %H:%M} UTC · {_minutes(space)}</p><div class="card"><picture>'
            f'<source media="(max-width: 600px)" srcset="{html.escape(chart_src)}&amp;layout=tall" width="500" '
            f'height="1300"><img src="{html.escape(chart_src)}" width="1000" height="700" alt="{caption}">'
            f"</picture><p>{caption}</p></div>"
            f'<div class="card"><h2>Your Spaces</h2><ul class="history">{self._history(history, member, space.id)}'
            "</ul></div>"
        )
        return _page(f"Stats · {space.title}", body)

    def _history(self, history: list[HostedSpace], member: int, current: str) -> str:
        items = []
        for past in history:
            link = html.escape(stats_path(past.space_id, self.token(past.space_id, member)))
            mark = ' class="current" aria-current="page"' if past.space_id == current else ""
            items.append(
                f'<li{mark}><a href="{link}">{html.escape(past.title)}</a><br><span class="muted">'
                f"{past.started_at:%d %b %Y} · {_minutes(past)} · peak {past.peak_listeners} listeners</span></li>"
            )
        return "".join(items) or "<li>No Spaces yet.</li>"


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
