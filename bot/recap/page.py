"""An ended Space's recap for its listen page: GET /spaces/{id}/recap.json, what the page shows in its ended view.

The same recap as the one replying to the ended card (`RecapService.ended_recap`), as data with the speakers'
names. A ticketed Space's recap answers to the same signed personal link as its live page, and only while its
member may still attend: what was said in a ticketed Space is for those who could hear it. Built once per Space
(a Space's listeners all ask for it at its end) and kept for the last few Spaces.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Final

import discord
from aiohttp import web

from bot.access import speaker_names
from bot.web import LinkRefused, LinkSigner
from spaces_core.domain.errors import NotFound
from spaces_core.domain.space import Space, SpaceState
from spaces_core.recap import recap_data
from spaces_core.services.recaps import RecapService

__all__ = ["RecapPage"]

KEPT: Final = 32  # Spaces whose recap stays built: each ended Space's listeners ask for it within a minute
_PRIVATE: Final = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
Ticketed = Callable[[Space], Awaitable[bool]]
MayAttend = Callable[[Space, int], Awaitable[bool]]


class RecapPage:
    def __init__(
        self,
        client: discord.Client,
        recaps: RecapService,
        get_space: Callable[[str], Awaitable[Space]],
        signer: LinkSigner,
        *,
        ticketed: Ticketed,
        may_attend: MayAttend,
    ) -> None:
        self._client, self._recaps, self._get_space, self._signer = client, recaps, get_space, signer
        self._ticketed, self._may_attend = ticketed, may_attend
        self._built: OrderedDict[str, asyncio.Task[dict[str, Any]]] = OrderedDict()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/spaces/{space_id:[0-9A-Za-z]+}/recap.json", self.recap)

    async def recap(self, request: web.Request) -> web.Response:
        space_id = request.match_info["space_id"]
        try:
            space = await self._get_space(space_id)
        except NotFound:
            raise web.HTTPNotFound(text="There is no such Space.", headers=_PRIVATE) from None
        if space.state != SpaceState.ENDED:
            raise web.HTTPNotFound(text="This Space hasn't ended: its recap comes when it does.", headers=_PRIVATE)
        refused = await self._refusal(space, request.query.get("ticket", ""))
        if refused is not None:
            raise web.HTTPForbidden(text=refused, headers=_PRIVATE)
        return web.json_response(await self._built_for(space), headers=_PRIVATE)

    async def _refusal(self, space: Space, ticket: str) -> str | None:
        if not await self._ticketed(space):
            return None
        try:
            member = self._signer.verify(ticket, space.id)
        except LinkRefused as refused:
            return str(refused)
        if not await self._may_attend(space, member):
            return "This link's ticket is no longer valid (refunded?)."
        return None

    def _built_for(self, space: Space) -> asyncio.Task[dict[str, Any]]:
        task = self._built.get(space.id)
        if task is None or (task.done() and task.exception() is not None):
            task = self._built[space.id] = asyncio.ensure_future(self._build(space))
            while len(self._built) > KEPT:
                self._built.popitem(last=False)
        self._built.move_to_end(space.id)
        return task

    async def _build(self, space: Space) -> dict[str, Any]:
        recap = await self._recaps.ended_recap(space)
        said_by = [t.speaker_id for t in recap.talk_time] + [q.speaker_id for q in recap.quotes]
        said_by += [q.speaker_id for q in recap.questions]
        names = speaker_names(self._client, space.guild_id, said_by)
        data: dict[str, Any] = dict(recap_data(recap))
        for part in ("talk_time", "quotes", "questions"):
            data[part] = [_named(item, names) for item in data[part]]
        return {**data, "title": space.title}


def _named(item: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    """The speaker's name beside their id, and the id as a string: a snowflake is past what JavaScript's numbers
    hold exactly (2**53), so the page would read another id."""
    speaker = int(item["speaker_id"])
    return {**item, "speaker_id": str(speaker), "name": names.get(speaker, "a former member")}
