"""The fan-out's per-listener loop in C: every leg's RTP packet built and SRTP-protected in one call per frame.

Why it exists: in ``SrtpFanout.send_frame`` the Python around each listener's packet (copy the header template,
pack sequence and timestamp, copy the payload, set the length, call ``srtp_protect``, count) costs ~2 µs a
packet, about a fifth of the server's CPU per listener. The same steps in C cost a few hundred nanoseconds. What
remains per packet is libsrtp itself and the kernel's send, which no language change removes.

How: ``fanout_build`` walks an array of ``struct fanout_leg`` pointers (one per listener, owned by its
``FanoutLeg``, which reads its counters through it) and, for each, writes header + sequence + timestamp + payload
into the leg's slot (its ``sendmmsg`` slot, or its own scratch slot), calls libsrtp's ``srtp_protect`` through a
function pointer taken from pylibsrtp's cffi binding (the very function, and session, aiortc uses: nothing is
linked against libsrtp here) and writes the protected length where the leg's ``length`` points (for a batched
leg, the low half of its slot's ``iov_len``). Sending stays in Python (``sendmmsg`` batches, ``sendto``).

Built by ``scripts/install`` (cffi API mode, the machine's C compiler) as ``_fanout_loop``, never
committed. The build embeds a hash of its C source; ``load()`` uses a built module only if the hash matches this
file, so a stale build is ignored rather than called with another struct layout. Without a usable build (no
compiler, a stale build) ``SrtpFanout`` runs the same steps in its Python loop, which the same tests cover.

``main()`` builds it (skipped when the built module is current); ``scripts/install`` calls it.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any, Final

from spaces_core.webrtc.compat import pylibsrtp

__all__ = ["HEADER_MAX", "MODULE", "build", "load", "protect_function"]

MODULE: Final = "spaces_core.webrtc._fanout_loop"
HEADER_MAX: Final = 64  # RTP header with its extensions (aiortc's: 12 + mid + audio level, well under)

CDEF: Final = """
typedef int (*fanout_protect_fn)(void *ctx, void *packet, int *length);
struct fanout_leg {
    void *srtp;                 /* the listener's libsrtp session (srtp_t) */
    char *slot;                 /* where its packet is built and protected */
    int *length;                /* where its protected length goes */
    uint64_t packets;           /* packets and payload octets sent, as RTCP sender reports count them */
    uint64_t octets;
    uint32_t timestamp_origin;  /* its random RTP timestamp offset */
    uint32_t rtp_timestamp;     /* the timestamp of its last packet */
    uint16_t sequence;          /* the sequence number of its next packet */
    uint16_t header_len;
    unsigned char header[64];   /* its RTP header template (sequence and timestamp zero) */
};
int fanout_build(struct fanout_leg **legs, int count, const char *payload, int size, uint32_t timestamp,
                 fanout_protect_fn protect, int *failed);
const char *fanout_source_hash(void);
"""

SOURCE: Final = r"""
#include <stdint.h>
#include <string.h>

/* Returns how many legs libsrtp refused; their indices are in failed[0..n-1] and their counters unchanged. */
int fanout_build(struct fanout_leg **legs, int count, const char *payload, int size, uint32_t timestamp,
                 fanout_protect_fn protect, int *failed)
{
    int refused = 0;
    for (int i = 0; i < count; i++) {
        struct fanout_leg *leg = legs[i];
        unsigned char *slot = (unsigned char *)leg->slot;
        int start = leg->header_len;
        uint32_t stamp = leg->timestamp_origin + timestamp;
        memcpy(slot, leg->header, start);
        slot[2] = (unsigned char)(leg->sequence >> 8);
        slot[3] = (unsigned char)leg->sequence;
        slot[4] = (unsigned char)(stamp >> 24);
        slot[5] = (unsigned char)(stamp >> 16);
        slot[6] = (unsigned char)(stamp >> 8);
        slot[7] = (unsigned char)stamp;
        memcpy(slot + start, payload, size);
        *leg->length = start + size;
        if (protect(leg->srtp, slot, leg->length) != 0) {
            failed[refused++] = i;
            continue;
        }
        leg->packets += 1;
        leg->octets += (uint64_t)size;
        leg->sequence = (uint16_t)(leg->sequence + 1);
        leg->rtp_timestamp = stamp;
    }
    return refused;
}
"""

SOURCE_HASH: Final = hashlib.sha256((CDEF + SOURCE).encode()).hexdigest()[:16]


def protect_function(ffi: Any) -> Any:
    """pylibsrtp's ``srtp_protect`` as our function pointer type; None if its binding is not the libsrtp 2.x one."""
    return pylibsrtp.protect_pointer(ffi, "fanout_protect_fn")


def load() -> Any:
    """The built module, or None when it is missing or built from another version of this file."""
    try:
        module: Any = importlib.import_module(MODULE)
    except ImportError:
        return None
    if module.ffi.string(module.lib.fanout_source_hash()).decode() != SOURCE_HASH:
        return None
    return module


def build() -> Path:
    """Compile the module next to this file (in a scratch directory, so only the library lands here)."""
    cffi: Any = importlib.import_module("cffi")
    builder = cffi.FFI()
    builder.cdef(CDEF)
    hashed = f'const char *fanout_source_hash(void) {{ return "{SOURCE_HASH}"; }}\n'
    builder.set_source(MODULE, CDEF + SOURCE + hashed, extra_compile_args=["-O2"])
    with tempfile.TemporaryDirectory() as scratch:
        built = Path(builder.compile(tmpdir=scratch, verbose=False))
        target = Path(__file__).with_name(built.name)
        # Copied beside it, then renamed over it: a process that has the old library mapped keeps its own file.
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(built, partial)
        os.replace(partial, target)
    return target


def main() -> None:
    """Build unless the built module is this source's (its hash is in the library's bytes), then check it loads.

    The check runs in a fresh interpreter: an extension module once imported cannot be imported again.
    """
    built = [Path(__file__).with_name(MODULE.rpartition(".")[2] + suffix) for suffix in EXTENSION_SUFFIXES]
    if any(path.exists() and SOURCE_HASH.encode() in path.read_bytes() for path in built):
        print("fanout_loop: built module is current")
        return
    print(f"fanout_loop: built {build()}")
    check = f"from {__name__} import load; raise SystemExit(load() is None)"
    if subprocess.run([sys.executable, "-c", check], check=False).returncode:
        sys.exit("fanout_loop: the module just built does not load")
