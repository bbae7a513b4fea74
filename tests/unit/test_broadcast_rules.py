"""Broadcast (web listeners over HLS only): the host and co-hosts switch it; anyone else is refused with the
reason and nothing changes; switching it to what it already is, or on an ended Space, is refused too."""

from __future__ import annotations

import pytest

from spaces_core.domain import broadcast
from spaces_core.domain import events as ev
from spaces_core.domain.errors import Conflict, NotAllowed, SpaceNotLive
from spaces_core.domain.roles import Actor
from tests.unit.builders import ADMIN, COHOST, HOST, MOD, NOW, live_space, member
from tests.unit.services_support import App


@pytest.mark.parametrize("actor", [HOST, COHOST])
def test_the_host_and_a_cohost_turn_broadcast_on_and_off(actor: Actor) -> None:
    space = live_space(cohost=True)
    assert broadcast.set_broadcast(space, actor, True) == [ev.BroadcastChanged("s1", actor.user_id, True)]
    assert space.broadcast
    assert broadcast.set_broadcast(space, actor, False) == [ev.BroadcastChanged("s1", actor.user_id, False)]
    assert not space.broadcast


@pytest.mark.parametrize("actor", [member(10), member(11), MOD, ADMIN])
def test_speakers_and_listeners_are_refused_in_plain_words(actor: Actor) -> None:
    space = live_space(cohost=True)
    space.request_to_speak(10)
    space.approve_request(HOST, 10)  # member 10 is a speaker, 11 a listener
    with pytest.raises(NotAllowed, match="Only the host or a co-host can turn broadcast on or off"):
        broadcast.set_broadcast(space, actor, True)
    assert not space.broadcast


def test_the_same_switch_twice_or_after_the_end_is_refused() -> None:
    space = live_space()
    with pytest.raises(Conflict, match="not broadcast"):
        broadcast.set_broadcast(space, HOST, False)
    broadcast.set_broadcast(space, HOST, True)
    with pytest.raises(Conflict, match="already broadcast"):
        broadcast.set_broadcast(space, HOST, True)
    space.end(HOST, NOW)
    with pytest.raises(SpaceNotLive):
        broadcast.set_broadcast(space, HOST, False)


async def test_the_service_saves_it_and_publishes_the_change() -> None:
    app = App()
    space = await app.start()
    saved = await app.spaces.set_broadcast(space.id, HOST, True)
    assert saved.broadcast and (await app.spaces.get(space.id)).broadcast
    assert ev.BroadcastChanged(space.id, HOST.user_id, True) in app.publisher.events
    with pytest.raises(NotAllowed):
        await app.spaces.set_broadcast(space.id, member(10), False)
    assert (await app.spaces.get(space.id)).broadcast
