"""The double-click side: run_gui.py starts the app (connecting when given an
address), the .pyw twin runs the same code, the .desktop launcher installs."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import time

import pytest

from tests.server_process import REPO

pytestmark = pytest.mark.gui


def test_run_gui_connects_at_start_with_an_address(server, library, tmp_path):
    (library / "hello.txt").write_bytes(b"hi")
    env = {**os.environ, "FERRY_GUI_CONFIG": str(tmp_path / "gui.json")}
    app = subprocess.Popen(
        [sys.executable, str(REPO / "run_gui.py"), f"127.0.0.1:{server.port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        found = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and app.poll() is None:
            result = subprocess.run(["xdotool", "search", "--name", "^Ferry: 127.0.0.1"], capture_output=True, text=True)
            if result.stdout.strip():
                found = result.stdout.split()[0]
                break
            time.sleep(0.1)
        assert found, f"no connected Ferry window appeared: {app.stderr.read() if app.poll() is not None else ''}"
        name = subprocess.run(["xdotool", "getwindowname", found], capture_output=True, text=True).stdout
        assert name.startswith("Ferry: 127.0.0.1:")
        settings = tmp_path / "gui.json"  # the last server is remembered
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (settings.exists() and str(server.port) in settings.read_text()):
            time.sleep(0.05)
        assert str(server.port) in settings.read_text()
    finally:
        app.terminate()
        try:
            app.wait(10)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait()
        app.stdout.close()
        app.stderr.close()


def test_pyw_twin_runs_run_gui():
    text = (REPO / "run_gui.pyw").read_text()
    assert "run_gui.py" in text and "runpy.run_path" in text


def test_desktop_launcher_installs_for_the_current_user(tmp_path):
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(REPO / "assets" / "ferry.desktop")
    assert entry["Desktop Entry"]["Name"] == "Ferry" and entry["Desktop Entry"]["Terminal"] == "false"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    subprocess.run([sys.executable, str(REPO / "tools" / "install_desktop.py")], env=env, check=True, capture_output=True, timeout=60)
    installed = configparser.ConfigParser(interpolation=None)
    installed.optionxform = str
    installed.read(tmp_path / "share" / "applications" / "ferry.desktop")
    section = installed["Desktop Entry"]
    assert str(REPO / "run_gui.py") in section["Exec"] and section["Exec"].startswith(sys.executable)
    assert (tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "ferry.png").exists()
    assert section["Icon"].endswith("ferry.png")
    if subprocess.run(["which", "desktop-file-validate"], capture_output=True).returncode == 0:
        check = subprocess.run(
            ["desktop-file-validate", str(tmp_path / "share" / "applications" / "ferry.desktop")], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "install_desktop.py"), "--uninstall"], env=env, check=True, capture_output=True, timeout=60
    )
    assert not (tmp_path / "share" / "applications" / "ferry.desktop").exists()


def test_run_gui_without_a_reachable_display_says_so_without_a_traceback(tmp_path):
    """A desktop shortcut started over ssh, or a DISPLAY left from a closed session."""
    env = {**os.environ, "DISPLAY": ":987", "FERRY_GUI_CONFIG": str(tmp_path / "gui.json")}
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run([sys.executable, str(REPO / "run_gui.py")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert 'cannot open a window on display ":987"' in result.stderr
