"""Many clients at once, each checking every byte by sha256."""

from __future__ import annotations

import hashlib
import os
import threading

from ferry_files.shared.client import FerryClient

CLIENTS = 50


def test_fifty_clients_upload_and_download_at_once(server, library, tmp_path):
    shared_data = os.urandom(4 * 1024 * 1024)
    (library / "shared.bin").write_bytes(shared_data)
    shared_digest = hashlib.sha256(shared_data).hexdigest()
    barrier = threading.Barrier(CLIENTS, timeout=30)
    errors: list[BaseException] = []
    digests: dict[str, str] = {}

    def client(index: int) -> None:
        try:
            local = tmp_path / f"up-{index}.bin"
            data = os.urandom(256 * 1024 + index)
            local.write_bytes(data)
            digests[local.name] = hashlib.sha256(data).hexdigest()
            target = tmp_path / f"down-{index}"
            target.mkdir()
            with FerryClient.connect(*server.address) as session:
                barrier.wait()
                uploaded = session.put(local)
                assert uploaded.sha256 == digests[local.name]
                path = session.get("shared.bin", target)
                assert hashlib.sha256(path.read_bytes()).hexdigest() == shared_digest
                assert session.stat(local.name).sha256 == digests[local.name]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    for name, digest in digests.items():
        assert hashlib.sha256((library / name).read_bytes()).hexdigest() == digest
    with FerryClient.connect(*server.address) as session:
        assert len(session.list()) == CLIENTS + 1
