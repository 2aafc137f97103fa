"""Helpers of the Studio's browser tests (the fixtures are in this folder's conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Backend
from tests.live import LiveServer

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "studio"


def sign_in(page: Any, server: LiveServer, token: str, hash_: str = "") -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.base_url}/data")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Tables", exact=True)).to_be_visible()
    if hash_:
        page.evaluate("h => { location.hash = h; }", hash_)


def screenshot(page: Any, backend: Backend, name: str) -> None:
    """The README's pictures of each screen (taken on the SQLite run only)."""
    if backend.name == "sqlite":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
