"""Idle capacity (issue 4, item 5): hold 1,000 and 10,000 open, greeted sessions;
measure the server's whole process tree (PSS and USS) before and after, and a
fresh client's list latency while they are held. Every measurement uses a
freshly started server, so memory freed by an earlier round cannot hide cost."""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack
from pathlib import Path

from .ferry import FerryServer
from .files import Workspace, make_file
from .peers import FtpServer, PeerUnavailable
from .plan import Plan
from .procs import memory, raise_fd_limit
from .report import Results
from .stats import Figure, Sample, percentile

KiB = 1024
#: Wait for a greeting at most this long per connection.
GREETING_TIMEOUT = 30.0
#: Connections opened before their greetings are read.
BATCH = 100


def hold_sessions(port: int, count: int) -> list[socket.socket]:
    """Open ``count`` connections and read each one's greeting (the session exists).

    They are opened in batches of :data:`BATCH`, each batch greeted before the
    next: opened all at once, Ferry drops some (its parent's hand-over queue to
    the workers fills up; see docs/performance.md)."""
    socks: list[socket.socket] = []
    try:
        for start in range(0, count, BATCH):
            batch = [socket.create_connection(("127.0.0.1", port), timeout=GREETING_TIMEOUT) for _ in range(min(BATCH, count - start))]
            socks += batch
            for sock in batch:
                if not sock.recv(4096):
                    raise ConnectionError("the server closed an idle session at once")
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


def _settle() -> None:
    time.sleep(1.0)


def _list_latencies(server: FerryServer | FtpServer, repeats: int) -> list[float]:
    """Seconds per list (Ferry) or NLST (pyftpdlib), ``repeats`` times on one fresh session."""
    latencies = []
    with server.connect() as session:
        list_files = session.list if isinstance(server, FerryServer) else session.nlst
        for _ in range(repeats):
            t0 = time.perf_counter()
            list_files()
            latencies.append(time.perf_counter() - t0)
    return latencies


def one_round(kind: str, folder: Path, count: int, repeats: int) -> dict:
    server = FerryServer(folder, "--max-connections", str(count + 100)) if kind == "ferry" else FtpServer(folder, "async")
    with ExitStack() as stack:
        server.start()
        stack.callback(server.stop)
        # one warm-up session, so lazily allocated per-process state is in the "before"
        _list_latencies(server, 3)
        _settle()
        pss0, uss0 = memory(server.pid)
        t0 = time.perf_counter()
        socks = hold_sessions(server.port, count)
        opened = time.perf_counter() - t0
        stack.callback(lambda: [s.close() for s in socks])
        _settle()
        pss1, uss1 = memory(server.pid)
        latencies = _list_latencies(server, repeats)
    return {
        "pss_before": pss0,
        "pss_after": pss1,
        "uss_before": uss0,
        "uss_after": uss1,
        "pss_per_session": (pss1 - pss0) / count,
        "uss_per_session": (uss1 - uss0) / count,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "open_seconds": opened,
    }


def idle(plan: Plan, ws: Workspace, results: Results) -> None:
    hard = raise_fd_limit()
    folder = ws.folder("idle")
    for i in range(20):  # a small library, so the list is not empty
        make_file(folder / f"file-{i:02d}.bin", 4096)
    kinds = {"ferry": "Ferry", "ftp": "pyftpdlib async"}
    for count in plan.idle_counts:
        if count + 200 > hard:
            results.skip(f"idle {count}", f"needs {count + 200} file descriptors, the hard limit is {hard}")
            continue
        rounds: dict[str, list[dict]] = {k: [] for k in kinds}
        for _ in range(plan.idle_reps):
            for kind in list(rounds):
                try:
                    rounds[kind].append(one_round(kind, folder, count, plan.idle_lists))
                except PeerUnavailable as exc:
                    results.skip(f"idle {kinds[kind]}", str(exc))
                    del rounds[kind]
        section = f"idle {count:,} sessions"
        for kind, runs in rounds.items():
            if not runs:
                continue
            label = kinds[kind]
            base = "ftp" if kind == "ferry" and "ftp" in rounds else None
            last = runs[-1]
            results.add(
                Figure(
                    f"idle.n{count}.{kind}.per_session",
                    section,
                    f"{label}: PSS per idle session (USS {last['uss_per_session'] / KiB:.2f} KiB;"
                    f" total PSS {last['pss_after'] / 2**20:.0f} MiB)",
                    "KiB",
                    [Sample(r["pss_per_session"] / KiB) for r in runs],
                    higher_is_better=False,
                    baseline=base and f"idle.n{count}.{base}.per_session",
                    extra={"rounds": runs},
                )
            )
            results.add(
                Figure(
                    f"idle.n{count}.{kind}.list_p99",
                    section,
                    f"{label}: fresh client's list p99 (p50 {last['p50_ms']:.2f} ms)",
                    "ms",
                    [Sample(r["p99_ms"]) for r in runs],
                    higher_is_better=False,
                    baseline=base and f"idle.n{count}.{base}.list_p99",
                )
            )
        print(
            f"  {count}: "
            + ", ".join(
                f"{k} {r[-1]['pss_per_session'] / KiB:.2f} KiB/session, list p99 {r[-1]['p99_ms']:.1f} ms" for k, r in rounds.items() if r
            ),
            flush=True,
        )
