"""Small downloads of the transfer queue, pipelined on one worker's connection.

One ``get`` per file, each a full round trip, held the app to an eighth of the
client library's ``get_tree`` on 20,000 small files. So a worker that takes a
small download also *claims* the next queued small downloads of the same
server, a group at a time, and sends their requests ahead (shared/pipeline.py:
a ``stat`` and a ``get`` per file when downloads are verified), as ``get_tree``
does.

The queue keeps the rules of its rows through a :class:`Ledger`:

- a claimed download stays QUEUED until its body is in, and turns DONE or
  FAILED then: it never shows RUNNING, because a file of at most a mebibyte
  arrives in a blink, and a state change per file more (with its lock, its
  snapshot and its cancel event) was a third of what the app added per file;
- a claim cancelled, paused or retried before its body is in is stale: its
  answers are still read (the connection must stay in step) and its body is
  dropped. Once the ledger lets a claim be published it is too late to stop
  it: it ends DONE, as a single download cancelled after its last byte does;
- a per-file refusal or failure (deleted since the listing, a local write
  error, a checksum mismatch) fails that row alone and the batch goes on;
- the first download, taken by the worker as any transfer is, runs as a
  single one would (RUNNING, with a cancel that aborts the connection); when
  the connection breaks while it is read, it is reported as a single
  download's failure, and every claim not done goes back to the front of the
  queue, for a new connection.
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
    cancel: threading.Event | None = None  # the first download's (RUNNING); a claim has none
    expected: RemoteStat | None = None  # its ``stat``, when verified
    failure: FerryError | None = None  # its ``stat`` was refused


#: Downloads claimed at once: one lock for a group, not one per file.
CLAIM_GROUP = 16


class Ledger(Protocol):
    """What the queue does for a batch; every method takes the queue's lock."""

    def claim(self, count: int) -> list[Claim]:
        """The next queued small downloads of this batch's server, at most ``count``."""

    def publishing(self, claim: Claim) -> bool:
        """Whether ``claim``'s complete body is still wanted; if so it can no
        longer be cancelled or paused (it is being saved)."""

    def finish(self, claim: Claim, failure: BaseException | None) -> None:
        """Report a claim's end, DONE or its failure (nothing, when it is stale)."""

    def give_back(self, claims: list[Claim]) -> None:
        """Queue claims not started again, at the front, in this order."""


def download_batch(client: FerryClient, ledger: Ledger, first: Claim, verify: bool) -> None:
    """Download ``first`` (RUNNING already) and every claim the ledger hands out
    while the pipeline runs. A broken connection raises, once the claims not
    done are given back, as :class:`BatchBroken`: the caller reports ``first``
    (``running``) as a single download's failure if it was being read."""
    sent: deque[Claim] = deque()  # in the order their answers come
    handed = deque([first])  # claimed, requests not sent yet

    def more() -> list[tuple[Request, tuple[Claim, bool]]] | None:
        if not handed:
            handed.extend(ledger.claim(CLAIM_GROUP))
            if not handed:
                return None
        claim = handed.popleft()
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
            (_, is_stat), answer = pipeline.answer()
            if is_stat:
                _take_stat(claim, answer)
                continue
            failure = _receive(client, ledger, claim, answer)
            sent.popleft()
            ledger.finish(claim, failure)
    except BaseException as exc:
        ledger.give_back([claim for claim in (*sent, *handed) if claim is not first])
        raise BatchBroken(first if sent and sent[0] is first else None, exc) from exc


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


def _receive(client: FerryClient, ledger: Ledger, claim: Claim, answer: dict[str, Any] | FerryError) -> FerryError | None:
    """Read one ``get`` answer: publish the file, or drop its body; the per-file
    failure, if any. A broken connection raises."""
    if isinstance(answer, FerryError):
        return claim.failure or answer
    target = claim.target if claim.failure is None else None
    try:
        receive_file(client, answer, target, expected=claim.expected, cancel=claim.cancel, keep=lambda: ledger.publishing(claim))
    except FerryError as exc:
        if client.closed:
            raise
        return exc
    return claim.failure
