"""Local names for remote ones (shared/local_names.py): Windows device names, and
names that are one and the same in a destination folder by its rules (issue 10,
item 6). Case-insensitive and Windows folders are simulated by passing their
rules; the probe itself is tested on the real, case-sensitive temp folder."""

from __future__ import annotations

import os
import sys
import unicodedata

import pytest
from ferry_files.shared.local_names import CASE_SENSITIVE, DestinationRules, FolderNames, destination_rules, safe_local_name

#: A Windows (NTFS) folder: case does not count, Unicode normalization does.
WINDOWS = DestinationRules(case_insensitive=True, normalization_insensitive=False)
#: A macOS (APFS) folder: neither counts.
MACOS = DestinationRules(case_insensitive=True, normalization_insensitive=True)

CAFE_NFC = unicodedata.normalize("NFC", "café.txt")
CAFE_NFD = unicodedata.normalize("NFD", "café.txt")


@pytest.mark.parametrize(
    ("name", "local"),
    [
        ("CON", "_CON"),
        ("nul .txt", "_nul .txt"),
        ("COM1 .txt", "_COM1 .txt"),
        ("conout$.log", "_conout$.log"),
        ("CONIN$", "_CONIN$"),
        ("lpt9.tar.gz", "_lpt9.tar.gz"),
        ("Aux  .x.y", "_Aux  .x.y"),
        ("com³", "_com³"),
        ("console.txt", "console.txt"),
        ("nul_x", "nul_x"),
        ("COM10", "COM10"),
        ("CONOUT", "CONOUT"),
    ],
)
def test_windows_device_names_are_never_used_as_they_are(name, local):
    assert safe_local_name(name) == local


def test_twins_by_case_and_normalization_follow_the_destination_s_rules():
    batch = ["Report.txt", "report.txt", CAFE_NFC, CAFE_NFD]
    clashing = {
        CASE_SENSITIVE: [],
        WINDOWS: ["report.txt"],
        MACOS: ["report.txt", CAFE_NFD],
    }
    for rules, expected in clashing.items():
        names = FolderNames.listing(rules, [])
        found = []
        for name in batch:
            clash = names.clash(name)
            if clash is not None:
                found.append(name)
                assert clash.in_batch and clash.other in batch[: batch.index(name)]
            names.claim(name)
        assert found == expected, rules


def test_a_twin_already_in_the_folder_is_a_clash_and_the_same_name_is_told_apart():
    names = FolderNames.listing(WINDOWS, ["Report.txt", "notes.txt"])
    clash = names.clash("REPORT.TXT")
    assert clash is not None and (clash.other, clash.in_batch) == ("Report.txt", False)
    assert names.clash("notes.txt").other == "notes.txt"  # the very same name: the caller decides
    assert names.clash("other.txt") is None
    assert names.free_variant("report.txt") == "report (1).txt"
    names.claim("report (1).txt")
    assert names.free_variant("REPORT.txt") == "REPORT (2).txt"


def test_device_names_and_their_safe_forms_clash_on_every_system():
    names = FolderNames.listing(CASE_SENSITIVE, [])
    names.claim(safe_local_name("CON"))
    clash = names.clash(safe_local_name("_CON"))
    assert clash is not None and clash.other == "_CON" and clash.in_batch


def test_the_probe_finds_the_temp_folder_case_sensitive_and_leaves_nothing(tmp_path):
    if sys.platform != "linux":
        pytest.skip("the test assumes a Linux temp folder (case-sensitive)")
    assert destination_rules(tmp_path) == CASE_SENSITIVE
    assert os.listdir(tmp_path) == []


def test_the_probe_of_a_folder_it_cannot_write_falls_back_to_the_system_s_default(tmp_path):
    if sys.platform != "linux":
        pytest.skip("Linux's default is the one known here")
    assert destination_rules(tmp_path / "missing") == CASE_SENSITIVE
