import pytest

from shared.errors import ErrorCode, FerryError
from shared.messages import Get, Put, encode_request, parse_request, raise_for_error, request_op
from shared.names import name_problem


def code_of(fn, *args):
    with pytest.raises(FerryError) as info:
        fn(*args)
    return info.value.code


@pytest.mark.parametrize("header", [[], "list", 1, None, {}, {"op": 1}, {"op": None}, {"op": ["list"]}])
def test_not_an_object_or_no_string_op_is_bad_request(header):
    assert code_of(request_op, header) is ErrorCode.BAD_REQUEST


def test_unknown_op():
    assert code_of(request_op, {"op": "delete"}) is ErrorCode.UNKNOWN_OP


@pytest.mark.parametrize(
    "header",
    [
        {"op": "get", "name": "a", "offset": True},
        {"op": "get", "name": "a", "offset": -1},
        {"op": "get", "name": "a", "offset": 1.5},
        {"op": "get", "name": "a", "offset": None},
        {"op": "get", "name": "a", "offset": 2**63},
        {"op": "put", "name": "a", "size": True},
        {"op": "put", "name": "a", "size": "3"},
        {"op": "put", "name": "a"},
        {"op": "put", "name": "a", "size": 1, "overwrite": None},
        {"op": "put", "name": "a", "size": 1, "overwrite": 1},
        {"op": "put", "name": "a", "size": 1, "sha256": "abc"},
        {"op": "put", "name": "a", "size": 1, "sha256": None},
        {"op": "stat"},
        {"op": "stat", "name": 5},
        {"op": "auth"},
        {"op": "auth", "token": 5},
    ],
)
def test_field_type_and_range_errors_are_bad_request(header):
    assert code_of(parse_request, header["op"], header) is ErrorCode.BAD_REQUEST


def test_bad_request_outranks_bad_name():
    header = {"op": "put", "name": "../x", "size": True}
    assert code_of(parse_request, "put", header) is ErrorCode.BAD_REQUEST
    header = {"op": "put", "name": "../x", "size": 1}
    assert code_of(parse_request, "put", header) is ErrorCode.BAD_NAME


def test_put_normalises_sha256_and_defaults():
    request = parse_request("put", {"op": "put", "name": "a", "size": 3, "sha256": "AB" * 32, "extra": [1]})
    assert request == Put("a", 3, False, "ab" * 32)


def test_encode_request_omits_defaults():
    assert encode_request(Get("a")) == {"op": "get", "name": "a"}
    assert encode_request(Put("a", 1)) == {"op": "put", "name": "a", "size": 1}


@pytest.mark.parametrize(
    "name",
    ["", ".hidden", "..", "a/b", "a\\b", "a\x00b", "a\nb", "a\x7fb", "x" * 256, "é" * 128, "\ud800"],
)
def test_invalid_names(name):
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", ["a", "x" * 255, "é" * 127, "name with spaces.txt", "日本語", "a..b", "a."])
def test_valid_names(name):
    assert name_problem(name) is None


def test_raise_for_error_keeps_unknown_codes_as_text():
    with pytest.raises(FerryError) as info:
        raise_for_error({"ok": False, "error": "from_the_future", "message": "m"})
    assert info.value.code == "from_the_future"
    assert code_of(raise_for_error, {"ok": "yes"}) is ErrorCode.BAD_REQUEST
