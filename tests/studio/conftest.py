"""The Studio's browser tests: Debian's Chromium driven by Playwright (from PyPI; no browser
download), against a live server process on the test run's own database."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Backend
from tests.live import LiveServer, live_server, server_env

CHROMIUM = os.environ.get("CUSTOMTABLES_TEST_CHROMIUM", "/usr/bin/chromium")
# The flags this machine needs: no sandbox as root, and no calls home (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the module. Not for the session: Playwright's sync API keeps an event
    loop running in the main thread while it is open, which would break later tests that run
    their own (asyncio.run). A missing Chromium fails the tests (never skips them): `.ci/run`
    installs it."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def studio(backend: Backend) -> Iterator[LiveServer]:
    """`customtables serve` on the same database as the test client, so tests can prepare data
    through the API fixtures and check what the browser did through them too."""
    env = server_env(backend.settings.data_dir, backend.settings.database_url)
    with live_server(env, timeout=60) as server:
        yield server


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    yield tab
    context.close()
    assert not problems, f"script errors in the page: {problems}"
