"""The bot's web server: the listen page, WebRTC signalling for web listeners, live state, signed links."""

from bot.web.elsewhere import OwnerOf, redirect_to_owner
from bot.web.links import LinkRefused, LinkSigner
from bot.web.off import NoWeb
from bot.web.page_state import place_of, who_is
from bot.web.replay_pages import ReplayFacts
from bot.web.scheduled import Upcoming
from bot.web.server import WebServer

__all__ = [
    "LinkRefused",
    "LinkSigner",
    "NoWeb",
    "OwnerOf",
    "ReplayFacts",
    "Upcoming",
    "WebServer",
    "place_of",
    "redirect_to_owner",
    "who_is",
]
