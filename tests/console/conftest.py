"""Fixtures of the console tests: the `dev simulate --failing` world, and a real headless Chromium.

Chromium and its driver are Debian's (`chromium`, `chromium-driver`, installed by
scripts/setup); Selenium is pointed at /usr/bin/chromedriver, so nothing is downloaded.
The flags keep Chromium off the network (this machine has none) and in a fresh profile.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from console_support import ServedConsole, dump_objects

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "console"


def chromium(profile: Path, *, javascript: bool = True) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), (
        "Debian chromium and chromium-driver are required: run scripts/setup"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not fetch anything
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    driver = chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/console/ with UPDATE_SCREENSHOTS=1 (to refresh the docs), else a temporary dir."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        return DOCS
    return tmp_path_factory.mktemp("screenshots")


class SimulatedFlow:
    """What `dev simulate --failing --console` served while the flow ran, and its end state."""

    def __init__(self) -> None:
        self.during: list[tuple[int, str]] = []  # start pages the console served mid-flow
        self.dump: list[dict[str, Any]] = []
        self.result: Any = None


@pytest.fixture(scope="session")
def simulated() -> SimulatedFlow:
    from konflux.testing import local_console, run_simulation

    flow = SimulatedFlow()

    async def watch(url: str, token: str) -> None:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            while True:
                async with http.get(url) as response:
                    flow.during.append((response.status, await response.text()))
                await asyncio.sleep(0.3)

    @asynccontextmanager
    async def hook(cluster: Any):
        async with local_console(cluster) as served:
            watcher = asyncio.create_task(watch(served.url, served.token))
            try:
                yield
            finally:
                watcher.cancel()
                flow.dump = dump_objects(cluster.api)

    flow.result = run_simulation("failing", lambda msg: None, hook)
    return flow


@pytest.fixture(scope="session")
def failing_world(simulated: SimulatedFlow) -> Iterator[ServedConsole]:
    """The end state of `dev simulate --failing`, served by a console (admin user)."""
    with ServedConsole(simulated.dump, poll_ms=400) as served:
        yield served
