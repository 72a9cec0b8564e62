"""Text from a server made harmless to show, on a terminal or in a Tk label.

A valid protocol name may hold characters that act instead of showing: C1
controls (U+009B starts a terminal command), bidi overrides that reorder what
follows (``rtl\\u202etxt.exe``), NEL and U+2028 that split one name over two
lines. Every such character, everything ``str.isprintable`` refuses (controls,
format characters, line and paragraph separators, other spaces than U+0020,
surrogates, unassigned code points), is written as the escape Python's ``repr``
uses (``\\x9b``, ``\\u202e``, ``\\U000e0001``, ``\\n``).
"""

from __future__ import annotations


def _escaped(char: str) -> str:
    return repr(char)[1:-1]


def escape_name(name: str) -> str:
    """``name`` as one line that cannot act on a terminal, and that no other name
    shares: a backslash is escaped too (``\\\\``), so a name that really holds
    ``\\u202e`` as six characters and one that holds U+202E look different."""
    if name.isprintable() and "\\" not in name:
        return name
    return "".join(char if char.isprintable() and char != "\\" else _escaped(char) for char in name)


def escape_text(text: str) -> str:
    """A message as one line that cannot act on a terminal. Backslashes are kept:
    messages quote names already escaped (``no file named 'a\\x9b'`` from the
    server), and escaping those again would double every escape."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escaped(char) for char in text)
