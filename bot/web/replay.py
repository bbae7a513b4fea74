"""Replays of recorded Spaces on the bot's web server, behind personal expiring links (``purpose="replay"``).

    GET /replays/{id}?token=…[&t=SECONDS]      the page (``static/replay.html``): the Space's header (title, host,
                                               server, date, length), a seekable <audio> player, chapters, the
                                               transcript beside it with a search box, a download link; ``t``
                                               starts playback at that second
    GET /replays/{id}/audio.ogg?token=…[&download=1]
                                               the Ogg/Opus file; aiohttp's FileResponse answers Range requests
                                               (206), so the player seeks without downloading the whole replay;
                                               ``download=1`` names it after the Space (Content-Disposition)
    GET /replays/{id}/transcript.json?token=…  {"lines": [{"at", "end", "name", "text"}], "chapters": [{"at",
                                               "keyword"}]}: the phrases said while it was recorded and the recap's
                                               chapters, ``at`` in seconds into the replay

The link is checked before anything else, so a forged or expired one learns nothing (403 with the reason, whether
or not a replay exists). Only ended Spaces: while a Space is live its parts are still being written, and a
deleted replay has no file (404). The page answers a refused link with a page in its own look that says why and
how to get a new link; the file and the transcript answer with the same statuses in plain text. The transcript
answers to the same link, and to the member it was issued to only while they may still hear the Space (a
refunded ticket closes it: 403).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web.links import LinkRefused, LinkSigner
from bot.web.replay_pages import FactsOf, ReplayFacts, attachment_header, error_page, page_html, replay_filename

__all__ = ["MayHear", "TranscriptOf", "add_replay_routes", "replay_path"]

# The token is in the page's URL: never send it on as a Referer, never keep the page in a shared cache.
_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
# {"lines": [...], "chapters": [...]}, or None: this member may not read it (any more)
TranscriptOf = Callable[[str, int], Awaitable[dict[str, Any] | None]]
MayHear = Callable[[str, int], Awaitable[bool]]  # (space id, member id): a refunded ticket no longer hears it
NO_REPLAY = "There is no replay of this Space (it was deleted, or is not ready yet)."
GONE = (
    "There is no replay of this Space any more: its host deleted it, or the server's time for keeping replays "
    "has passed."
)
STILL_LIVE = "This Space is still live: its replay opens here once it has ended."
NO_LONGER = "This link's member may no longer hear this Space (a refunded ticket?)."
NOT_VALID = "This link is not valid."  # as `LinkSigner` says it; the page says more
FORGED = (
    "This link is not valid: part of it may have been lost when it was copied, or it was changed. Links to a "
    "replay only work exactly as the bot sent them."
)
REFUSED_HEADING = "This link can't open the replay"
GONE_HEADING = "This replay isn't here"


class _Refused(Exception):
    """Why a request gets no replay: the HTTP status and the reason, in plain words for the page."""

    def __init__(self, status: int, reason: str, page_reason: str | None = None) -> None:
        super().__init__(reason)
        self.status, self.reason, self.page_reason = status, reason, page_reason or reason

    def plain(self) -> web.HTTPException:
        """As the file and transcript routes have always answered: the status and the reason as text."""
        if self.status == 403:
            return web.HTTPForbidden(text=self.reason, headers=_PRIVATE)
        return web.HTTPNotFound(text=self.reason, headers=_PRIVATE)

    def page(self) -> web.Response:
        heading = REFUSED_HEADING if self.status == 403 else GONE_HEADING
        text = error_page(heading, self.page_reason)
        return web.Response(status=self.status, text=text, content_type="text/html", headers=_PRIVATE)


def replay_path(space_id: str, token: str) -> str:
    return f"/replays/{space_id}?token={quote(token, safe='')}"


def add_replay_routes(
    app: web.Application,
    signer: LinkSigner,
    file_of: Callable[[str], Path | None],
    is_live: Callable[[str], bool],
    transcript_of: TranscriptOf | None = None,
    facts_of: FactsOf | None = None,
    may_hear: MayHear | None = None,
) -> None:
    """`file_of(space_id)`: the replay's file if it exists; `is_live(space_id)`: still being recorded;
    `transcript_of(space_id, member_id)`: the lines and chapters beside the player (none without it);
    `facts_of(space_id)`: the header's title, host, server, date and length (a plain header without it);
    `may_hear(space_id, member_id)`: whether the link's member may still hear it (everyone without it)."""
    routes = _ReplayRoutes(signer, file_of, is_live, transcript_of, facts_of, may_hear)
    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}", routes.page)
    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}/audio.ogg", routes.audio)
    app.router.add_get("/replays/{space_id:[0-9A-Za-z]+}/transcript.json", routes.transcript)


