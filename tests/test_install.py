"""Ferry as installed software (issue 15): the built wheel, installed offline into
fresh virtual environments with pip and with pipx, gives three working commands
with their icons; and it installs beside the PyPI distribution ``shared``
without either breaking the other.

One wheel and one environment per installer for the whole session
(tests/install_support.py); the wheelhouse is cached across runs.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.install_support import build_wheel, fresh_venv, offline_env, run, wheelhouse
from tests.server_process import REPO, ServerProcess

pytestmark = pytest.mark.install

COMMANDS = ("ferry", "ferry-server", "ferry-gui")
PACKAGES = ("server", "shared", "gui_client", "terminal_client", "assets")
VERSION = re.search(r'__version__ = "([^"]+)"', (REPO / "shared" / "__init__.py").read_text())[1]  # type: ignore[index]


@pytest.fixture(scope="session")
def house() -> Path:
    return wheelhouse()


@pytest.fixture(scope="session")
def wheel(house: Path, tmp_path_factory) -> Path:
    return build_wheel(house, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session", params=["pip", "pipx"])
def installed(request, house: Path, wheel: Path, tmp_path_factory) -> Path:
    """The bin folder holding the installed commands."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "pip":
        bin_dir = fresh_venv(folder / "venv")
        run([str(bin_dir / "python"), "-m", "pip", "install", str(wheel)], env=offline_env(house))
        return bin_dir
    pipx_bin = fresh_venv(folder / "pipx-tool")
    run([str(pipx_bin / "python"), "-m", "pip", "install", "pipx"], env=offline_env(house))
    bin_dir = folder / "bin"
    env = offline_env(house, PIPX_HOME=str(folder / "pipx"), PIPX_BIN_DIR=str(bin_dir), PIPX_MAN_DIR=str(folder / "man"))
    run([str(pipx_bin / "pipx"), "install", str(wheel)], env=env)
    return bin_dir


def test_the_wheel_holds_one_top_level_package_and_the_assets(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"ferry_files"}
    assert {"ferry_files/assets/ferry-256.png", "ferry_files/assets/icons/file.png", "ferry_files/assets/ferry.desktop"} <= set(names)
    # Every module of the checkout's packages, also of a subpackage added later
    # (pyproject.toml lists the packages one by one).
    modules = {f"ferry_files/{path.relative_to(REPO).as_posix()}" for folder in PACKAGES for path in (REPO / folder).rglob("*.py")}
    assert modules - set(names) == set()


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_answers_version_and_help(installed: Path, command: str) -> None:
    version = run([str(installed / command), "--version"])
    assert version.stdout == f"{command} {VERSION}\n"
    shown = run([str(installed / command), "--help"])
    assert shown.stdout.startswith(f"usage: {command} "), shown.stdout


def test_the_installed_server_and_terminal_client_round_trip(installed: Path, tmp_path: Path) -> None:
    library = tmp_path / "library"
    server = subprocess.Popen(
        [str(installed / "ferry-server"), "--host", "127.0.0.1", "--port", "0", "--root", str(library), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = server.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("listening on "), server.stderr.read()  # type: ignore[union-attr]
        address = line.split()[-1]
        (tmp_path / "up.txt").write_bytes(b"from the installed client\n")
        run([str(installed / "ferry"), address, "put", str(tmp_path / "up.txt")], timeout=60)
        assert (library / "up.txt").read_bytes() == b"from the installed client\n"
        (tmp_path / "down").mkdir()
        run([str(installed / "ferry"), address, "get", "up.txt", "-o", str(tmp_path / "down")], timeout=60)
        assert (tmp_path / "down" / "up.txt").read_bytes() == b"from the installed client\n"
        listed = run([str(installed / "ferry"), address, "list", "--names"], timeout=60)
        assert listed.stdout == "up.txt\n"
    finally:
        server.terminate()
        server.communicate(timeout=30)


def window_icon_sizes(window: str) -> list[int]:
    """The sizes in the window's _NET_WM_ICON (what Tk's iconphoto sets), per xprop."""
    command = ["xprop", "-len", str(1 << 21), "-id", window, "_NET_WM_ICON"]  # -len: the 256 px icon is 256 KiB
    shown = subprocess.run(command, capture_output=True, text=True, timeout=10).stdout
    return [int(width) for width in re.findall(r"Icon \((\d+) x \d+\)", shown)]


@pytest.fixture
def app(installed: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [str(installed / "ferry-gui"), "--settings", str(tmp_path / "gui.json")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


def test_the_installed_desktop_app_opens_with_its_icons(app: subprocess.Popen[str]) -> None:
    window, sizes = "", []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and app.poll() is None and not sizes:
        found = subprocess.run(["xdotool", "search", "--name", "^Ferry"], capture_output=True, text=True, timeout=10).stdout.split()
        for window in found:
            sizes = window_icon_sizes(window)
            if sizes:
                break
        time.sleep(0.2)
    assert app.poll() is None, app.communicate()[1]
    assert sorted(sizes) == [16, 32, 48, 64, 256], f"window {window or '(none)'}: icons {sizes}"
    app.terminate()
    _, errors = app.communicate(timeout=10)
    assert "missing" not in errors, errors


def test_ferry_and_the_pypi_shared_in_one_venv_both_import_and_ferry_works(house: Path, wheel: Path, tmp_path: Path, library: Path) -> None:
    """The PyPI distribution ``shared`` ships a top-level ``shared`` (and ``tests``):
    installed after Ferry it once replaced Ferry's ``shared`` without a word from pip."""
    bin_dir = fresh_venv(tmp_path / "venv")
    run([str(bin_dir / "python"), "-m", "pip", "install", "--no-deps", str(wheel)], env=offline_env(house))
    run([str(bin_dir / "python"), "-m", "pip", "install", "shared"], env=offline_env(house))
    (library / "a.txt").write_bytes(b"A")
    check = (
        "import sys, shared, shared.dossier\n"
        "from ferry_files.shared.client import FerryClient\n"
        "assert 'ferry_files' not in shared.__file__, shared.__file__\n"
        "with FerryClient.connect(sys.argv[1], int(sys.argv[2]), timeout=30) as client:\n"
        "    print(sorted(f.name for f in client.list()))\n"
    )
    with ServerProcess(library, "--workers", "1") as server:
        result = run([str(bin_dir / "python"), "-I", "-c", check, *map(str, server.address)], timeout=60)
    assert result.stdout == "['a.txt']\n"


def test_the_desktop_launcher_installs_for_the_installed_command(installed: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "share")}
    run([str(installed / "ferry-gui"), "--install-desktop"], env=env)
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(tmp_path / "share" / "applications" / "ferry.desktop")
    section = entry["Desktop Entry"]
    command = section["Exec"].split()[0]
    assert Path(command).name == "ferry-gui" and Path(command).resolve() == (installed / "ferry-gui").resolve(), section["Exec"]
    assert "Path" not in section
    assert (tmp_path / "share" / "icons" / "hicolor" / "256x256" / "apps" / "ferry.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    run([str(installed / "ferry-gui"), "--uninstall-desktop"], env=env)
    assert not (tmp_path / "share" / "applications" / "ferry.desktop").exists()
