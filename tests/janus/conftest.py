"""Two real Janus edges (Debian `janus`) in a network namespace of this test session's own (scripts/janus_netns).

Janus's ICE never uses the loopback, so the edges live in a namespace joined to this one by a veth pair; the
listeners (aiortc) and the bot's RTP sender stay here and reach them over the pair. The namespace, its subnet and
its run directory are named after this process so that two sessions on one machine never meet.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from spaces_core.webrtc.janus import EdgeConfig
from tests.missing import JANUS

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "janus_netns"
PORTS = {"edge1": 8088, "edge2": 8089}


@dataclass
class Namespace:
    env: dict[str, str]
    address: str

    def start(self, name: str) -> None:
        subprocess.run([SCRIPT, "start", name, str(PORTS[name])], env=self.env, check=True, capture_output=True)

    def stop(self, name: str) -> None:
        subprocess.run([SCRIPT, "stop", name], env=self.env, check=True, capture_output=True)

    def kill(self, name: str) -> None:
        """The edge's process dies at once (SIGKILL): no goodbye to its listeners or to the bot."""
        pid = int((Path(self.env["JANUS_RUN"]) / name / "pid").read_text())
        os.kill(pid, signal.SIGKILL)

    def config(self, name: str) -> EdgeConfig:
        return EdgeConfig(name, f"http://{self.address}:{PORTS[name]}/janus", self.address)


@pytest.fixture(scope="session")
def janus_namespace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Namespace]:
    if shutil.which("janus") is None or os.geteuid() != 0:
        pytest.skip(JANUS)
    tag = os.getpid() % 1000
    env = {
        **os.environ,
        "JANUS_NS": f"spj{tag}",
        "JANUS_SUBNET": f"10.233.{tag % 250}",
        "JANUS_RUN": str(tmp_path_factory.mktemp("janus")),
    }
    subprocess.run([SCRIPT, "up"], env=env, check=True, capture_output=True)
    namespace = Namespace(env, f"10.233.{tag % 250}.2")
    try:
        yield namespace
    finally:
        subprocess.run([SCRIPT, "down"], env=env, check=False, capture_output=True)


@pytest.fixture
async def two_edges(janus_namespace: Namespace) -> AsyncIterator[Namespace]:
    """Both edges freshly started for the test (a test may kill one), stopped after it."""
    await asyncio.to_thread(janus_namespace.start, "edge1")
    await asyncio.to_thread(janus_namespace.start, "edge2")
    yield janus_namespace
    for name in PORTS:
        await asyncio.to_thread(janus_namespace.stop, name)
