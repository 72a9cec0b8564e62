"""A busy team against one folder, with every ``list`` checked against what must be in it.

The rule each answer is held to (docs/protocol.md): a ``list`` is exact as of some
instant between the request and the answer. It must contain every file that
existed unchanged through the whole request, with its size and mtime, and every
upload acknowledged before the request began; it must not contain a file removed
before the request began. Files that change during a request may or may not show.

To know what must be there without racing the checker against the writers, each
writer publishes how far it has got *after* the change is done, and each lister
reads those marks before it sends its request and again after the answer:

- *stable* files are never touched: always listed, size and mtime exact;
- uploaders (threads, through Ferry) record each acknowledged name and size;
- a churner (another process, straight on the folder) creates ``churn-N``,
  renames it to ``churn-N-r`` and later removes that, in order of N. It counts
  ``renamed`` and ``removed`` after each change and ``removing`` before each
  removal: ``churn-N-r`` for ``removing-after <= N < renamed-before`` must be
  listed, every ``churn-N`` with ``N < renamed-before`` and every ``churn-N-r``
  with ``N < removed-before`` must not;
- an appender (another process) grows one file in place: its listed size must
  lie between its sizes before the request and after the answer.

Used by tests/test_list_exactness.py at a size that runs in seconds and by the
benchmark (``python -m bench --only exactness``) for longer and at 100,000 files.

:class:`FolderListStress` runs the same workload in a subfolder, listed through
its path (PROTOCOL.md 7.2), or recursively from the folder above it, beside
sibling folders of untouched files: each folder's part of the answer is held to
the same rule.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ferry_files.shared.client import FerryClient, RemoteFile

from tests.wire import Wire

#: Churned files alive at once: ``churn-N-r`` is removed when N+KEEP is renamed.
KEEP = 16
#: Violations described in full; past this only counted.
MAX_DESCRIBED = 20


@dataclass(frozen=True)
class StressPlan:
    stable: int  # files made before the run and never touched
    seconds: float
    listers: int
    uploaders: int


@dataclass
class StressReport:
    lists: int = 0
    uploads: int = 0
    churned: int = 0
    appended: int = 0
    violations: int = 0
    kinds: Counter[str] = field(default_factory=Counter)  # violations by kind
    described: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def violation(self, kind: str, text: str) -> None:
        self.violations += 1
        self.kinds[kind] += 1
        if len(self.described) < MAX_DESCRIBED:
            self.described.append(text)


def stable_name(index: int) -> str:
    return f"stable-{index:06d}"


def make_stable_files(library: Path, count: int) -> dict[str, tuple[int, float]]:
    """``count`` files of different sizes, straight on disk: name -> (size, mtime)."""
    made = {}
    for index in range(count):
        path = library / stable_name(index)
        path.write_bytes(b"s" * (index % 97))
        st = path.stat()
        made[path.name] = (st.st_size, st.st_mtime)
    return made


def _churn(library: str, renamed, removing, removed, stop) -> None:  # another process
    n = 0
    while not stop.is_set():
        fresh = os.path.join(library, f"churn-{n:07d}")
        with open(fresh, "wb") as out:
            out.write(b"c" * (n % 50))
        os.rename(fresh, fresh + "-r")
        n += 1
        renamed.value = n
        if n - removed.value > KEEP:
            removing.value = removed.value + 1
            os.unlink(os.path.join(library, f"churn-{removed.value:07d}-r"))
            removed.value += 1


def _append(path: str, stop) -> None:  # another process
    with open(path, "ab", buffering=0) as out:
        while not stop.is_set():
            out.write(b"a" * 7)
            time.sleep(0.001)


def _churn_number(name: str, suffix: str) -> int | None:
    if name.startswith("churn-") and name.endswith(suffix) and len(name) == 13 + len(suffix):
        return int(name[6:13])
    return None


class _Check:
    """What one lister knows before its request, checked against the answer."""

    def __init__(self, stress: ListStress) -> None:
        self.stress = stress
        self.renamed = stress.renamed.value
        self.removed = stress.removed.value
        with stress.lock:
            self.acked = dict(stress.acked)
        self.growing = os.stat(stress.growing).st_size

    def against(self, files: list[RemoteFile]) -> list[tuple[str, str]]:
        stress = self.stress
        removing_after = stress.removing.value
        growing_after = os.stat(stress.growing).st_size
        wrong: list[tuple[str, str]] = []
        names = [f.name for f in files]
        if names != sorted(set(names)):
            wrong.append(("order", "names not sorted or not unique"))
        listed = {f.name: f for f in files}
        missing = [name for name in stress.stable if name not in listed]
        if missing:
            wrong.append(
                (
                    "untouched missing",
                    f"{len(missing)} of {len(stress.stable)} untouched files missing (e.g. {missing[0]}); {len(files)} listed",
                )
            )
        for name, (size, mtime) in stress.stable.items():
            entry = listed.get(name)
            if entry is not None and (entry.size != size or abs(entry.mtime - mtime) > 1e-6):
                wrong.append(("untouched stale", f"{name}: listed {entry.size} B at {entry.mtime}, is {size} B at {mtime}"))
                break
        lost = [name for name in self.acked if name not in listed]
        if lost:
            wrong.append(("upload missing", f"{len(lost)} acknowledged uploads missing (e.g. {lost[0]})"))
        for name, size in self.acked.items():
            if name in listed and listed[name].size < size:
                wrong.append(("upload stale", f"{name}: listed {listed[name].size} B, an upload of {size} B was acknowledged before"))
                break
        for n in range(max(removing_after, self.renamed - KEEP - 1), self.renamed):
            if f"churn-{n:07d}-r" not in listed:
                wrong.append(("renamed missing", f"churn-{n:07d}-r missing: renamed before the request, removed only after the answer"))
                break
        for name in names:
            n = _churn_number(name, "")
            if n is not None and n < self.renamed:
                wrong.append(("renamed-away listed", f"{name} listed: renamed away before the request"))
                break
            n = _churn_number(name, "-r")
            if n is not None and n < self.removed:
                wrong.append(("removed listed", f"{name} listed: removed before the request"))
                break
        entry = listed.get(stress.growing.name)
        if entry is None:
            wrong.append(("appended missing", f"{stress.growing.name} missing"))
        elif not self.growing <= entry.size <= growing_after:
            wrong.append(
                (
                    "appended stale",
                    f"{stress.growing.name}: listed {entry.size} B, was {self.growing} B before the request and {growing_after} B after",
                )
            )
        return wrong


class ListStress:
    """One run of the workload against a running server on ``library``."""

    def __init__(self, connect: Callable[[], FerryClient], library: Path, plan: StressPlan, scratch: Path) -> None:
        self.connect = connect
        self.library = library
        self.plan = plan
        self.scratch = scratch
        self.stable = make_stable_files(library, plan.stable)
        self.growing = library / "growing.log"
        self.growing.write_bytes(b"")
        self.lock = threading.Lock()
        self.acked: dict[str, int] = {}
        self.report = StressReport()
        context = multiprocessing.get_context("fork")
        self.renamed = context.Value("q", 0, lock=False)
        self.removing = context.Value("q", 0, lock=False)
        self.removed = context.Value("q", 0, lock=False)
        self.stop_processes = context.Event()
        self.processes = [
            context.Process(
                target=_churn, args=(str(library), self.renamed, self.removing, self.removed, self.stop_processes), daemon=True
            ),
            context.Process(target=_append, args=(str(self.growing), self.stop_processes), daemon=True),
        ]

    def run(self) -> StressReport:
        for process in self.processes:
            process.start()
        deadline = time.monotonic() + self.plan.seconds
        threads = [threading.Thread(target=self._guarded, args=(self._lister, deadline)) for _ in range(self.plan.listers)]
        threads += [threading.Thread(target=self._guarded, args=(self._uploader, deadline, i)) for i in range(self.plan.uploaders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(self.plan.seconds + 120)
        self.stop_processes.set()
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
        self.report.churned = self.renamed.value
        self.report.appended = self.growing.stat().st_size // 7
        return self.report

    def _guarded(self, work: Callable[..., None], *args: object) -> None:
        try:
            work(*args)
        except Exception as exc:  # reported, not raised: the other threads go on
            with self.lock:
                self.report.errors.append(f"{type(exc).__name__}: {exc}")

    def _lister(self, deadline: float) -> None:
        with self.connect() as client:
            while time.monotonic() < deadline:
                check = _Check(self)
                wrong = check.against(client.list())
                with self.lock:
                    self.report.lists += 1
                    for kind, text in wrong:
                        self.report.violation(kind, text)

    def _uploader(self, deadline: float, index: int) -> None:
        source = self.scratch / f"upload-source-{index}"
        sequence = 0
        with self.connect() as client:
            while time.monotonic() < deadline:
                size = 1 + sequence % 300
                source.write_bytes(b"u" * size)
                name = f"up-{index}-{sequence:06d}"
                client.put(source, name=name)
                with self.lock:
                    self.acked[name] = size
                    self.report.uploads += 1
                sequence += 1


class FolderListStress(ListStress):
    """The workload in ``work``, a subfolder of ``outer`` in the library at ``root``.

    Listers ask for ``outer/work``, or with ``recursive`` for all of ``outer``
    with folder lines, where ``sibling_folders`` folders of untouched files sit
    beside ``work``: those files and folders must always be listed, exactly.
    Uploads go to ``outer/work/...`` by path. Raw requests: the client library's
    folder support is not what is tested here."""

    def __init__(
        self, address: tuple[str, int], root: Path, plan: StressPlan, scratch: Path, *, recursive: bool, sibling_folders: int = 3
    ) -> None:
        (root / "outer" / "work").mkdir(parents=True)
        super().__init__(lambda: FerryClient.connect(*address, timeout=30), root / "outer" / "work", plan, scratch)
        self.address = address
        self.recursive = recursive
        self.siblings: dict[str, tuple[int, float]] = {}  # path under outer -> (size, mtime)
        if recursive:
            for index in range(sibling_folders):
                folder = root / "outer" / f"sibling-{index}"
                folder.mkdir()
                for name, made in make_stable_files(folder, max(2, plan.stable // 4)).items():
                    self.siblings[f"{folder.name}/{name}"] = made

    def _listing(self, wire: Wire) -> tuple[list[RemoteFile], list[tuple[str, str]]]:
        """The workload folder's files, named as in it, and what is wrong with the rest."""
        request = (
            {"op": "list", "path": "outer", "recursive": True, "folders": True} if self.recursive else {"op": "list", "path": "outer/work"}
        )
        answer = wire.request(request)
        if not answer["ok"]:
            return [], [("error", str(answer))]
        lines = [json.loads(line) for line in wire.body(answer["length"]).splitlines()]
        if not self.recursive:
            return [RemoteFile(line["name"], line["size"], line["mtime"]) for line in lines], []
        wrong: list[tuple[str, str]] = []
        names = [line["name"] for line in lines]
        if names != sorted(set(names)):
            wrong.append(("order", "names of the recursive list not sorted or not unique"))
        listed = {line["name"]: line for line in lines}
        for folder in ["work"] + sorted({path.split("/")[0] for path in self.siblings}):
            if listed.get(folder, {}).get("type") != "dir":
                wrong.append(("folder missing", f"folder {folder} not listed as a folder"))
        for path, (size, mtime) in self.siblings.items():
            line = listed.get(path)
            if line is None or line["type"] != "file" or line["size"] != size or abs(line["mtime"] - mtime) > 1e-6:
                wrong.append(("sibling wrong", f"{path}: listed as {line}, is {size} B at {mtime}"))
                break
        files = [
            RemoteFile(line["name"][5:], line["size"], line["mtime"])
            for line in lines
            if line["name"].startswith("work/") and line["type"] == "file"
        ]
        return files, wrong

    def _lister(self, deadline: float) -> None:
        with Wire(self.address, timeout=30) as wire:
            while time.monotonic() < deadline:
                check = _Check(self)
                files, wrong = self._listing(wire)
                wrong += check.against(files)
                with self.lock:
                    self.report.lists += 1
                    for kind, text in wrong:
                        self.report.violation(kind, text)

    def _uploader(self, deadline: float, index: int) -> None:
        sequence = 0
        with Wire(self.address, timeout=30) as wire:
            while time.monotonic() < deadline:
                size = 1 + sequence % 300
                name = f"up-{index}-{sequence:06d}"
                answer = wire.request({"op": "put", "name": f"outer/work/{name}", "size": size})
                if not answer.get("ready"):
                    raise RuntimeError(f"upload refused: {answer}")
                wire.send(b"u" * size)
                answer = wire.header()
                if not answer["ok"]:
                    raise RuntimeError(f"upload failed: {answer}")
                with self.lock:
                    self.acked[name] = size
                    self.report.uploads += 1
                sequence += 1
