"""Paths (PROTOCOL.md 7.1): names joined by '/', within 4,096 bytes and 64 names."""

import pytest
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.limits import MAX_NAME_BYTES, MAX_PATH_BYTES, MAX_PATH_NAMES
from ferry_files.shared.names import all_valid_names, name_problem
from ferry_files.shared.paths import check_path, path_names, path_problem, split_path
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "path, names",
    [
        ("a", ("a",)),
        ("a/b.txt", ("a", "b.txt")),
        ("photos/2024/é ü.jpg", ("photos", "2024", "é ü.jpg")),
        ("a..b/c.", ("a..b", "c.")),
        ("/".join(["x"] * MAX_PATH_NAMES), ("x",) * MAX_PATH_NAMES),
        ("/".join(["y" * MAX_NAME_BYTES] * 16), ("y" * MAX_NAME_BYTES,) * 16),  # 4,095 bytes
    ],
)
def test_valid_paths_split_into_their_names(path, names):
    assert split_path(path) == (names, None)
    assert check_path(path) == path
    assert path_names(path) == names


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/a",
        "a/",
        "/",
        "a//b",
        "a/../b",
        "a/./b",
        "..",
        "a/.x",
        ".x/a",
        "a\\b",
        "a/b\x00",
        "a/\x7f",
        "a/\ud800",
        "/".join(["x"] * (MAX_PATH_NAMES + 1)),
        "y" * MAX_NAME_BYTES + "/" + "z" * (MAX_NAME_BYTES + 1),
    ],
)
def test_invalid_paths_are_bad_name(path):
    names, problem = split_path(path)
    assert names == () and problem
    with pytest.raises(FerryError) as info:
        check_path(path)
    assert info.value.code is ErrorCode.BAD_NAME


def test_byte_limit_counts_utf8_bytes_and_slashes():
    exact = "/".join(["é" * 127] * 16) + "/" + "a" * 16  # 16 * 254 + 16 bytes, 16 slashes
    assert len(exact.encode()) == MAX_PATH_BYTES
    assert path_problem(exact) is None
    assert "4096 bytes" in path_problem(exact + "b")


def test_empty_path_is_the_root_only_where_allowed():
    assert split_path("", root_allowed=True) == ((), None)
    assert path_names("") == ()
    assert path_problem("") is not None
    assert path_problem("/", root_allowed=True) is not None


_name_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\x7f", min_codepoint=0x20)
_names = st.text(_name_chars, min_size=1, max_size=20).filter(lambda n: not n.startswith("."))


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(_names, min_size=1, max_size=MAX_PATH_NAMES))
def test_a_valid_paths_names_are_valid_names_and_join_back(names):
    path = "/".join(names)
    components, problem = split_path(path)
    if problem is None:
        assert all(name_problem(name) is None for name in components)
        assert "/".join(components) == path
        assert components == tuple(names)
    else:  # only the size limits reject names that are each valid
        assert len(path.encode()) > MAX_PATH_BYTES or any(len(n.encode()) > MAX_NAME_BYTES for n in names)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.text(st.sampled_from("ab./\\\x00é"), max_size=12))
def test_any_accepted_text_is_valid_names_joined(path):
    components, problem = split_path(path)
    if problem is None:
        assert components and all(name_problem(name) is None for name in components)
        assert "/".join(components) == path


_LONG_NAMES = ["x" * 256, "é" * 128, "é" * 129]  # at, at and past the 256-byte limit


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(st.lists(st.text(st.sampled_from("ab./\\\x00\né\ud800"), max_size=6) | st.sampled_from(_LONG_NAMES), max_size=5))
def test_a_listings_names_checked_at_once_agree_with_one_by_one(names):
    """The listing's one-call check (``all_valid_names``) says yes exactly when
    every name passes ``name_problem``: a name holding the joining ``/`` or a
    newline cannot make two valid names out of one."""
    assert all_valid_names(names) == all(name_problem(name) is None for name in names)
