"""Name conflicts: Overwrite / Keep both / Skip, with "apply to all".

A :class:`TransferPlan` walks a batch of names. For each one that is taken where
it is going -- by a file there or an earlier name of the batch, compared by the
destination's rules, so ``report.txt`` is taken by ``Report.txt`` in a folder that
ignores case -- it stops and asks (:meth:`TransferPlan.question`); the window
shows the question and hands the answer back (:meth:`TransferPlan.answer`).
"Apply to all" answers the rest of the batch's conflicts the same way. No Tk here:
the plan is tested without a display.

Planning 20,000 names took the Tk thread 0.2..0.6 s in one go, so the plan works
only when asked: :meth:`TransferPlan.plan_some` takes a bounded step (the window
calls it once per turn of its loop); :meth:`question` and :meth:`answer` finish
the step up to the next conflict. What is planned is queued at once
(:meth:`TransferPlan.take_planned`): the first downloads of a 20,000-file batch
start while the rest is planned, or while a conflict waits for its answer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from ferry_files.shared.local_names import FolderNames

T = TypeVar("T")


class Choice(str, enum.Enum):
    OVERWRITE = "overwrite"
    KEEP_BOTH = "keep_both"
    SKIP = "skip"


class Planned(NamedTuple, Generic[T]):
    """One item that will be transferred: to ``target`` name, replacing or not.
    A named tuple: made for each of a batch's 20,000 names, at a third of a
    frozen dataclass's cost."""

    item: T
    target: str
    overwrite: bool


@dataclass(frozen=True)
class Conflict:
    name: str
    where: str  # "on the server" or "in <folder>"
    remaining: int  # conflicts in this batch still unanswered, this one included
    other: str = ""  # the name it is one file with: ``name`` itself, or a twin ("Report.txt")
    in_batch: bool = False  # ``other`` is an earlier name of this batch, not a file there
    why: str = ""  # what the destination ignores that makes a twin the same ("ignores case")


class TransferPlan(Generic[T]):
    def __init__(self, items: Sequence[T], target_of: Callable[[T], str], names: FolderNames, where: str) -> None:
        """``names``: the destination's names, which the plan claims as it goes."""
        self._items = list(items)
        self._target_of = target_of
        self._names = names
        self._where = where
        self._position = 0
        self._for_all: Choice | None = None
        self.planned: list[Planned[T]] = []
        self.skipped: list[T] = []
        self._taken = 0  # planned items handed out by take_planned

    def _is_taken(self, name: str) -> bool:
        return self._names.clash(name) is not None

    def plan_some(self, limit: int) -> bool:
        """Plan at most ``limit`` more items without asking anyone; True when
        more could be planned so (call again), False at a conflict or the end."""
        return self._advance(limit)

    def _advance(self, limit: int | None = None) -> bool:
        """Plan items up to the next conflict that needs a person, or ``limit``
        of them; True when it stopped at the limit."""
        end = len(self._items) if limit is None else min(len(self._items), self._position + limit)
        while self._position < end:
            item = self._items[self._position]
            target = self._target_of(item)
            if not self._is_taken(target):
                self._plan(item, target, overwrite=False)
            elif self._for_all is not None:
                self._resolve(item, target, self._for_all)
            else:
                return False
            self._position += 1
        return self._position < len(self._items)

    def take_planned(self) -> list[Planned[T]]:
        """The items planned since the last call: decided for good, so the window
        queues them while it plans (or asks about) the rest."""
        taken, self._taken = self._taken, len(self.planned)
        return self.planned[taken:]

    def question(self) -> Conflict | None:
        """The conflict waiting for an answer (planning up to it), or None when the plan is complete."""
        self._advance()
        if self._position >= len(self._items):
            return None
        target = self._target_of(self._items[self._position])
        remaining = sum(1 for later in self._items[self._position :] if self._is_taken(self._target_of(later)))
        clash = self._names.clash(target)
        other, in_batch = (clash.other, clash.in_batch) if clash is not None else (target, False)
        why = self._names.rules.why_same(target, other)
        return Conflict(target, self._where, max(1, remaining), other, in_batch, why)

    def answer(self, choice: Choice, apply_to_all: bool = False) -> None:
        """Answer the waiting conflict; the items after it are planned by the next
        :meth:`plan_some` or :meth:`question`."""
        self._advance()
        if self._position >= len(self._items):
            raise RuntimeError("no question is waiting")
        item = self._items[self._position]
        if apply_to_all:
            self._for_all = choice
        self._resolve(item, self._target_of(item), choice)
        self._position += 1

    def cancel(self) -> None:
        """Skip everything not yet planned (the dialog was closed)."""
        self.skipped.extend(self._items[self._position :])
        self._position = len(self._items)

    def _resolve(self, item: T, target: str, choice: Choice) -> None:
        if choice is Choice.SKIP:
            self.skipped.append(item)
        elif choice is Choice.OVERWRITE:
            self._plan(item, target, overwrite=True)
        else:
            self._plan(item, self._names.free_variant(target), overwrite=False)

    def _plan(self, item: T, target: str, overwrite: bool) -> None:
        self._names.claim(target)
        self.planned.append(Planned(item, target, overwrite))
