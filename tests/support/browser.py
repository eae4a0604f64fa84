"""Debian's chromium driven by Playwright, headless, as every browser test starts it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pubreview.settings import PROJECT_ROOT
from tests.conftest import skip_or_fail

CHROMIUM = Path("/usr/bin/chromium")
# Screenshots a test takes, for a person to look at (git-ignored).
SHOTS = PROJECT_ROOT / "test-output"
# Without the background-networking flags chromium floods the closed network with refused
# connections; as root it needs --no-sandbox.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip (fail under CI) when Debian's chromium is not installed."""
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install -y chromium)")


@contextmanager
def chromium(profile_dir: Path, **options: Any) -> Iterator[Any]:
    """A headless chromium context with a fresh profile; `options` go to Playwright."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            **options,
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """One headless chromium for a module: each test opens its own contexts (JavaScript on or
    off, fresh cookies) with `browser.new_context(...)`; Playwright gives it a fresh profile."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
