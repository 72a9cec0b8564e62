"""Small downloads of the transfer queue, pipelined on one worker's connection.

One ``get`` per file, each a full round trip, held the app to an eighth of the
client library's ``get_tree`` on 20,000 small files. So a worker that takes a
small download also *claims* the next queued small downloads of the same
server and sends their requests ahead (shared/pipeline.py: a ``stat`` and a
``get`` per file when downloads are verified), as ``get_tree`` does.

The queue keeps the rules of its rows through a :class:`Ledger`:

- a claimed download stays QUEUED until its first answer is read; it turns
  RUNNING then (:meth:`Ledger.start`), and DONE or FAILED once its body is in;
- a claim cancelled, paused or retried meanwhile is stale: its answers are
  still read (the connection must stay in step) and its body dropped;
- a per-file refusal or failure (deleted since the listing, a local write
  error, a checksum mismatch) fails that row alone and the batch goes on;
- when the connection breaks, the running download is reported as a single
  one would be, and the claims not started go back to the front of the queue.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ferry_files.shared.client import FerryClient, RemoteStat, remote_stat
from ferry_files.shared.errors import FerryError
from ferry_files.shared.messages import Get, Request, Stat
from ferry_files.shared.pipeline import Pipeline, receive_file


@dataclass(slots=True, eq=False)
class Claim:
    """One download a worker sent requests for: the queue's own record of it
    (``job``, opaque here) and the attempt it was claimed in."""

    job: Any
    attempt: int
    remote: str
    target: Path
    started: bool = False
    cancel: threading.Event | None = None  # once started; None then: stale, its body is dropped
    expected: RemoteStat | None = None  # its ``stat``, when verified
    failure: FerryError | None = None  # its ``stat`` was refused


class Ledger(Protocol):
    """What the queue does for a batch; every method takes the queue's lock."""

    def claim(self) -> Claim | None:
        """The next queued small download of this batch's server, or None."""

    def start(self, claim: Claim) -> threading.Event | None:
        """Mark ``claim`` RUNNING; its cancel event, or None when it is stale."""

    def finish(self, claim: Claim, failure: BaseException | None) -> None:
        """Report a started claim's end: DONE, or its failure."""

    def give_back(self, claims: list[Claim]) -> None:
        """Queue claims not started again, at the front, in this order."""


def download_batch(client: FerryClient, ledger: Ledger, first: Claim, verify: bool) -> None:
    """Download ``first`` (started already) and every claim the ledger hands out
    while the pipeline runs. A broken connection raises, once the claims not
    started are given back, as :class:`BatchBroken`: the caller reports the
    claim that was being read (``running``) as a single download's failure."""
    sent: deque[Claim] = deque()  # in the order their answers come
    handed = [first]

    def more() -> list[tuple[Request, tuple[Claim, bool]]] | None:
        claim = handed.pop() if handed else ledger.claim()
        if claim is None:
            return None
        sent.append(claim)
        get: list[tuple[Request, tuple[Claim, bool]]] = [(Get(claim.remote), (claim, False))]
        return [(Stat(claim.remote), (claim, True)), *get] if verify else get

    pipeline: Pipeline[tuple[Claim, bool]] = Pipeline(client)
    try:
        while True:
            pipeline.refill(more)
            if not sent:
                return
            claim = sent[0]
            if not claim.started:
                claim.started = True
                claim.cancel = ledger.start(claim)
            (_, is_stat), answer = pipeline.answer()
            if is_stat:
                _take_stat(claim, answer)
                continue
            failure = _receive(client, claim, answer)
            sent.popleft()
            if claim.cancel is not None:
                ledger.finish(claim, failure)
    except BaseException as exc:
        ledger.give_back([claim for claim in sent if not claim.started])
        running = next((claim for claim in sent if claim.started), None)
        raise BatchBroken(running, exc) from exc


class BatchBroken(Exception):
    """The batch's connection broke (or was aborted) while ``running`` was read."""

    def __init__(self, running: Claim | None, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.running, self.cause = running, cause


def _take_stat(claim: Claim, answer: dict[str, Any] | FerryError) -> None:
    """Keep a ``stat`` answer for the ``get`` that follows it."""
    if isinstance(answer, FerryError):
        claim.failure = answer
        return
    try:
        claim.expected = remote_stat(claim.remote, answer)
    except FerryError as exc:  # malformed: the file cannot be verified
        claim.failure = exc


def _receive(client: FerryClient, claim: Claim, answer: dict[str, Any] | FerryError) -> FerryError | None:
    """Read one ``get`` answer: publish the file, or drop its body; the per-file
    failure, if any. A broken connection raises."""
    if isinstance(answer, FerryError):
        return claim.failure or answer
    keep = claim.cancel is not None and claim.failure is None
    try:
        receive_file(client, answer, claim.target if keep else None, expected=claim.expected, cancel=claim.cancel)
    except FerryError as exc:
        if client.closed:
            raise
        return exc
    return claim.failure
