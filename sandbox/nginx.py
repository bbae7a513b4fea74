"""nginx from Debian in front of an HLS directory, run as a child of a test or a benchmark: a config and prefix
in a temporary directory, one free loopback port, no daemon and no master process (so it runs as the caller's
user and reads the caller's files). The config is what docs/HLS.md asks of production, minus TLS."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

__all__ = ["nginx_binary", "serving"]

# What production would add in front of HLS_DIR (docs/HLS.md): the HLS types, no caching of the playlist (it
# changes every segment), a second's caching of a broadcast's page.json (bot/hls/page_files.py), and CORS so the
# listen page on the bot's own address may fetch from this one.
_CONFIG = """
worker_processes 1;
master_process off;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{
        application/vnd.apple.mpegurl m3u8;
        video/iso.segment m4s;
        audio/mp4 mp4;
        text/html html;
        text/javascript js;
        application/json json;
    }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location ~ \\.m3u8$ {{
            add_header Cache-Control "no-cache" always;
            add_header Access-Control-Allow-Origin "*" always;
        }}
        location ~ \\.json$ {{
            add_header Cache-Control "max-age=1" always;
            add_header Access-Control-Allow-Origin "*" always;
        }}
        location / {{
            add_header Cache-Control "max-age=86400" always;
            add_header Access-Control-Allow-Origin "*" always;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(root: Path, prefix: Path) -> AsyncIterator[str]:
    """nginx serving ``root``; yields its base URL once it accepts connections, stops it on the way out."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed: `apt-get install nginx-light`")
    port = _free_port()
    config = _configure(prefix, port, root)
    process = await asyncio.create_subprocess_exec(binary, "-p", str(prefix), "-c", str(config))
    try:
        await _accepting(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await process.wait()


def _configure(prefix: Path, port: int, root: Path) -> Path:
    prefix.mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(_CONFIG.format(prefix=prefix, port=port, root=root))
    return config


async def _accepting(port: int, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(10):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"nginx exited with {process.returncode} before it accepted connections")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return
