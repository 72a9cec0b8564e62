from __future__ import annotations

import unicodedata

import pytest
from ferry_files.gui_client.conflicts import Choice, TransferPlan
from ferry_files.shared.local_names import CASE_SENSITIVE, DestinationRules, FolderNames, safe_local_name

#: A macOS-like folder, simulated: case and Unicode normalization do not count.
MACOS = DestinationRules(case_insensitive=True, normalization_insensitive=True)


def plan(items, existing, where="here", rules=CASE_SENSITIVE, target_of=lambda s: s):
    return TransferPlan(items, target_of, FolderNames.listing(rules, existing), where)


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
    assert p.question() is None
    assert [x.target for x in p.planned] == ["a (1)", "a (2)"]


def test_closing_the_dialog_skips_the_rest_and_answering_late_is_an_error():
    p = plan(["a", "b"], {"a"})
    p.cancel()
    assert p.planned == [] and p.skipped == ["a", "b"]
    with pytest.raises(RuntimeError):
        p.answer(Choice.SKIP)


def test_twins_by_the_folder_s_rules_are_conflicts_that_say_what_they_clash_with():
    nfc, nfd = unicodedata.normalize("NFC", "café.txt"), unicodedata.normalize("NFD", "café.txt")
    p = plan(["report.txt", nfc, nfd, "other.txt"], {"Report.txt"}, rules=MACOS)
    q = p.question()
    assert (q.name, q.other, q.in_batch, q.why, q.remaining) == ("report.txt", "Report.txt", False, "ignores case", 1)
    p.answer(Choice.KEEP_BOTH)
    q = p.question()
    assert (q.name, q.other, q.in_batch, q.why) == (nfd, nfc, True, "ignores Unicode normalization")
    p.answer(Choice.KEEP_BOTH)
    assert p.question() is None
    assert [x.target for x in p.planned] == ["report (1).txt", nfc, unicodedata.normalize("NFD", "café (1).txt"), "other.txt"]


def test_the_same_names_on_a_case_sensitive_folder_are_no_conflict():
    nfc, nfd = unicodedata.normalize("NFC", "café.txt"), unicodedata.normalize("NFD", "café.txt")
    p = plan(["report.txt", nfc, nfd], {"Report.txt"})
    assert p.question() is None and len(p.planned) == 3


def test_a_device_name_and_its_safe_form_are_one_conflict():
    p = plan(["CON", "_CON"], set(), target_of=safe_local_name)
    q = p.question()
    assert (q.name, q.other, q.in_batch, q.why) == ("_CON", "_CON", True, "")
    p.answer(Choice.KEEP_BOTH)
    assert [(x.item, x.target) for x in p.planned] == [("CON", "_CON"), ("_CON", "_CON (1)")]


def test_a_big_batch_is_planned_in_bounded_steps_so_the_window_keeps_answering():
    """A 20,000-file click planned in one go held the Tk thread 0.2..0.6 s: the
    plan takes bounded steps, and asks only once it reaches a conflict."""
    names = [f"f{i:05d}" for i in range(20_000)]
    p = plan([*names, "taken"], {"taken"})
    assert p.planned == []  # nothing planned before the first step
    steps = 0
    while p.plan_some(500):
        steps += 1
        assert len(p.planned) == 500 * steps
    assert steps == 40 and len(p.planned) == 20_000
    assert p.question().name == "taken"
    p.answer(Choice.SKIP)
    assert p.plan_some(500) is False and p.question() is None and p.skipped == ["taken"]
