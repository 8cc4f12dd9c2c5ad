"""Fixtures shared by every test folder."""
from pathlib import Path

import pytest

# Headless Chromium from Debian, never a Playwright browser download.
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: apt-get install chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        await launched.close()
