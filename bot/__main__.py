"""`python -m bot`: run the Spaces bot with settings from the environment (see .env.example).

For the offline demo on the local Discord-compatible server, run `python -m demo` (README's first command).
"""

from __future__ import annotations

import asyncio
import logging
import sys

from dotenv import load_dotenv

from bot.bootstrap import run
from bot.settings import Settings, SettingsError


def main() -> int:
    load_dotenv()
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"spaces: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
