from __future__ import annotations

import pytest

from gui_client.conflicts import Choice, TransferPlan


def plan(items, existing, where="here"):
    return TransferPlan(items, lambda s: s, lambda n: n in existing, where)


def test_no_conflicts_plans_everything_without_asking():
    p = plan(["a", "b"], set())
    assert p.question() is None
    assert [(x.target, x.overwrite) for x in p.planned] == [("a", False), ("b", False)]


def test_each_conflict_asks_and_each_answer_applies():
    p = plan(["a.txt", "b.txt", "c.txt", "d.txt"], {"a.txt", "b.txt", "c.txt"})
    q = p.question()
    assert (q.name, q.remaining) == ("a.txt", 3)
    p.answer(Choice.OVERWRITE)
    assert p.question().name == "b.txt"
    p.answer(Choice.KEEP_BOTH)
    p.answer(Choice.SKIP)
    assert p.question() is None
    assert [(x.item, x.target, x.overwrite) for x in p.planned] == [
        ("a.txt", "a.txt", True),
        ("b.txt", "b (1).txt", False),
        ("d.txt", "d.txt", False),
    ]
    assert p.skipped == ["c.txt"]


def test_apply_to_all_answers_the_rest():
    p = plan(["x", "y.tar.gz", "z"], {"x", "y.tar.gz", "z", "x (1)"})
    p.answer(Choice.KEEP_BOTH, apply_to_all=True)
    assert p.question() is None
    assert [x.target for x in p.planned] == ["x (2)", "y.tar (1).gz", "z (1)"]


def test_keep_both_never_picks_a_name_the_batch_already_took():
    p = plan(["a", "a"], {"a"})
    p.answer(Choice.KEEP_BOTH, apply_to_all=True)
    assert [x.target for x in p.planned] == ["a (1)", "a (2)"]


def test_closing_the_dialog_skips_the_rest_and_answering_late_is_an_error():
    p = plan(["a", "b"], {"a"})
    p.cancel()
    assert p.planned == [] and p.skipped == ["a", "b"]
    with pytest.raises(RuntimeError):
        p.answer(Choice.SKIP)
