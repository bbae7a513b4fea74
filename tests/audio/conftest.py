"""Fixtures shared by the fan-out tests."""

from __future__ import annotations

import pytest

from spaces_core.webrtc import fanout_loop
from tests.missing import C_LOOP


@pytest.fixture(params=[True, False], ids=["c-loop", "python-loop"])
def compiled(request: pytest.FixtureRequest) -> bool:
    """Which loop builds the fan-out's packets: the same behaviour is asked of both."""
    if request.param and fanout_loop.load() is None:
        pytest.skip(C_LOOP)
    return bool(request.param)
