"""HTTP (issue 14, Browser access): the 1 GiB file downloaded by curl from
Ferry's web port against nginx with sendfile (started by the bench on
127.0.0.1 with its own configuration in a temp folder, peers.py), and uploaded
by ``curl -T`` against the loopback limit with the same fsync policy
(limits.py), with a native put on the same server beside it for reference.
Interleaved A B A B, as bulk.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from .bulk import cpu_cost, rate, source_file, start_peer
from .ferry import FerryServer, file_sha256, probe_put, unlink_quietly
from .files import Workspace
from .limits import LimitPair
from .peers import Nginx, PeerUnavailable, curl_download, ensure_program
from .plan import MiB, Plan
from .report import Results
from .stats import Figure, Sample, interleave


def _curl_upload(port: int, source: Path, name: str) -> int:
    curl = shutil.which("curl")
    if curl is None:
        raise PeerUnavailable("curl is not installed")
    command = [curl, "-s", "--fail", "-o", "/dev/null", "-H", "X-Ferry: 1", "-T", str(source), f"http://127.0.0.1:{port}/{name}"]
    subprocess.run(command, check=True, timeout=600)
    return source.stat().st_size


def _native_put(server: FerryServer, source: Path, sha256: str) -> int:
    with server.connect() as client:
        return probe_put(client, source, "up.bin", sha256)


def http(plan: Plan, ws: Workspace, results: Results) -> None:
    big = source_file(plan, ws)
    sha256 = file_sha256(big)
    serve, scratch = big.parent, ws.folder("scratch")
    section = f"HTTP {plan.bulk_size // MiB} MiB (curl)"
    try:
        ensure_program("curl", "curl")
    except PeerUnavailable as exc:
        results.skip("http section", str(exc))
        return
    with ExitStack() as stack:
        limit = LimitPair(big, scratch).start()
        stack.callback(limit.stop)
        reader = start_peer(stack, results, "Ferry HTTP", FerryServer(serve, web=True))
        durable_root, fast_root = ws.folder("http-up-fsync"), ws.folder("http-up-nofsync")
        durable = start_peer(stack, results, "Ferry HTTP", FerryServer(durable_root, web=True))
        fast = start_peer(stack, results, "Ferry HTTP --no-fsync", FerryServer(fast_root, "--no-fsync", web=True))
        nginx = start_peer(stack, results, "nginx", Nginx(serve, ws.folder("http-nginx")))
        if reader is None or durable is None or fast is None:
            return

        def fresh(folder: Path) -> Callable[[], None]:  # a new file every round, as bulk.uploads says why
            def clean() -> None:
                unlink_quietly(folder / "up.bin")
                settled()

            return clean

        def settled() -> None:
            """Every upload starts on a disk with nothing left to write: the
            no-fsync contenders left up to 2 GiB dirty, which the kernel then
            wrote during whichever fsync contender came next (its rounds spanned
            0.35 to 0.87 of the limit's in one afternoon)."""
            os.sync()

        c: dict[str, Callable[[], Sample]] = {
            "download.ferry": rate(lambda: (curl_download(reader.http_port, big.name), plan.bulk_size)[1], reader.pid),
            "upload.limit.fsync": rate(lambda: limit.upload(fsync=True), limit.pid, after=settled),
            "upload.ferry.fsync": rate(lambda: _curl_upload(durable.http_port, big, "up.bin"), durable.pid, after=fresh(durable_root)),
            "upload.limit.nofsync": rate(lambda: limit.upload(fsync=False), limit.pid, after=settled),
            "upload.ferry.nofsync": rate(lambda: _curl_upload(fast.http_port, big, "up.bin"), fast.pid, after=fresh(fast_root)),
            "upload.native.nofsync": rate(lambda: _native_put(fast, big, sha256), fast.pid, after=fresh(fast_root)),
        }
        labels = {
            "download.ferry": ("Ferry HTTP -> curl -o /dev/null", "download.nginx" if nginx else None),
            "upload.limit.fsync": ("limit: sendfile -> recv_into + write + fsync", None),
            "upload.ferry.fsync": ("curl -T -> Ferry HTTP PUT (server fsyncs)", "upload.limit.fsync"),
            "upload.limit.nofsync": ("limit: sendfile -> recv_into + write", None),
            "upload.ferry.nofsync": ("curl -T -> Ferry HTTP PUT, --no-fsync", "upload.limit.nofsync"),
            "upload.native.nofsync": ("Ferry put, sha256 sent, --no-fsync (the native port, for reference)", "upload.limit.nofsync"),
        }
        if nginx:
            c["download.nginx"] = rate(lambda: (curl_download(nginx.port, big.name), plan.bulk_size)[1], nginx.pid)
            labels["download.nginx"] = ("nginx (sendfile on) -> curl -o /dev/null", None)
        print(f"  {len(c)} contenders x {plan.bulk_reps} rounds", flush=True)
        samples = interleave(c, plan.bulk_reps)
    for key, runs in samples.items():
        label, baseline = labels[key]
        results.add(Figure(f"http.{key}", section, label, "MiB/s", runs, baseline=baseline and f"http.{baseline}", extra=cpu_cost(runs)))
