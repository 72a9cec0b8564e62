"""The publish counters' snapshot comparison (server/publications.py), against the
obvious counter-by-counter comparison, for any set of changed counters."""

from __future__ import annotations

import array

from hypothesis import given, settings
from hypothesis import strategies as st

from server.publications import _SLOTS, changed_slots


def _snapshot(values: dict[int, int]) -> bytes:
    counters = array.array("I", bytes(4 * _SLOTS))
    for slot, value in values.items():
        counters[slot] = value
    return counters.tobytes()


counters = st.dictionaries(st.integers(0, _SLOTS - 1), st.integers(0, 0xFFFFFFFF), max_size=40)


@settings(derandomize=True, max_examples=300)
@given(before=counters, after=counters)
def test_changed_slots_finds_exactly_the_counters_that_differ(before, after):
    old, new = _snapshot(before), _snapshot(after)
    expected = {slot for slot in range(_SLOTS) if old[4 * slot : 4 * slot + 4] != new[4 * slot : 4 * slot + 4]}
    assert changed_slots(old, new) == expected


def test_the_first_and_last_counters_and_a_wrap_to_zero_are_seen():
    old = _snapshot({0: 7, _SLOTS - 1: 0xFFFFFFFF, 300: 1})
    new = _snapshot({0: 8, _SLOTS - 1: 0, 300: 1})
    assert changed_slots(old, new) == {0, _SLOTS - 1}
    assert changed_slots(new, new) == frozenset()
