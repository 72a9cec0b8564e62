"""The run's results: figures and skipped contenders, printed as one table with
ratios against same-run baselines, and written as JSON to bench/results/."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from .stats import Figure

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: A side that used at least this much of one core during a figure is its bottleneck.
SATURATED = 0.85
#: Below that (other work shares the cores), a side using this many times the other's CPU is the likely limit: "server CPU?".
CONTENDED_RATIO = 1.5


@dataclass
class Results:
    plan: str
    figures: dict[str, Figure] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    started: float = field(default_factory=time.time)

    def add(self, figure: Figure) -> Figure:
        self.figures[figure.key] = figure
        return figure

    def skip(self, what: str, why: str) -> None:
        print(f"  skipped {what}: {why}", flush=True)
        self.skipped.append((what, why))

    def ratio(self, key: str, baseline: str | None = None) -> float | None:
        figure = self.figures.get(key)
        base = self.figures.get(baseline or (figure.baseline if figure else None) or "")
        if figure is None or base is None or not base.median or math.isnan(base.median):
            return None
        return figure.median / base.median


def limited_by(figure: Figure) -> str:
    """Which side limits a figure, from the CPU each side used during it."""
    server, client = figure.cores("server"), figure.cores("client")
    if server is None and client is None:
        return ""
    parts = []
    if server is not None:
        parts.append(f"srv {server:.2f}")
    if client is not None:
        parts.append(f"cli {client:.2f}")
    (top, side), (other, _) = sorted(((server or 0, "server"), (client or 0, "client")), reverse=True)
    if top >= SATURATED:
        verdict = f"{side} CPU"
    elif top >= CONTENDED_RATIO * other and top >= 0.2:  # the machine is busy: the side that uses more is the likely limit
        verdict = f"{side} CPU?"
    else:
        verdict = "neither side's CPU"
    return f"{verdict} ({', '.join(parts)})"


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table_rows(results: Results, checks: list) -> list[list[str]]:
    target_of = {}
    for check in checks:
        target_of.setdefault(check.key, []).append(check)
    rows = []
    for figure in results.figures.values():
        ratio = results.ratio(figure.key)
        base = results.figures.get(figure.baseline or "")
        status = "; ".join(c.summary() for c in target_of.get(figure.key, []))
        rows.append(
            [
                figure.section,
                figure.label,
                f"{_fmt(figure.median)} {figure.unit}",
                f"{_fmt(figure.low)}..{_fmt(figure.high)}",
                f"{ratio:.2f} x {base.key.split('.', 1)[1]}"
                if ratio is not None and base is not None
                else "baseline"
                if figure.baseline is None
                else "-",
                limited_by(figure),
                status,
            ]
        )
    return rows


def render(results: Results, checks: list) -> str:
    header = ["section", "figure", "median", "min..max", "ratio (same run)", "limited by (CPU cores)", "target"]
    rows = table_rows(results, checks)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    for what, why in results.skipped:
        lines.append(f"skipped: {what}: {why}")
    return "\n".join(lines)


def markdown(results: Results, checks: list) -> str:
    header = ["section", "figure", "median", "min..max", "ratio (same run)", "limited by (CPU cores)", "target"]
    rows = table_rows(results, checks)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(out)


def git_commit() -> str:
    """The commit the measured code is at (read-only: ``git rev-parse``), with '+dirty' for local changes."""
    repo = Path(__file__).resolve().parent.parent
    try:

        def git(*args: str) -> str:
            return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=10).stdout.strip()

        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "server", "shared")
    except OSError:
        return "unknown"
    return (commit or "unknown") + ("+dirty" if dirty else "")


def write_json(results: Results, checks: list, path: Path | None = None) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(results.started))
    path = path or RESULTS_DIR / f"{stamp}-{results.plan}.json"
    data = {
        "plan": results.plan,
        "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(results.started)),
        "seconds": round(time.time() - results.started, 1),
        "commit": git_commit(),
        "load_average": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release()},
        "figures": [
            {
                "key": f.key,
                "section": f.section,
                "label": f.label,
                "unit": f.unit,
                "median": f.median,
                "min": f.low,
                "max": f.high,
                "values": f.values,
                "baseline": f.baseline,
                "ratio": results.ratio(f.key),
                "server_cores": f.cores("server"),
                "client_cores": f.cores("client"),
                "limited_by": limited_by(f),
                "note": f.note,
                "extra": f.extra,
            }
            for f in results.figures.values()
        ],
        "targets": [c.as_json() for c in checks],
        "skipped": [{"what": w, "why": y} for w, y in results.skipped],
        "markdown": markdown(results, checks),
    }
    path.write_text(json.dumps(data, indent=1, default=float))
    (RESULTS_DIR / f"latest-{results.plan}.json").write_text(path.read_text())
    return path
