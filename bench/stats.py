"""Samples and their summary: interleave contenders A B A B, take medians with
min and max, and remember how busy each side was during every sample."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .procs import self_cpu, tree_cpu


@dataclass
class Sample:
    value: float
    server_cores: float | None = None  # CPU used by the serving side, in cores (1.0 = one core busy)
    client_cores: float | None = None  # ... by the receiving / load-generating side
    server_cpu_per_gib: float | None = None  # bulk transfers: CPU seconds per GiB moved
    client_cpu_per_gib: float | None = None


@dataclass
class Figure:
    """One row of the table."""

    key: str  # stable id, e.g. "download.ferry.sink"
    section: str
    label: str
    unit: str
    samples: list[Sample] = field(default_factory=list)
    higher_is_better: bool = True
    baseline: str | None = None  # key of the figure this one is divided by
    note: str = ""
    extra: dict = field(default_factory=dict)  # more numbers for the JSON (p99s, errors...)

    @property
    def values(self) -> list[float]:
        return [s.value for s in self.samples]

    @property
    def median(self) -> float:
        return statistics.median(self.values) if self.samples else float("nan")

    @property
    def low(self) -> float:
        return min(self.values) if self.samples else float("nan")

    @property
    def high(self) -> float:
        return max(self.values) if self.samples else float("nan")

    def cores(self, side: str) -> float | None:
        values = [getattr(s, f"{side}_cores") for s in self.samples]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None


def measure(action: Callable[[], float], server_pid: int | None, client_pid: int | None = None) -> tuple[float, Sample]:
    """Run ``action`` once; returns (seconds, a Sample whose value is what ``action``
    returned, with the CPU both sides used meanwhile). The client side is this
    process (and the children it reaped) unless ``client_pid`` names a tree."""
    s0 = tree_cpu(server_pid)
    c0 = tree_cpu(client_pid) if client_pid else self_cpu()
    t0 = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - t0
    s1 = tree_cpu(server_pid)
    c1 = tree_cpu(client_pid) if client_pid else self_cpu()
    return seconds, Sample(value, (s1 - s0) / seconds if server_pid else None, (c1 - c0) / seconds)


def interleave(contenders: dict[str, Callable[[], Sample]], reps: int, *, warmup: bool = True) -> dict[str, list[Sample]]:
    """Run every contender once per round, in the same order, ``reps`` rounds
    (A B C A B C ...), after one unrecorded warm-up round."""
    results: dict[str, list[Sample]] = {key: [] for key in contenders}
    if warmup:
        for run in contenders.values():
            run()
    for _ in range(reps):
        for key, run in contenders.items():
            results[key].append(run())
    return results


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]