class _ReplayRoutes:
    def __init__(
        self,
        signer: LinkSigner,
        file_of: Callable[[str], Path | None],
        is_live: Callable[[str], bool],
        transcript_of: TranscriptOf | None,
        facts_of: FactsOf | None,
        may_hear: MayHear | None,
    ) -> None:
        self._signer, self._file_of, self._is_live = signer, file_of, is_live
        self._transcript_of, self._facts_of, self._may_hear = transcript_of, facts_of, may_hear

    async def _heard_file(self, request: web.Request) -> tuple[str, str, int, Path]:
        """`_replay_file`, then the member the link was issued to must still be allowed to hear the Space."""
        space_id, token, member, path = self._replay_file(request)
        if self._may_hear is not None and not await self._may_hear(space_id, member):
            raise _Refused(403, NO_LONGER)
        return space_id, token, member, path

    def _replay_file(self, request: web.Request) -> tuple[str, str, int, Path]:
        """The link checked first (a refused one learns nothing), then the file: Space, token, member, path."""
        space_id, token = request.match_info["space_id"], request.query.get("token", "")
        try:
            member = self._signer.verify(token, space_id, purpose="replay")
        except LinkRefused as refused:
            reason = str(refused)
            raise _Refused(403, reason, FORGED if reason == NOT_VALID else reason) from None
        if self._is_live(space_id):
            raise _Refused(404, NO_REPLAY, STILL_LIVE)
        path = self._file_of(space_id)
        if path is None:
            raise _Refused(404, NO_REPLAY, GONE)
        return space_id, token, member, path

    async def _facts(self, space_id: str) -> ReplayFacts | None:
        return await self._facts_of(space_id) if self._facts_of is not None else None

    async def page(self, request: web.Request) -> web.Response:
        try:
            space_id, token, _, _ = await self._heard_file(request)
        except _Refused as refused:
            return refused.page()
        signed = f"?token={quote(token, safe='')}"
        text = page_html(
            await self._facts(space_id),
            audio=f"/replays/{space_id}/audio.ogg{signed}",
            lines=f"/replays/{space_id}/transcript.json{signed}",
        )
        return web.Response(text=text, content_type="text/html", headers=_PRIVATE)

    async def transcript(self, request: web.Request) -> web.Response:
        try:
            space_id, _, member, _ = self._replay_file(request)
        except _Refused as refused:
            raise refused.plain() from None
        if self._transcript_of is None:
            return web.json_response({"lines": [], "chapters": []}, headers=_PRIVATE)
        body = await self._transcript_of(space_id, member)
        if body is None:
            raise web.HTTPForbidden(text="This link's member may no longer hear this Space.", headers=_PRIVATE)
        return web.json_response(body, headers=_PRIVATE)

    async def audio(self, request: web.Request) -> web.FileResponse:
        try:
            space_id, _, _, path = await self._heard_file(request)
        except _Refused as refused:
            raise refused.plain() from None
        headers = {"Content-Type": "audio/ogg", "Accept-Ranges": "bytes", "Cache-Control": "private"}
        if request.query.get("download") == "1":
            headers["Content-Disposition"] = attachment_header(replay_filename(await self._facts(space_id)))
        return web.FileResponse(path, headers=headers)
