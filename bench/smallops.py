"""Many small operations (issue 4, item 4): N concurrent clients, each repeating
one cycle (connect, list, get a 64 KiB file, put a 64 KiB file, quit) until the
time is up. One op is one whole cycle; latency is the cycle's.

The load generator is up to two forked processes (this machine has two cores)
with N threads between them, so the GIL of one process does not cap it; the CPU
it used is printed next to the server's, to show which side ran out. It speaks
each protocol on bare sockets (wire.py): the figures the targets read. At the
largest N the same runs are repeated through each protocol's client library
(Ferry's client, ftplib), as a second view that includes the clients' cost.
"""

from __future__ import annotations

import ftplib
import multiprocessing
import resource
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from . import wire
from .ferry import FerryClient, FerryServer
from .files import SMALL_NAME, Workspace, make_file
from .peers import FtpServer, PeerUnavailable
from .plan import Plan
from .procs import tree_cpu
from .report import Results
from .stats import Figure, Sample, percentile

#: Cycles one client may run in one measurement, whatever the duration.
MAX_CYCLES_PER_CLIENT = 100_000
GENERATOR_PROCESSES = 2
LABELS = {
    "ferry": "Ferry",
    "ferry.nofsync": "Ferry --no-fsync",
    "ftp.async": "pyftpdlib async",
    "ftp.multiprocess": "pyftpdlib multiprocess",
}


def ferry_cycle(port: int, local: Path, name: str, must_list: tuple[str, ...]) -> None:
    client = FerryClient.connect("127.0.0.1", port, timeout=30)
    wire.check_listed(must_list, {f.name for f in client.list()}.__contains__)
    client.get_into(SMALL_NAME, None)
    client.put(local, name=name, overwrite=True)
    client.quit()


def ftp_cycle(port: int, local: Path, name: str, must_list: tuple[str, ...]) -> None:
    ftp = ftplib.FTP(timeout=30)
    ftp.connect("127.0.0.1", port)
    ftp.login()
    wire.check_listed(must_list, ftp.nlst().__contains__)
    ftp.retrbinary(f"RETR {SMALL_NAME}", lambda block: None, blocksize=1 << 16)
    with open(local, "rb") as f:
        ftp.storbinary(f"STOR {name}", f, blocksize=1 << 16)
    ftp.quit()


#: A cycle: (port, file to upload, name to upload it as, names its list must show).
CYCLES: dict[str, Callable[[int, Path, str, tuple[str, ...]], None]] = {
    "ferry": ferry_cycle,
    "ftp": ftp_cycle,
    "ferry.wire": wire.ferry_cycle,
    "ftp.wire": wire.ftp_cycle,
}
#: How the generator speaks: the suffix of its figures' keys.
GENERATORS = {"wire": "", "library": ".lib"}
#: The client library each protocol's "library" generator uses, for the labels.
LIBRARY_NAMES = {"ferry": "Ferry's client", "ftp": "ftplib"}


def _generator(kind: str, port: int, local: str, clients: range, start_at: float, end_at: float, pipe) -> None:
    """A forked load-generator process: one thread per client in ``clients``."""
    cycle = CYCLES[kind]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        mine, failures = [], []
        name = f"up-{index}.bin"
        must_list = (SMALL_NAME,)  # and, once this client has uploaded, its own file
        while time.monotonic() < start_at:
            time.sleep(0.001)
        for _ in range(MAX_CYCLES_PER_CLIENT):
            if time.monotonic() >= end_at:
                break
            t0 = time.perf_counter()
            try:
                cycle(port, Path(local), name, must_list)
            except Exception as exc:  # counted and reported, never hidden
                failures.append(f"{type(exc).__name__}: {exc}"[:120])
                continue
            mine.append(time.perf_counter() - t0)
            must_list = (SMALL_NAME, name)
        with lock:
            latencies.extend(mine)
            errors.extend(failures)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in clients]
    for t in threads:
        t.start()
    while time.monotonic() < start_at:  # starting threads is not load: count from the common start
        time.sleep(0.001)
    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    for t in threads:
        t.join(timeout=max(0.0, end_at - time.monotonic()) + 60)
    finished = time.monotonic()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    pipe.send((latencies, errors[:20], len(errors), cpu, finished))
    pipe.close()


def run_load(
    kind: str, port: int, server_pid: int, local: Path, clients: int, seconds: float
) -> tuple[Sample, list[float], list[str], int]:
    """N clients for ``seconds``; returns (ops/s sample with CPU shares, latencies, some errors, error count)."""
    context = multiprocessing.get_context("fork")
    processes = min(clients, GENERATOR_PROCESSES)
    start_at = time.monotonic() + 0.3
    end_at = start_at + seconds
    children = []
    for p in range(processes):
        receive, send = context.Pipe(duplex=False)
        share = range(p, clients, processes)
        proc = context.Process(target=_generator, args=(kind, port, str(local), share, start_at, end_at, send), daemon=True)
        proc.start()
        send.close()
        children.append((proc, receive))
    while time.monotonic() < start_at:
        time.sleep(0.001)
    server0 = tree_cpu(server_pid)
    latencies: list[float] = []
    errors: list[str] = []
    error_count, generator_cpu, finished = 0, 0.0, start_at
    for proc, receive in children:
        if receive.poll(seconds + 90):
            lat, errs, n_errors, cpu, done = receive.recv()
            latencies += lat
            errors += errs
            error_count += n_errors
            generator_cpu += cpu
            finished = max(finished, done)
        else:
            errors.append("a load-generator process did not report in time")
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join()
    elapsed = max(1e-9, finished - start_at)
    server_cores = (tree_cpu(server_pid) - server0) / elapsed
    return Sample(len(latencies) / elapsed, server_cores, generator_cpu / elapsed), latencies, errors, error_count


