"""Self-signed certificates for TLS tests, made by the same script as ``make cert``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.server_process import REPO


def make_cert(directory: Path) -> tuple[Path, Path]:
    subprocess.run([str(REPO / "tools" / "make_cert.sh"), str(directory)], check=True, capture_output=True)
    return directory / "ferry-cert.pem", directory / "ferry-key.pem"
