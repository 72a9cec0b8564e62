"""Tree transfers (issue 11): a tree of small files in folders, uploaded and
downloaded whole, in files per second, against rsync's daemon and lftp's
``mirror`` with pyftpdlib, in the same run.

Ferry moves the tree through its client library's pipelined ``put_tree`` and
``get_tree`` on one connection, with fsync (the default) and with
``--no-fsync`` (rsync does not fsync; lftp and pyftpdlib neither). Every round
writes into a fresh destination, removed after the round outside the timing.
"""

from __future__ import annotations

import functools
import itertools
import shutil
import subprocess
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from .ferry import FerryServer
from .files import Workspace
from .peers import FtpServer, PeerUnavailable, RsyncDaemon, ensure_program
from .plan import Plan
from .report import Results
from .stats import Figure, Sample, interleave, measure

LABELS = {
    "ferry": "Ferry put_tree / get_tree (fsync)",
    "ferry.nofsync": "Ferry put_tree / get_tree, --no-fsync",
    "rsync": "rsync daemon (rsync -a, no fsync)",
    "lftp": "lftp mirror <-> pyftpdlib async (no fsync)",
}


def make_tree(root: Path, folders: int, per_folder: int, size: int) -> int:
    """``folders`` folders of ``per_folder`` files of ``size`` bytes; the file count."""
    data = bytes(range(256)) * (size // 256 + 1)
    for f in range(folders):
        folder = root / f"folder-{f:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_folder):
            (folder / f"file-{i:04d}.bin").write_bytes(data[i % 256 : i % 256 + size])
    return folders * per_folder


def _run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=900)


@dataclass
class _Contender:
    pid: int  # the serving process tree, for its CPU
    root: Path  # the served folder: the tree is at root/"tree", uploads land beside it
    upload: Callable[[Path, str], None]  # (local tree, new remote folder name)
    download: Callable[[str, Path], None]  # (remote folder name, new local folder)


def _ferry(server: FerryServer, root: Path) -> _Contender:
    def upload(local: Path, target: str) -> None:
        with server.connect() as client:
            client.put_tree(local, target)

    def download(remote: str, local: Path) -> None:
        with server.connect() as client:
            client.get_tree(remote, local)

    return _Contender(server.pid, root, upload, download)


def _rsync(daemon: RsyncDaemon, root: Path) -> _Contender:
    def upload(local: Path, target: str) -> None:
        _run(["rsync", "-a", f"{local}/", daemon.url(f"{target}/")])

    def download(remote: str, local: Path) -> None:
        _run(["rsync", "-a", daemon.url(f"{remote}/"), f"{local}/"])

    return _Contender(daemon.pid, root, upload, download)


def _lftp(program: str, ftp: FtpServer, root: Path) -> _Contender:
    opening = f"set net:max-retries 1; set xfer:clobber on; open -u anonymous,bench 127.0.0.1:{ftp.port}"

    def upload(local: Path, target: str) -> None:
        _run([program, "-c", f"{opening}; mirror -R --no-perms {local} {target}"])

    def download(remote: str, local: Path) -> None:
        _run([program, "-c", f"{opening}; mirror --no-perms {remote} {local}"])

    return _Contender(ftp.pid, root, upload, download)


def trees(plan: Plan, ws: Workspace, results: Results) -> None:
    source = ws.folder("tree-source")
    files = make_tree(source, plan.tree_folders, plan.tree_files_per_folder, plan.tree_file_size)
    fresh = itertools.count()
    contenders: dict[str, _Contender] = {}

    def served(key: str) -> Path:
        root = ws.folder(f"tree-{key}")
        shutil.copytree(source, root / "tree")
        return root

    with ExitStack() as stack:
        for key, args in (("ferry", ()), ("ferry.nofsync", ("--no-fsync",))):
            root = served(key)
            server = FerryServer(root, *args).start()
            stack.callback(server.stop)
            contenders[key] = _ferry(server, root)
        try:
            root = served("rsync")
            daemon = RsyncDaemon(root, ws.folder("rsync-scratch")).start()
            stack.callback(daemon.stop)
            contenders["rsync"] = _rsync(daemon, root)
        except PeerUnavailable as exc:
            results.skip("tree rsync", str(exc))
        try:
            program = ensure_program("lftp", "lftp")
            root = served("lftp")
            ftp = FtpServer(root).start()
            stack.callback(ftp.stop)
            contenders["lftp"] = _lftp(program, ftp, root)
        except PeerUnavailable as exc:
            results.skip("tree lftp", str(exc))

        def up(c: _Contender) -> Sample:
            target = f"up-{next(fresh)}"
            return _rate(files, c.pid, lambda: c.upload(source, target), lambda: shutil.rmtree(c.root / target))

        def down(c: _Contender) -> Sample:
            local = ws.root / f"down-{next(fresh)}"
            return _rate(files, c.pid, lambda: c.download("tree", local), lambda: shutil.rmtree(local))

        shape = f"{files:,} files of {plan.tree_file_size // 1024} KiB in {plan.tree_folders} folders"
        print(f"  {shape}: {len(contenders)} contenders x {plan.tree_reps} rounds each way", flush=True)
        for direction, move in (("upload", up), ("download", down)):
            runs = interleave({key: functools.partial(move, c) for key, c in contenders.items()}, plan.tree_reps)
            for key, samples in runs.items():
                baseline = None if key == "rsync" else f"tree.{direction}.rsync"
                label = f"{direction} {LABELS[key]}"
                results.add(Figure(f"tree.{direction}.{key}", f"tree ({shape})", label, "files/s", samples, baseline=baseline))


def _rate(files: int, pid: int, action: Callable[[], None], cleanup: Callable[[], None]) -> Sample:
    """Files per second of ``action``, with the CPU both sides used; ``cleanup`` untimed."""

    def run() -> float:
        action()
        return 0.0

    seconds, sample = measure(run, pid)
    cleanup()
    return Sample(files / seconds, sample.server_cores, sample.client_cores)