def prepare(folder: Path, size: int) -> None:
    make_file(folder / SMALL_NAME, size)


def smallops(plan: Plan, ws: Workspace, results: Results) -> None:
    local = make_file(ws.folder("small-local") / "local.bin", plan.small_file)
    contenders: dict[str, tuple[str, object]] = {}
    with ExitStack() as stack:
        folder = ws.folder("small-ferry")
        prepare(folder, plan.small_file)
        ferry = FerryServer(folder).start()
        stack.callback(ferry.stop)
        contenders["ferry"] = ("ferry", ferry)
        folder = ws.folder("small-ferry-nofsync")
        prepare(folder, plan.small_file)
        fast = FerryServer(folder, "--no-fsync").start()
        stack.callback(fast.stop)
        contenders["ferry.nofsync"] = ("ferry", fast)
        for mode in ("async", "multiprocess"):
            folder = ws.folder(f"small-ftp-{mode}")
            prepare(folder, plan.small_file)
            try:
                server = FtpServer(folder, mode).start()
            except PeerUnavailable as exc:
                results.skip(f"pyftpdlib {mode}", str(exc))
                continue
            stack.callback(server.stop)
            contenders[f"ftp.{mode}"] = ("ftp", server)
        for n in plan.small_clients:
            _measure(plan, results, contenders, local, n, "wire")
        _measure(plan, results, contenders, local, max(plan.small_clients), "library")


def _measure(plan: Plan, results: Results, contenders: dict[str, tuple[str, object]], local: Path, n: int, generator: str) -> None:
    """Every contender with N clients, interleaved, ``plan.small_reps`` times; one figure each."""
    suffix = GENERATORS[generator]
    runs: dict[str, list[Sample]] = {k: [] for k in contenders}
    lats: dict[str, list[float]] = {k: [] for k in contenders}
    p99s: dict[str, list[Sample]] = {k: [] for k in contenders}
    errs: dict[str, tuple[int, list[str]]] = {k: (0, []) for k in contenders}
    for _ in range(plan.small_reps):
        for key, (protocol, server) in contenders.items():
            kind = f"{protocol}.wire" if generator == "wire" else protocol
            sample, latencies, errors, n_errors = run_load(kind, server.port, server.pid, local, n, plan.small_seconds)
            runs[key].append(sample)
            lats[key] += latencies
            p99s[key].append(Sample(percentile(latencies, 99) * 1000))
            count, kept = errs[key]
            errs[key] = (count + n_errors, (kept + errors)[:5])
    ftp_keys = [k for k in contenders if k.startswith("ftp.")]
    best = max(ftp_keys, key=lambda k: sorted(s.value for s in runs[k])[len(runs[k]) // 2], default=None)
    for key, (protocol, _) in contenders.items():
        label = LABELS[key] + (f" via {LIBRARY_NAMES[protocol]}" if generator == "library" else "")
        cpu_ms = [1000 * s.server_cores / s.value for s in runs[key] if s.value]
        gen_ms = [1000 * s.client_cores / s.value for s in runs[key] if s.value]
        extra = {
            "generator": generator,
            "server_cpu_ms_per_cycle": sorted(cpu_ms)[len(cpu_ms) // 2] if cpu_ms else None,
            "generator_cpu_ms_per_cycle": sorted(gen_ms)[len(gen_ms) // 2] if gen_ms else None,
            "p50_ms": percentile(lats[key], 50) * 1000,
            "p99_ms": percentile(lats[key], 99) * 1000,
            "cycles": len(lats[key]),
            "errors": errs[key][0],
            "error_examples": errs[key][1],
        }
        note = (
            f"p50 {extra['p50_ms']:.1f} ms, p99 {extra['p99_ms']:.1f} ms; CPU/cycle"
            f" srv {extra['server_cpu_ms_per_cycle'] or 0:.2f} ms, gen {extra['generator_cpu_ms_per_cycle'] or 0:.2f} ms"
        )
        if extra["errors"]:
            note += f", {extra['errors']} errors"
        compared = key.startswith("ferry") and best is not None
        results.add(
            Figure(
                f"small.n{n}.{key}{suffix}",
                f"small ops N={n}",
                f"{label}: cycles/s ({note})",
                "cycles/s",
                runs[key],
                baseline=f"small.n{n}.{best}{suffix}" if compared else None,
                extra=extra,
            )
        )
        if n == max(plan.small_clients):
            results.add(
                Figure(
                    f"small.n{n}.{key}{suffix}.p99",
                    f"small ops N={n}",
                    f"{label}: cycle latency p99",
                    "ms",
                    p99s[key],
                    higher_is_better=False,
                    baseline=f"small.n{n}.{best}{suffix}.p99" if compared else None,
                )
            )
    medians = ", ".join(f"{k} {sorted(s.value for s in v)[len(v) // 2]:.0f}/s" for k, v in runs.items())
    print(f"  N={n} ({generator}): {medians}", flush=True)
