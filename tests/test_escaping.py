"""Names and messages from a server made harmless to show (issue 10, item 13):
no character a terminal or Tk acts on survives, a name stays on one line, and
two names never look the same."""

from __future__ import annotations

import re
import unicodedata

import pytest
from ferry_files.shared.escaping import escape_name, escape_text
from hypothesis import given
from hypothesis import strategies as st

#: Characters a terminal acts on or that reorder or split a line: every one must be escaped.
DANGEROUS = (
    [chr(c) for c in range(0x20)]
    + ["\x7f", "\x85", "\x9b", "\x9d", "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", "\ufeff", "\U000e0001"]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
)
#: Unicode categories that must never reach the screen raw.
UNSHOWN = {"Cc", "Cf", "Zl", "Zp", "Cs"}

_ESCAPE = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|[nrt\\])")


def unescape(shown: str) -> str:
    """The inverse of :func:`escape_name`, written independently of it."""
    named = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}
    return _ESCAPE.sub(lambda m: named.get(m[1]) or chr(int(m[1][1:], 16)), shown)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain name.txt", "plain name.txt"),
        ("日本語 é", "日本語 é"),
        ("a\nb", "a\\nb"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("csi\x9b", "csi\\x9b"),
        ("nel\x85", "nel\\x85"),
        ("rtl\u202eexe.txt", "rtl\\u202eexe.txt"),
        ("iso\u2067x\u2069", "iso\\u2067x\\u2069"),
        ("line\u2028sep", "line\\u2028sep"),
        ("bad\udcff", "bad\\udcff"),
        ("tag\U000e0041", "tag\\U000e0041"),
    ],
)
def test_controls_bidi_and_separators_become_escapes(text, shown):
    assert escape_name(text) == shown
    assert escape_text(text) == shown


def test_a_backslash_is_escaped_in_a_name_only():
    """In a name, so that ``a\\u202e`` typed out and a real U+202E differ; not in
    a message, which may quote a name already escaped (the server's do)."""
    assert escape_name("a\\u202e") == "a\\\\u202e" != escape_name("a\u202e")
    assert escape_text("no file named 'a\\u202e'") == "no file named 'a\\u202e'"


@pytest.mark.parametrize("char", DANGEROUS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_dangerous_character_is_escaped(char):
    assert char not in escape_name(f"a{char}b")
    assert char not in escape_text(f"a{char}b")


@given(st.text())
def test_any_escaped_text_is_one_line_of_harmless_characters(text):
    for shown in (escape_name(text), escape_text(text)):
        assert shown.isprintable()
        assert not any(unicodedata.category(char) in UNSHOWN for char in shown)
        assert len(shown.splitlines()) <= 1


@given(st.text())
def test_escaped_names_can_be_read_back_so_distinct_names_stay_distinct(text):
    assert unescape(escape_name(text)) == text


@given(st.text(), st.text())
def test_two_names_look_different(a, b):
    assert (escape_name(a) == escape_name(b)) == (a == b)
