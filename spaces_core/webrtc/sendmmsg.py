"""A frame's packets for every listener on one UDP socket, sent in a few ``sendmmsg(2)`` system calls.

Why it exists: with every listener on one socket (``port``) the per-listener ``sendto`` (the largest
cost of the fan-out) becomes one entry of a ``sendmmsg`` batch. Each listener owns a fixed slot of one contiguous
buffer and a fixed ``mmsghdr`` (its destination, its slot); per frame only the slot's bytes and the length change,
and SRTP writes that length straight into the slot's ``iov_len`` (an ``int`` over the low half of a ``size_t``:
little-endian only, see ``available``). cffi in ABI mode over the C library: nothing is compiled.
"""

from __future__ import annotations

import errno
import importlib
import socket
import struct
import sys
from typing import Any, Final

__all__ = ["SLOT_BYTES", "SendBatch", "available"]

SLOT_BYTES: Final = 1536  # an MTU-sized packet with its SRTP trailer, rounded to cache lines
_MAX_BATCH: Final = 1024  # UIO_MAXIOV: the kernel takes at most this many messages per call

_ffi: Any = importlib.import_module("cffi").FFI()  # no type stubs installed
_ffi.cdef(
    """
    struct iovec { void *iov_base; size_t iov_len; };
    struct msghdr {
        void *msg_name; unsigned int msg_namelen; struct iovec *msg_iov; size_t msg_iovlen;
        void *msg_control; size_t msg_controllen; int msg_flags;
    };
    struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
    int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags);
    """
)
try:
    _libc: Any = _ffi.dlopen(None)
    _sendmmsg: Any = _libc.sendmmsg
except (OSError, AttributeError):  # not Linux/glibc: the fan-out sends one packet per call instead
    _sendmmsg = None


def available() -> bool:
    return _sendmmsg is not None and sys.byteorder == "little" and _ffi.sizeof("size_t") == 8


def _sockaddr(address: tuple[str, int]) -> bytes:
    host, port = address
    if ":" in host:  # sockaddr_in6: family (host order), port, flow info, address, scope id
        return struct.pack("=H", socket.AF_INET6) + struct.pack(
            "!HI16sI", port, 0, socket.inet_pton(socket.AF_INET6, host), 0
        )
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H4s8x", port, socket.inet_aton(host))


class SendBatch:
    """Slots 0..capacity-1, each a listener's packet this frame; ``send(start, stop)`` sends a run of them."""

    def __init__(self, sock: socket.socket) -> None:
        self._socket = sock  # held: the file descriptor below stays ours as long as this object
        self._fd = sock.fileno()
        self.capacity = 0
        self._buffer: Any = None
        self._iovecs: Any = None
        self._messages: Any = None
        self._names: list[Any] = []

    def resize(self, capacity: int) -> None:
        """Room for ``capacity`` slots; every slot's contents and destination must be set again."""
        self.capacity = capacity
        size = max(capacity, 1)
        self._buffer = _ffi.new("char[]", size * SLOT_BYTES)
        self._iovecs = _ffi.new("struct iovec[]", size)
        self._messages = _ffi.new("struct mmsghdr[]", size)
        self._names = [None] * size
        for index in range(capacity):
            iovec = self._iovecs[index]
            iovec.iov_base = self._buffer + index * SLOT_BYTES
            header = self._messages[index].msg_hdr
            header.msg_iov = _ffi.addressof(iovec)
            header.msg_iovlen = 1

    def slot(self, index: int) -> tuple[Any, memoryview, Any]:
        """The slot's start (for ``srtp_protect``), a view to write the packet in, and its length as ``int *``."""
        start = self._buffer + index * SLOT_BYTES
        view = memoryview(_ffi.buffer(start, SLOT_BYTES))
        length = _ffi.cast("int *", _ffi.addressof(self._iovecs[index], "iov_len"))
        return start, view, length

    def set_destination(self, index: int, address: tuple[str, int]) -> None:
        name = _ffi.new("char[]", _sockaddr(address))
        self._names[index] = name
        header = self._messages[index].msg_hdr
        header.msg_name = name
        header.msg_namelen = len(name) - 1  # cffi adds a NUL to a char[] made from bytes

    def send(self, start: int, stop: int) -> tuple[int, list[int]]:
        """Send slots ``start..stop-1``; returns where sending stopped (socket buffer full: the rest are dropped)
        and the slots the kernel refused one by one (a send error: that listener's path is broken)."""
        errors: list[int] = []
        index = start
        messages, fd = self._messages, self._fd
        while index < stop:
            sent = _sendmmsg(fd, messages + index, min(stop - index, _MAX_BATCH), 0)
            if sent > 0:
                index += sent
                continue
            code = _ffi.errno
            if code == errno.EINTR:
                continue
            if code in (errno.EAGAIN, errno.ENOBUFS):
                break
            errors.append(index)  # the first message failed on its own: skip it, send the others
            index += 1
        return index, errors
