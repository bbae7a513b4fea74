"""Suite-wide settings."""

from __future__ import annotations

import os

from hypothesis import settings

# CI must not fail on a new random draw found at that moment: there the examples are derived from the test itself
# (the same on every run) and no deadline applies on a shared machine. Locally, every run explores new examples.
settings.register_profile("ci", derandomize=True, deadline=None, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
