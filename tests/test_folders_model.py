"""Random ``mkdir``, ``put`` (with ``overwrite`` and ``parents``), ``list``, ``get`` and
``stat`` from two connections (on two workers) against an in-memory model of the
tree (PROTOCOL.md 7.1 to 7.4): every answer, error code and listing must be the
model's. Each example works in a folder of its own on one server.
"""

from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from tests.hardening_support import sha
from tests.wire import Wire

PATHS = st.lists(st.sampled_from(["a", "b", "a.b", "c.txt"]), min_size=1, max_size=3).map("/".join)
FOLDERS = st.one_of(st.just(""), PATHS)
CONTENT = st.sampled_from([b"", b"x", b"hello", b"\x00" * 40])
CONNECTIONS = st.sampled_from([0, 1])
FLAG = st.sampled_from([None, False, True])  # None: the field is left out

_runs = itertools.count()


def with_flags(request: dict, **flags: bool | None) -> dict:
    return {**request, **{key: value for key, value in flags.items() if value is not None}}


class Tree(RuleBasedStateMachine):
    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__()
        self.wires = [Wire(address), Wire(address)]
        self.base = f"run-{next(_runs)}"
        assert self.wires[0].request({"op": "mkdir", "path": self.base})["ok"] is True
        self.tree: dict[str, bytes | None] = {}  # relative path -> content, None for a folder

    def teardown(self) -> None:
        for wire in self.wires:
            wire.close()

    def full(self, path: str) -> str:
        return f"{self.base}/{path}" if path else self.base

    def blocked(self, path: str, parents: bool) -> str | None:
        """The error of a path's folders: a file on the way is ``exists`` when
        ``parents`` would make it a folder, else ``not_found``; so is a missing folder
        without ``parents``."""
        names = path.split("/")
        for depth in range(1, len(names)):
            folder = "/".join(names[:depth])
            if folder not in self.tree:
                if not parents:
                    return "not_found"
            elif self.tree[folder] is not None:
                return "exists" if parents else "not_found"
        return None

    def make_parents(self, path: str) -> None:
        names = path.split("/")
        for depth in range(1, len(names)):
            self.tree.setdefault("/".join(names[:depth]), None)

    @rule(conn=CONNECTIONS, path=PATHS, parents=FLAG)
    def mkdir(self, conn: int, path: str, parents: bool | None) -> None:
        expected = self.blocked(path, bool(parents))
        if expected is None and path in self.tree and not (parents and self.tree[path] is None):
            expected = "exists"
        answer = self.wires[conn].request(with_flags({"op": "mkdir", "path": self.full(path)}, parents=parents))
        if expected is None:
            assert answer == {"ok": True, "path": self.full(path)}
            self.make_parents(path)
            self.tree[path] = None
        else:
            assert answer["error"] == expected, (path, answer)

    @rule(conn=CONNECTIONS, path=PATHS, data=CONTENT, overwrite=FLAG, parents=FLAG)
    def put(self, conn: int, path: str, data: bytes, overwrite: bool | None, parents: bool | None) -> None:
        expected = self.blocked(path, bool(parents))
        if expected is None and path in self.tree and (self.tree[path] is None or not overwrite):
            expected = "exists"
        wire = self.wires[conn]
        answer = wire.request(with_flags({"op": "put", "name": self.full(path), "size": len(data)}, overwrite=overwrite, parents=parents))
        if expected is not None:
            assert answer["error"] == expected, (path, answer)
            return
        assert answer == {"ok": True, "ready": True}, (path, answer)
        wire.send(data)
        assert wire.header() == {"ok": True, "name": self.full(path), "size": len(data), "sha256": sha(data)}
        self.make_parents(path)
        self.tree[path] = data

    @rule(conn=CONNECTIONS, path=PATHS)
    def read(self, conn: int, path: str) -> None:
        wire = self.wires[conn]
        content = self.tree.get(path)
        stat = wire.request({"op": "stat", "name": self.full(path)})
        got = wire.request({"op": "get", "name": self.full(path)})
        if content is None:  # a folder, or nothing
            assert stat["error"] == got["error"] == "not_found", (path, stat, got)
            return
        assert stat["size"] == len(content) and stat["sha256"] == sha(content)
        assert wire.body(got["length"]) == content

    @rule(conn=CONNECTIONS, path=FOLDERS, folders=FLAG, recursive=FLAG)
    def list(self, conn: int, path: str, folders: bool | None, recursive: bool | None) -> None:
        wire = self.wires[conn]
        answer = wire.request(with_flags({"op": "list", "path": self.full(path)}, folders=folders, recursive=recursive))
        if path and self.tree.get(path, b"") is not None:
            assert answer["error"] == "not_found", (path, answer)
            return
        lines = [json.loads(line) for line in wire.body(answer["length"]).splitlines()]
        assert answer["count"] == len(lines)
        prefix = f"{path}/" if path else ""
        expected = []
        for entry, content in self.tree.items():
            if not entry.startswith(prefix):
                continue
            shown = entry[len(prefix) :]
            if "/" in shown and not recursive:
                continue
            if content is not None:
                expected.append({"name": shown, "size": len(content), **({"type": "file"} if folders else {})})
            elif folders:
                expected.append({"name": shown, "type": "dir"})
        expected.sort(key=lambda line: line["name"])
        assert [{key: value for key, value in line.items() if key != "mtime"} for line in lines] == expected
        assert all(type(line["mtime"]) is float for line in lines)


def test_random_mkdir_put_and_list_from_two_connections_match_the_model(server_factory):
    server = server_factory("--workers", "2", "--no-fsync")
    run_state_machine_as_test(
        lambda: Tree(server.address),
        settings=settings(
            max_examples=150,
            stateful_step_count=40,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
