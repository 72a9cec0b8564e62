"""The server's command line as an installed command would use it (issue 15):
``--version``, ``python -m`` forms, and ``--systemd-unit``, whose unit is
checked by ``systemd-analyze verify`` (tools/ensure_system_deps.sh installs it)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ferry_files.shared import __version__

from tests.server_process import REPO, RUN_SERVER


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=30, cwd=cwd, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("-S", str(RUN_SERVER)), "ferry-server"),
        (("-S", "-m", "ferry_files.server"), "ferry-server"),
        (("-S", "-m", "ferry_files.terminal_client"), "ferry"),
        (("-m", "ferry_files.gui_client"), "ferry-gui"),
    ],
)
def test_version_and_help_of_each_command_from_the_checkout(command: tuple[str, ...], name: str) -> None:
    version = run(*command, "--version")
    assert (version.returncode, version.stdout, version.stderr) == (0, f"{name} {__version__}\n", "")
    shown = run(*command, "--help")
    assert shown.returncode == 0 and shown.stdout.startswith("usage: "), shown.stderr
    assert "--version" in shown.stdout


def service(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(text)
    return parser


def test_the_unit_runs_this_server_sandboxed_with_the_given_options(tmp_path: Path) -> None:
    printed = run(
        "-S",
        str(RUN_SERVER),
        "--systemd-unit",
        "--port",
        "7000",
        "--read-only",
        "--grace",
        "20",
        "--http-host",
        "nas.example",
        "--http-host",
        "files.example",
    )
    assert printed.returncode == 0 and printed.stderr == "", printed.stderr
    unit = service(printed.stdout)["Service"]
    options = "--port 7000 --read-only --grace 20.0 --http-host nas.example --http-host files.example"
    assert unit["ExecStart"] == f"{sys.executable} -S {RUN_SERVER} --root /var/lib/ferry {options}"
    assert (unit["DynamicUser"], unit["StateDirectory"], unit["ReadWritePaths"]) == ("yes", "ferry", "/var/lib/ferry")
    assert (unit["ProtectSystem"], unit["NoNewPrivileges"], unit["Restart"]) == ("strict", "yes", "on-failure")
    assert (unit["KillMode"], unit["KillSignal"], unit["TimeoutStopSec"]) == ("mixed", "SIGTERM", "25")
    verify_unit(tmp_path, printed.stdout)


def test_a_library_outside_var_lib_gets_a_user_of_its_own(tmp_path: Path) -> None:
    library = tmp_path / "files"
    printed = run("-S", str(RUN_SERVER), "--root", str(library), "--systemd-unit", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    unit = service(printed.stdout)["Service"]
    assert "DynamicUser" not in unit and unit["User"] == "ferry"
    assert unit["ReadWritePaths"] == str(library)
    assert f"--root {library}" in unit["ExecStart"]
    verify_unit(tmp_path, printed.stdout)


def verify_unit(folder: Path, text: str) -> None:
    """``systemd-analyze verify``: unknown keys, bad values and a missing ExecStart
    program are all reported on stderr."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: run tools/ensure_system_deps.sh (apt-get install systemd)")
    path = folder / "ferry.service"
    path.write_text(text)
    result = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
