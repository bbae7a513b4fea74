"""The listen page's signalling through a Janus edge, when edges are configured (``JANUS_EDGES``).

    POST /spaces/{id}/edge              (ticket in the query, as for the page) -> {"listener": id, "sdp": offer}
    POST /spaces/{id}/edge/{listener}   {"sdp": answer} -> 204

Janus's streaming plugin makes the offer (on ``watch``) and the listener answers (on ``start``), the reverse of the
bot's own ``/offer``. The bot does the Janus signalling on the listener's behalf, after the same link check as
``/offer`` and the event stream (``WebServer._room``), rather than handing browsers a Janus token to talk to Janus
themselves. Why: the signed-link rules stay in one place (a forged, expired or refunded link is refused by the very
check every other route uses, and a token could not be revoked when a ticket is refunded without more admin calls);
Janus's API is never exposed to the internet (only its media ports are), so it needs no token store, no per-listener
admin round trip and no CORS; and the bot knows every listener it sent to each edge, which its least-loaded choice
uses. The cost is two small HTTP exchanges per listener through the bot; the audio itself goes from the edge.

The listener id is unguessable and tied to the Space, and the answer is checked against the same link again, so
one listener cannot start another's connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.audio.rooms import SpaceAudio
from spaces_core.webrtc.janus import Edges, JanusError, NoEdge, UnknownListener

__all__ = ["add_edge_routes"]

RoomOf = Callable[[web.Request], Awaitable[SpaceAudio]]
SdpOf = Callable[[web.Request], Awaitable[str]]


def add_edge_routes(app: web.Application, edges: Edges, room_of: RoomOf, sdp_of: SdpOf) -> None:
    """``room_of`` finds the live Space and refuses a request whose link may not hear it (404/403 with the reason);
    ``sdp_of`` reads the ``{"sdp": ...}`` body (400 with what is wrong)."""

    async def watch(request: web.Request) -> web.Response:
        room = await room_of(request)
        try:
            listener, offer = await edges.watch(room.space.id)
        except NoEdge as none:
            raise web.HTTPServiceUnavailable(text=str(none)) from None
        except (JanusError, TimeoutError):
            raise web.HTTPServiceUnavailable(text="The audio edge did not answer: press Play again.") from None
        return web.json_response({"listener": listener, "sdp": offer})

    async def answer(request: web.Request) -> web.Response:
        room = await room_of(request)
        sdp = await sdp_of(request)
        try:
            await edges.answer(room.space.id, request.match_info["listener"], sdp)
        except UnknownListener as unknown:
            raise web.HTTPGone(text=str(unknown)) from None
        except JanusError as refused:
            raise web.HTTPBadRequest(text=f"The audio edge refused the answer: {refused}.") from None
        except TimeoutError:
            raise web.HTTPServiceUnavailable(text="The audio edge did not answer: press Play again.") from None
        return web.Response(status=204)

    app.router.add_post("/spaces/{space_id}/edge", watch)
    app.router.add_post("/spaces/{space_id}/edge/{listener}", answer)
