"""Growth (issue 4, item 6): list latency as the library grows to 100,000 files,
a recursive list of a tree as large (issue 11: 100,000 files in 1,000 folders),
small-operation throughput with 1 and 2 workers, and the aggregate throughput
of 1, 4 and 16 parallel downloads (each moves 1/k of the file, so every round
moves the same bytes)."""

from __future__ import annotations

import shutil
import threading
import time
from contextlib import ExitStack

from .bulk import source_file
from .ferry import FerryServer, probe_list
from .files import SMALL_NAME, Workspace, make_empty_files, make_file
from .plan import MiB, Plan
from .report import Results
from .smallops import run_load
from .stats import Figure, Sample, interleave, measure, percentile

#: How long the folder stays unchanged before the "unchanged" list (a cache may trust only older folders).
UNCHANGED_FOR = 1.5


def _touch(folder) -> None:
    """Change the folder (its mtime) without changing what is listed."""
    marker = folder / ".bench-touch"
    marker.touch()
    marker.unlink()


def list_latency(plan: Plan, ws: Workspace, results: Results) -> None:
    smallest = min(plan.list_sizes)
    for count in plan.list_sizes:
        folder = ws.folder(f"list-{count}")
        make_empty_files(folder, count)
        server = FerryServer(folder).start()
        port = server.port
        try:
            cold = probe_list(port, 1)[0] * 1000  # a fresh server: nothing cached yet
            raw, warm, full = [], [], []
            for rep in range(plan.list_reps):
                _touch(folder)  # the folder changed: the server must look at every file again
                seconds, sample = measure(lambda port=port: probe_list(port, 1)[0], server.pid)
                raw.append(Sample(sample.value * 1000, sample.server_cores, sample.client_cores))
                time.sleep(UNCHANGED_FOR)
                warm.append(Sample(min(probe_list(port, 2)) * 1000))  # unchanged for a while: may come from a cache
                if rep >= plan.client_list_reps:
                    continue
                with server.connect() as client:
                    t0 = time.perf_counter()
                    client.list()
                    full.append(Sample((time.perf_counter() - t0) * 1000))
        finally:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)
        first = None if count == smallest else f"list.n{smallest}.raw"
        label = f"list of {count:,} files after a change (first ever: {cold:.0f} ms)"
        results.add(
            Figure(f"list.n{count}.raw", "list latency", label, "ms", raw, higher_is_better=False, baseline=first, extra={"first_ms": cold})
        )
        label = f"list of {count:,} files, folder unchanged for {UNCHANGED_FOR:g}s"
        results.add(Figure(f"list.n{count}.warm", "list latency", label, "ms", warm, higher_is_better=False, baseline=f"list.n{count}.raw"))
        label = f"list of {count:,} files: client.list() incl. parsing"
        results.add(
            Figure(f"list.n{count}.client", "list latency", label, "ms", full, higher_is_better=False, baseline=f"list.n{count}.raw")
        )
        print(
            f"  {count} files: first {cold:.0f} ms, after a change {sorted(s.value for s in raw)[len(raw) // 2]:.1f} ms,"
            f" unchanged {sorted(s.value for s in warm)[len(warm) // 2]:.1f} ms",
            flush=True,
        )


def tree_list_latency(plan: Plan, ws: Workspace, results: Results) -> None:
    """A recursive list of ``plan.tree_list_files`` files in ``plan.tree_list_folders``
    folders, without and with folder lines, each after a change of every folder
    (nothing the server might keep could answer it)."""
    folder = ws.folder("tree-list")
    per_folder = plan.tree_list_files // plan.tree_list_folders
    subfolders = [folder / f"folder-{i:04d}" for i in range(plan.tree_list_folders)]
    for sub in subfolders:
        sub.mkdir()
        make_empty_files(sub, per_folder)
    server = FerryServer(folder).start()
    requests = {
        "recursive": {"op": "list", "recursive": True},
        "recursive.folders": {"op": "list", "recursive": True, "folders": True},
    }
    samples: dict[str, list[Sample]] = {key: [] for key in requests}
    try:
        for _ in range(plan.tree_list_reps):
            for key, request in requests.items():
                for sub in subfolders:
                    _touch(sub)
                seconds, sample = measure(lambda request=request: probe_list(server.port, 1, request)[0], server.pid)
                samples[key].append(Sample(sample.value * 1000, sample.server_cores, sample.client_cores))
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    size = f"{plan.tree_list_files:,} files in {plan.tree_list_folders:,} folders"
    results.add(
        Figure("list.tree.recursive", "list latency", f"recursive list of {size}", "ms", samples["recursive"], higher_is_better=False)
    )
    results.add(
        Figure(
            "list.tree.recursive.folders",
            "list latency",
            f"recursive list of {size}, with folder lines",
            "ms",
            samples["recursive.folders"],
            higher_is_better=False,
            baseline="list.tree.recursive",
        )
    )
    for key, values in samples.items():
        print(f"  {key}: median {sorted(s.value for s in values)[len(values) // 2]:.0f} ms", flush=True)


def workers(plan: Plan, ws: Workspace, results: Results) -> None:
    folder = ws.folder("workers")
    make_file(folder / SMALL_NAME, plan.small_file)
    local = make_file(ws.folder("small-local") / "local.bin", plan.small_file)
    n = max(plan.small_clients)
    fewest = min(plan.workers)
    with ExitStack() as stack:
        servers = {}
        for count in plan.workers:
            servers[count] = FerryServer(folder, "--workers", str(count)).start()
            stack.callback(servers[count].stop)
        runs: dict[int, list[Sample]] = {c: [] for c in plan.workers}
        lats: dict[int, list[float]] = {c: [] for c in plan.workers}
        for _ in range(plan.small_reps):
            for count, server in servers.items():
                sample, latencies, _, _ = run_load("ferry.wire", server.port, server.pid, local, n, plan.small_seconds)
                runs[count].append(sample)
                lats[count] += latencies
    for count in plan.workers:
        results.add(
            Figure(
                f"workers.{count}",
                f"workers (N={n} small ops)",
                f"Ferry --workers {count}: cycles/s (p99 {percentile(lats[count], 99) * 1000:.1f} ms)",
                "cycles/s",
                runs[count],
                baseline=None if count == fewest else f"workers.{fewest}",
            )
        )


def parallel(plan: Plan, ws: Workspace, results: Results) -> None:
    big = source_file(plan, ws)
    size = plan.bulk_size
    server = FerryServer(big.parent).start()

    def download(k: int) -> int:
        share = size // k
        errors: list[BaseException] = []

        def one() -> None:
            try:
                with server.connect() as client:
                    client.get_into(big.name, None, offset=size - share)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one) for _ in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        if errors:
            raise errors[0]
        return share * k

    def contender(k: int):
        def run() -> Sample:
            seconds, sample = measure(lambda: download(k), server.pid)
            sample.value = sample.value / seconds / MiB
            return sample

        return run

    try:
        samples = interleave({k: contender(k) for k in plan.parallel}, plan.parallel_reps)
    finally:
        server.stop()
    first = min(plan.parallel)
    for k, runs in samples.items():
        results.add(
            Figure(
                f"parallel.{k}",
                f"parallel downloads ({size // MiB} MiB total)",
                f"Ferry, {k} parallel get_into -> discard",
                "MiB/s",
                runs,
                baseline=None if k == first else f"parallel.{first}",
            )
        )
