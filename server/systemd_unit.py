"""``ferry-server [OPTIONS] --systemd-unit``: a systemd service unit that runs
this server with these options, sandboxed (docs/deploy.md).

The unit is printed rather than installed so that a person reads it before
``systemctl`` runs it as root; deploy.md gives the three commands. Its
``ExecStart`` is the Python and the Ferry that printed it, so a pipx or venv
install serves exactly the code that was tested with ``ferry-server --help``.

Sandboxing: no user of its own to create (``DynamicUser``) when the library is
under /var/lib (``StateDirectory`` gives that user the folder), else a dedicated
``ferry`` user; the whole file system read-only but the library; no new
privileges, no devices, no kernel knobs. SIGTERM goes to the supervisor alone
(``KillMode=mixed``), which drains its workers within ``--grace``; systemd
waits a little longer than that before it kills.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from .config import ServerConfig

#: Where the unit keeps the library when no --root is given: systemd's state folder.
DEFAULT_ROOT = Path("/var/lib/ferry")
#: Seconds systemd grants beyond --grace: the supervisor's own margin plus exit.
STOP_MARGIN = 5


def server_command() -> list[str]:
    """How this very Ferry is started: the checkout's run_server.py with ``-S`` (no
    site-packages needed), or the installed package's module with ``-I``."""
    checkout_script = Path(__file__).resolve().parent.parent / "run_server.py"
    if checkout_script.is_file():
        return [sys.executable, "-S", str(checkout_script)]
    return [sys.executable, "-I", "-m", "ferry_files.server"]


def _options(parser: argparse.ArgumentParser, config: ServerConfig, root: Path) -> list[str]:
    """The command-line options that give ``config`` (those that differ from the defaults)."""
    words = ["--root", str(root)]
    for action in parser._actions:  # every option is an action whose dest is a config field
        if not action.option_strings or action.dest in ("root", "help", "version", "systemd_unit") or not hasattr(config, action.dest):
            continue
        value = getattr(config, action.dest)
        if isinstance(action, argparse._AppendAction):  # a repeatable option: once per value
            for item in value:
                words += [action.option_strings[0], str(item)]
            continue
        if value == action.default:
            continue
        if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction):
            words.append(action.option_strings[0])
        else:
            words += [action.option_strings[0], str(Path(value).resolve()) if isinstance(value, Path) else str(value)]
    return words


def unit_text(parser: argparse.ArgumentParser, config: ServerConfig, root_given: bool) -> str:
    root = config.root.resolve() if root_given else DEFAULT_ROOT
    command = shlex.join([*server_command(), *_options(parser, config, root)])
    under_var_lib = root.is_relative_to("/var/lib") and root != Path("/var/lib")
    if under_var_lib:
        identity = f"DynamicUser=yes\nStateDirectory={root.relative_to('/var/lib')}\n"
    else:
        identity = (
            "# A user of its own that owns the library:\n"
            f"#   useradd --system --no-create-home ferry && chown -R ferry: {shlex.quote(str(root))}\n"
            "User=ferry\nGroup=ferry\n"
        )
    return f"""# Ferry file server. Written by: ferry-server --systemd-unit (see docs/deploy.md)
[Unit]
Description=Ferry file server
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart={command}
{identity}ReadWritePaths={root}
Restart=on-failure
RestartSec=2s
KillMode=mixed
KillSignal=SIGTERM
TimeoutStopSec={int(config.grace) + STOP_MARGIN}
LimitNOFILE=65536
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
CapabilityBoundingSet=
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
"""
