"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``, installed by
tools/ensure_system_deps.sh) driven by Selenium, for the web page's tests and
its screenshots (tools/web_screenshots.py)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

DEFAULT_TIMEOUT = 15.0
PHONE = (390, 844)
DESKTOP = (1280, 800)


def chromedriver() -> str:
    """The system's chromedriver; never one downloaded at test time."""
    path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not Path(path).exists():
        raise RuntimeError("the browser tests need Debian's chromium and chromium-driver: run tools/ensure_system_deps.sh")
    return path


def start_browser(downloads: Path, size: tuple[int, int] = DESKTOP) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False, "safebrowsing.enabled": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver()))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


def set_viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    """The page's own viewport exactly (a window's size includes no chrome when headless)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 640}
    )


def until(condition: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT, what: str = "the page to get there") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # an element not there yet, a stale one
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(0.05)


def entry_names(driver: webdriver.Chrome) -> list[str]:
    return driver.execute_script("return Array.from(document.querySelectorAll('#entries li .name')).map(a => a.textContent)")
