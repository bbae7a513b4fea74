"""A tiny driver for Debian's headless ``chromium`` over the DevTools protocol (CDP): open a page, evaluate.

Nothing is downloaded: the browser is the system package, the protocol is a websocket we speak with aiohttp.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import aiohttp

__all__ = ["Chromium", "DevToolsError", "chromium_binary"]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    # Chromium hides host candidates behind mDNS names by default; the server's ICE wants addresses.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--remote-debugging-port=0",
]


_KEYS = {"Enter": (13, "\r"), "Escape": (27, ""), "Tab": (9, "")}  # key: Windows key code, the text it types


class DevToolsError(RuntimeError):
    """The browser answered a command with an error (for example: the page navigated while it ran)."""


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    def __init__(self, *flags: str) -> None:
        """`flags`: more command-line switches (a network policy, say)."""
        self._flags = flags
        self._profile = tempfile.TemporaryDirectory(prefix="spaces-chromium-")
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)

    async def open(self, url: str) -> None:
        binary = chromium_binary()
        assert binary is not None, "Debian package chromium is not installed"
        self._process = await asyncio.create_subprocess_exec(
            binary, *FLAGS, *self._flags, f"--user-data-dir={self._profile.name}", url,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        async with asyncio.timeout(20):
            while not port_file.exists() or not port_file.read_text().strip():
                await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        self._http = aiohttp.ClientSession()
        async with asyncio.timeout(20):
            while True:
                async with self._http.get(f"http://127.0.0.1:{port}/json/list") as response:
                    pages = [t for t in await response.json() if t.get("type") == "page"]
                if pages:
                    break
                await asyncio.sleep(0.05)
        self._ws = await self._http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0)

    async def evaluate(self, expression: str) -> Any:
        """The expression's value (awaited if it is a promise), as a user gesture (a click counts)."""
        params = {"expression": expression, "returnByValue": True, "awaitPromise": True, "userGesture": True}
        result = await self._command("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    async def navigate(self, url: str) -> None:
        """Load ``url`` in the page and wait until it has loaded (a script's ``location.href = ...`` races: an
        evaluation sent while the old document goes away gets an error instead of a result)."""
        await self._command("Page.navigate", {"url": url})
        async with asyncio.timeout(10):
            while True:
                with contextlib.suppress(DevToolsError):  # the old document's context is destroyed meanwhile
                    if await self.evaluate(f"location.href === {url!r} && document.readyState === 'complete'"):
                        return
                await asyncio.sleep(0.05)

    async def phone_screen(self, width: int = 360, height: int = 740) -> None:
        """Lay the page out as a phone does: `width` CSS pixels wide, a mobile viewport (the page's meta tag)."""
        metrics = {"width": width, "height": height, "deviceScaleFactor": 2, "mobile": True}
        await self._command("Emulation.setDeviceMetricsOverride", metrics)

    async def window(self, width: int, height: int = 900) -> None:
        """Lay the page out in a window `width` CSS pixels wide (a phone's, with its viewport rules, under 600)."""
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}
        await self._command("Emulation.setDeviceMetricsOverride", metrics)

    async def press(self, key: str, code: int | None = None) -> None:
        """A real key press (down, then up) sent to the focused element: `Enter`, `Escape`, `Tab` (or any key with its
        Windows key code): focus moves, :focus-visible applies."""
        known, text = _KEYS.get(key, (0, ""))
        down: dict[str, Any] = {"type": "keyDown", "key": key, "code": key, "windowsVirtualKeyCode": code or known}
        if text:
            down["text"] = text
        await self._command("Input.dispatchKeyEvent", down)
        up = {"type": "keyUp", "key": key, "code": key, "windowsVirtualKeyCode": code or known}
        await self._command("Input.dispatchKeyEvent", up)

    async def type(self, text: str) -> None:
        """Text typed into the focused field, as a keyboard or an input method enters it."""
        await self._command("Input.insertText", {"text": text})

    async def emulate(self, *, timezone: str | None = None, locale: str | None = None, dark: bool = False) -> None:
        """The viewer's time zone, locale and light or dark preference (takes effect for what runs after)."""
        if timezone is not None:
            await self._command("Emulation.setTimezoneOverride", {"timezoneId": timezone})
        if locale is not None:
            await self._command("Emulation.setLocaleOverride", {"locale": locale})
        await self.color_scheme("dark" if dark else "light")

    async def color_scheme(self, scheme: str) -> None:
        """Lay the page out as the system's `light` or `dark` choice would (its prefers-color-scheme rules)."""
        features = [{"name": "prefers-color-scheme", "value": scheme}]
        await self._command("Emulation.setEmulatedMedia", {"features": features})

    async def grant(self, *permissions: str) -> None:
        """Grant the page's origin browser permissions (e.g. "clipboardReadWrite") without a prompt."""
        await self._command("Browser.grantPermissions", {"permissions": list(permissions)})

    async def screenshot(self, path: Path) -> None:
        """The page as it looks now, as PNG (to look at what a test saw)."""
        path.write_bytes(base64.b64decode((await self._command("Page.captureScreenshot", {}))["data"]))

    async def _command(self, method: str, params: dict[str, Any]) -> Any:
        assert self._ws is not None
        ident = next(self._ids)
        await self._ws.send_str(json.dumps({"id": ident, "method": method, "params": params}))
        async for message in self._ws:
            reply = json.loads(message.data)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                return reply["result"]
        raise RuntimeError("the browser closed the DevTools connection")

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._http is not None:
            await self._http.close()
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            try:
                async with asyncio.timeout(5):
                    await self._process.wait()
            except TimeoutError:
                self._process.kill()
                await self._process.wait()
        with contextlib.suppress(OSError):
            self._profile.cleanup()
