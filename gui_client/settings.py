"""What the app remembers between runs, as JSON in the user's config folder.

The token is deliberately not stored: it is a password, and a plain JSON file
is no place for one.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import platformdirs
from ferry_files.shared.limits import DEFAULT_PORT

log = logging.getLogger("gui.settings")

#: Upper bound for the "transfers at once" setting.
MAX_PARALLEL_LIMIT = 8


def default_download_dir() -> str:
    return platformdirs.user_downloads_dir()


def default_settings_path() -> Path:
    override = os.environ.get("FERRY_GUI_CONFIG")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir("ferry", appauthor=False)) / "gui.json"


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    download_dir: str = ""
    max_parallel: int = 3
    theme: str = "light"  # light, dark, or system (the desktop's choice)
    scaling: float = 0.0  # 0: from the screen's dpi; else 1.0 to 3.0
    verify_downloads: bool = True  # check every finished download's sha256 against the server's

    def __post_init__(self) -> None:
        if not self.download_dir:
            self.download_dir = default_download_dir()
        self.max_parallel = max(1, min(MAX_PARALLEL_LIMIT, int(self.max_parallel)))
        if self.theme not in ("light", "dark", "system"):
            self.theme = "light"
        self.scaling = 0.0 if not 1.0 <= float(self.scaling) <= 3.0 else float(self.scaling)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """The saved settings, or the defaults when there are none or they are unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable settings %s: %s", path, exc)
            return cls()
        if not isinstance(data, dict):
            return cls()
        defaults = cls()
        kept = {}
        for f in fields(cls):
            value = data.get(f.name)
            wanted = type(getattr(defaults, f.name))
            if wanted is float and type(value) is int:  # JSON writes 2.0 as 2 by hand
                value = float(value)
            if type(value) is wanted:  # exact: a bool is not a port number
                kept[f.name] = value
        try:
            return cls(**kept)
        except (TypeError, ValueError):
            return cls()

    def save(self, path: Path) -> None:
        """Write atomically; a failure is logged, never raised (settings are a convenience)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(path.name + ".tmp")
            temp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
            os.replace(temp, path)
        except OSError as exc:
            log.warning("cannot save settings to %s: %s", path, exc)
