"""Build Ferry's wheel and install it into fresh virtual environments, offline.

The wheelhouse (the pinned dependencies, the build backend, pipx, and the PyPI
``shared`` of the collision test, all pinned in pyproject.toml) is downloaded
from the registry once, with ``pip download``, into ~/.cache/ferry-files/ (keyed
by the pins); every build and install after that runs with ``--no-index``, as
a person without network would, so nothing but the wheel and the pins reaches
the installs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parent.parent
#: What the wheel is built from (pyproject.toml's package-dir, and what it reads).
SOURCES = ("pyproject.toml", "README.md", "ferry_files", "server", "shared", "gui_client", "terminal_client", "assets")
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ferry-files"
#: Generous for a shared 2-core machine; each step normally takes seconds.
STEP_TIMEOUT = 300


def pins() -> list[str]:
    """Everything the installs need, exactly as pinned: the app's dependencies, the
    build backend, and the install-tests extra (pip, pipx, shared)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return [
        *project["project"]["dependencies"],
        *project["build-system"]["requires"],
        *project["project"]["optional-dependencies"]["install-tests"],
    ]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a step; its output is in the failure's message."""
    kwargs.setdefault("timeout", STEP_TIMEOUT)
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kwargs)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def offline_env(wheelhouse: Path, **extra: str) -> dict[str, str]:
    """pip (also pip run by pipx) finds packages in the wheelhouse and nowhere else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "PIPX_"))}
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse), PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.update(extra)
    return env


def wheelhouse() -> Path:
    """The cached wheelhouse, downloaded first if these pins have none yet."""
    wanted = pins()
    # Pillow's wheels are per Python and platform: so is the wheelhouse.
    key = "\n".join([sys.implementation.cache_tag, sysconfig.get_platform(), *sorted(wanted)])
    folder = CACHE / ("wheelhouse-" + hashlib.sha256(key.encode()).hexdigest()[:16])
    stamp = folder / ".complete"
    if not stamp.exists():
        partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--dest", str(partial), *wanted])
        (partial / ".complete").write_text("\n".join(wanted) + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
    return folder


def build_wheel(wheelhouse: Path, folder: Path) -> Path:
    """The wheel, built from a copy of the checkout's sources (the checkout stays
    clean) with the pinned setuptools from the wheelhouse."""
    source = folder / "source"
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
    out = folder / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)], env=offline_env(wheelhouse))
    (wheel,) = out.glob("ferry_files-*.whl")
    return wheel


def fresh_venv(folder: Path) -> Path:
    """A new virtual environment (with pip, offline through ensurepip); its bin folder."""
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    return folder / ("Scripts" if os.name == "nt" else "bin")
