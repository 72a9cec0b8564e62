"""Shared passes (server/storage/coalescing.py): a caller only ever gets a run that started
after it asked and ended before it returned, and callers at once share runs."""

from __future__ import annotations

import random
import threading
import time

import pytest
from ferry_files.server.storage.coalescing import Coalesced


def test_every_caller_gets_a_run_that_started_after_it_asked():
    runs: list[tuple[float, float]] = []  # (started, ended) by run number - 1

    def compute() -> int:
        started = time.monotonic()
        time.sleep(random.uniform(0.001, 0.005))
        runs.append((started, time.monotonic()))
        return len(runs)

    shared = Coalesced(compute)
    calls: list[tuple[float, int, float]] = []
    lock = threading.Lock()

    def caller(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(40):
            time.sleep(rng.uniform(0, 0.004))
            asked = time.monotonic()
            number = shared.get()
            with lock:
                calls.append((asked, number, time.monotonic()))

    threads = [threading.Thread(target=caller, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(calls) == 8 * 40
    for asked, number, returned in calls:
        started, ended = runs[number - 1]
        assert asked <= started and ended <= returned
    assert len(runs) < len(calls)  # they did share: fewer runs than callers


def test_a_failed_run_fails_its_callers_and_the_next_call_runs_again():
    outcomes = iter([OSError("disk gone"), 7])

    def compute() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    shared = Coalesced(compute)
    with pytest.raises(OSError, match="disk gone"):
        shared.get()
    assert shared.get() == 7
