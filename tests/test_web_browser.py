"""The web page in a real browser: headless Chromium driven by Selenium against
the real server (docs/web.md). Lists, opens a folder, downloads (sha256
checked), uploads by the file input and by a drop, renames, deletes, signs in;
a hostile name stays text; the phone layout does not scroll sideways."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.browser_support import PHONE, entry_names, set_viewport, start_browser, until

TOKEN = "browser token"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    driver = start_browser(downloads)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture
def web(server_factory, library):
    (library / "photos").mkdir()
    (library / "photos" / "beach.jpg").write_bytes(os.urandom(150_000))
    (library / "report.pdf").write_bytes(os.urandom(70_000))
    (library / "notes.txt").write_text("hello\n")
    return server_factory("--workers", "1", web=True)


def open_page(browser, url: str) -> None:
    browser.get(url)
    until(lambda: not browser.find_element(By.ID, "browser").get_attribute("hidden") or browser.find_element(By.ID, "login").is_displayed())


def row(browser, name: str):
    for item in browser.find_elements(By.CSS_SELECTOR, "#entries li"):
        if item.get_attribute("data-name") == name:
            return item
    return None


def test_the_page_lists_and_opens_a_folder(browser, web):
    open_page(browser, web.web_url)
    until(lambda: entry_names(browser) == ["photos", "notes.txt", "report.pdf"], what="the listing")
    row(browser, "photos").find_element(By.CSS_SELECTOR, "a.name").click()
    until(lambda: entry_names(browser) == ["beach.jpg"], what="the folder's listing")
    assert browser.current_url == f"{web.web_url}photos/"
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#crumbs a")] == ["photos"]
    browser.find_element(By.ID, "filter").send_keys("zzz")
    until(lambda: entry_names(browser) == [], what="the filter")


def test_sort_by_size(browser, web):
    open_page(browser, web.web_url)
    until(lambda: len(entry_names(browser)) == 3)
    browser.find_element(By.CSS_SELECTOR, "#sort option[value=size]").click()
    until(lambda: entry_names(browser) == ["photos", "report.pdf", "notes.txt"], what="sorted by size")


def test_download_a_file_sha256_checked(browser, web, library):
    open_page(browser, web.web_url)
    until(lambda: row(browser, "report.pdf"))
    row(browser, "report.pdf").find_element(By.CSS_SELECTOR, "a.download").click()
    target: Path = browser.downloads / "report.pdf"
    until(lambda: target.exists() and target.stat().st_size == 70_000, what="the download")
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256((library / "report.pdf").read_bytes()).digest()


def test_upload_through_the_file_input(browser, web, library, tmp_path):
    first, second = tmp_path / "one.bin", tmp_path / "two words.txt"
    first.write_bytes(os.urandom(2 << 20))
    second.write_text("two\n")
    open_page(browser, web.web_url)
    until(lambda: entry_names(browser))
    picker = browser.find_element(By.ID, "pick-files")
    picker.send_keys(f"{first}\n{second}")
    until(lambda: "one.bin" in entry_names(browser) and "two words.txt" in entry_names(browser), what="the uploads in the listing")
    states = [s.text for s in browser.find_elements(By.CSS_SELECTOR, "#uploads .state")]
    assert states == ["done", "done"]
    assert (library / "one.bin").read_bytes() == first.read_bytes()
    assert (library / "two words.txt").read_text() == "two\n"


def test_upload_a_folder_through_the_folder_input(browser, web, library, tmp_path):
    folder = tmp_path / "trip"
    (folder / "day1").mkdir(parents=True)
    (folder / "day1" / "a.jpg").write_bytes(b"A" * 1000)
    (folder / "b.jpg").write_bytes(b"B" * 2000)
    open_page(browser, web.web_url)
    until(lambda: entry_names(browser))
    browser.find_element(By.ID, "pick-folder").send_keys(str(folder))
    until(lambda: "trip" in entry_names(browser), what="the folder in the listing")
    until(lambda: (library / "trip" / "day1" / "a.jpg").exists() and (library / "trip" / "b.jpg").exists())
    assert (library / "trip" / "day1" / "a.jpg").read_bytes() == b"A" * 1000


def test_upload_by_a_drop_and_ask_before_overwriting(browser, web, library):
    open_page(browser, web.web_url)
    until(lambda: entry_names(browser))
    drop = """
        const transfer = new DataTransfer();
        transfer.items.add(new File([arguments[0]], arguments[1]));
        document.dispatchEvent(new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true}));
    """
    browser.execute_script(drop, "dropped text", "dropped.txt")
    until(lambda: "dropped.txt" in entry_names(browser), what="the dropped file")
    assert (library / "dropped.txt").read_text() == "dropped text"
    browser.execute_script(drop, "replaced", "notes.txt")
    alert = until(lambda: browser.switch_to.alert, what="the question before overwriting")
    assert "notes.txt already exists" in alert.text
    alert.accept()
    until(lambda: (library / "notes.txt").read_text() == "replaced", what="the replaced file")
    browser.execute_script(drop, "not this time", "notes.txt")
    until(lambda: browser.switch_to.alert).dismiss()
    until(lambda: "kept the existing file" in browser.find_element(By.ID, "uploads").text)
    assert (library / "notes.txt").read_text() == "replaced"


def test_rename_new_folder_and_delete(browser, web, library):
    open_page(browser, web.web_url)
    until(lambda: row(browser, "notes.txt"))
    row(browser, "notes.txt").find_element(By.CSS_SELECTOR, "button.rename").click()
    alert = until(lambda: browser.switch_to.alert)
    alert.send_keys("renamed.txt")
    alert.accept()
    until(lambda: "renamed.txt" in entry_names(browser), what="the new name")
    assert (library / "renamed.txt").read_text() == "hello\n"
    browser.find_element(By.ID, "new-folder").click()
    alert = until(lambda: browser.switch_to.alert)
    alert.send_keys("empty")
    alert.accept()
    until(lambda: "empty" in entry_names(browser))
    assert (library / "empty").is_dir()
    row(browser, "photos").find_element(By.CSS_SELECTOR, "button.delete").click()
    until(lambda: browser.switch_to.alert).accept()
    until(lambda: "photos" not in entry_names(browser), what="the deleted folder gone")
    assert not (library / "photos").exists()


def test_no_delete_and_read_only_hide_what_the_server_refuses(browser, server_factory, library):
    (library / "a.txt").write_text("a")
    web = server_factory("--workers", "1", "--no-delete", web=True)
    open_page(browser, web.web_url)
    until(lambda: row(browser, "a.txt"))
    assert row(browser, "a.txt").find_elements(By.CSS_SELECTOR, "button.delete") == []
    assert browser.find_element(By.ID, "new-folder").is_displayed()
    read_only = server_factory("--workers", "1", "--read-only", web=True)
    open_page(browser, read_only.web_url)
    until(lambda: row(browser, "a.txt"))
    assert not browser.find_element(By.ID, "new-folder").is_displayed()


def test_token_login(browser, server_factory, library, tmp_path):
    (library / "secret.txt").write_text("s")
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o600)
    web = server_factory("--workers", "1", "--token-file", str(token_file), web=True)
    browser.delete_all_cookies()
    open_page(browser, web.web_url)
    until(lambda: browser.find_element(By.ID, "login").is_displayed(), what="the sign-in form")
    browser.find_element(By.ID, "token").send_keys("wrong")
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    until(lambda: browser.find_element(By.ID, "login-error").text == "Wrong token")
    field = browser.find_element(By.ID, "token")
    field.clear()
    field.send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    until(lambda: entry_names(browser) == ["secret.txt"], what="the listing after signing in")
    assert browser.execute_script("return document.cookie") == ""  # HttpOnly: no script sees it
    browser.refresh()
    until(lambda: entry_names(browser) == ["secret.txt"], what="the listing with the cookie")


def test_a_hostile_name_stays_text(browser, web, library):
    (library / HOSTILE).write_text("x")
    (library / "photos" / "<b>bold").write_text("x")
    open_page(browser, web.web_url)
    until(lambda: HOSTILE in entry_names(browser), what="the hostile name listed")
    assert browser.find_elements(By.CSS_SELECTOR, "#entries img") == []
    assert browser.execute_script("return window.__pwned === undefined")
    browser.get(f"{web.web_url}photos/")
    until(lambda: "<b>bold" in entry_names(browser))
    assert browser.find_elements(By.CSS_SELECTOR, "#entries b") == []


def test_phone_width_does_not_scroll_sideways(browser, web, library):
    (library / ("a very long file name that keeps going " * 5 + ".txt")).write_text("x")
    set_viewport(browser, *PHONE)
    try:
        open_page(browser, web.web_url)
        until(lambda: len(entry_names(browser)) == 4)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
        buttons = "#entries .actions .button, #entries .actions button"
        script = f"return Array.from(document.querySelectorAll('{buttons}')).map(e => e.getBoundingClientRect().height)"
        heights = browser.execute_script(script)
        assert heights and min(heights) >= 44  # touch targets
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_sizes_use_the_clients_binary_units(browser, web):
    """One convention in every client (shared/sizes.py): 70,000 bytes is 68.4 KiB."""
    open_page(browser, web.web_url)
    until(lambda: row(browser, "report.pdf") is not None, what="the listing")
    until(lambda: "68.4 KiB" in row(browser, "report.pdf").text, what=f"68.4 KiB in {row(browser, 'report.pdf').text!r}")
