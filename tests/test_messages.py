import pytest
from ferry_files.shared.errors import CLOSING_CODES, ErrorCode, FerryError
from ferry_files.shared.limits import MAX_MTIME_SECONDS
from ferry_files.shared.messages import (
    FEATURES,
    OPS,
    WRITE_OPS,
    Auth,
    Delete,
    Get,
    ListFiles,
    Mkdir,
    Put,
    Quit,
    Rename,
    Stat,
    can_send,
    encode_request,
    encode_trailer,
    greeting,
    offered_features,
    parse_request,
    parse_trailer,
    raise_for_error,
    request_op,
)
from ferry_files.shared.names import name_problem
from hypothesis import given, settings
from hypothesis import strategies as st


def code_of(fn, *args):
    with pytest.raises(FerryError) as info:
        fn(*args)
    return info.value.code


@pytest.mark.parametrize("header", [[], "list", 1, None, {}, {"op": 1}, {"op": None}, {"op": ["list"]}])
def test_not_an_object_or_no_string_op_is_bad_request(header):
    assert code_of(request_op, header) is ErrorCode.BAD_REQUEST


def test_unknown_op():
    assert code_of(request_op, {"op": "chmod"}) is ErrorCode.UNKNOWN_OP


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
        # version 1.1 (section 7)
        {"op": "list", "path": None},
        {"op": "list", "path": 1},
        {"op": "list", "folders": 1},
        {"op": "list", "folders": "true"},
        {"op": "list", "recursive": None},
        {"op": "list", "recursive": 0},
        {"op": "mkdir"},
        {"op": "mkdir", "path": None},
        {"op": "mkdir", "path": "a", "parents": None},
        {"op": "mkdir", "path": "a", "parents": 1},
        {"op": "delete"},
        {"op": "delete", "path": ["a"]},
        {"op": "delete", "path": "a", "recursive": "yes"},
        {"op": "rename", "from": "a"},
        {"op": "rename", "to": "a"},
        {"op": "rename", "from": "a", "to": 2},
        {"op": "rename", "from": "a", "to": "b", "overwrite": None},
        {"op": "put", "name": "a", "size": 1, "trailer": None},
        {"op": "put", "name": "a", "size": 1, "trailer": 1},
        {"op": "put", "name": "a", "size": 1, "trailer": True, "sha256": "ab" * 32},
        {"op": "put", "name": "a", "size": 1, "upload_id": "ab" * 15 + "a"},  # 31 digits
        {"op": "put", "name": "a", "size": 1, "upload_id": "ab" * 32 + "a"},  # 65 digits
        {"op": "put", "name": "a", "size": 1, "upload_id": "g" * 32},
        {"op": "put", "name": "a", "size": 1, "upload_id": None},
        {"op": "put", "name": "a", "size": 1, "upload_id": 10**40},
        {"op": "put", "name": "a", "size": 1, "mtime": None},
        {"op": "put", "name": "a", "size": 1, "mtime": "1700000000"},
        {"op": "put", "name": "a", "size": 1, "mtime": True},
        {"op": "put", "name": "a", "size": 1, "mtime": MAX_MTIME_SECONDS + 1},
        {"op": "put", "name": "a", "size": 1, "mtime": -MAX_MTIME_SECONDS - 1.0},
        {"op": "put", "name": "a", "size": 1, "mtime": 1e300},
        {"op": "put", "name": "a", "size": 1, "parents": None},
        {"op": "put", "name": "a", "size": 1, "parents": 1},
        {"op": "get", "name": "a", "length": None},
        {"op": "get", "name": "a", "length": -1},
        {"op": "get", "name": "a", "length": True},
        {"op": "get", "name": "a", "length": 2.0},
        {"op": "get", "name": "a", "length": 2**63},
    ],
)
def test_field_type_and_range_errors_are_bad_request(header):
    assert code_of(parse_request, header["op"], header) is ErrorCode.BAD_REQUEST


def test_bad_request_outranks_bad_name():
    header = {"op": "put", "name": "../x", "size": True}
    assert code_of(parse_request, "put", header) is ErrorCode.BAD_REQUEST
    header = {"op": "put", "name": "../x", "size": 1}
    assert code_of(parse_request, "put", header) is ErrorCode.BAD_NAME


@pytest.mark.parametrize(
    "header",
    [
        {"op": "put", "name": "a//b", "size": 1, "mtime": "x"},
        {"op": "put", "name": ".x", "size": 1, "trailer": True, "sha256": "ab" * 32},
        {"op": "put", "name": "/a", "size": 1, "parents": 0},
        {"op": "get", "name": "a/", "length": -1},
        {"op": "list", "path": "/", "recursive": 1},
        {"op": "mkdir", "path": "a/../b", "parents": None},
        {"op": "delete", "path": "", "recursive": "x"},
        {"op": "rename", "from": ".a", "to": 1},
        {"op": "rename", "from": "a", "to": ".b", "overwrite": 1},
    ],
)
def test_any_field_error_outranks_any_path_error(header):
    assert code_of(parse_request, header["op"], header) is ErrorCode.BAD_REQUEST


@pytest.mark.parametrize(
    "header",
    [
        {"op": "stat", "name": "a/"},
        {"op": "get", "name": "a/.b"},
        {"op": "put", "name": "a//b", "size": 1},
        {"op": "list", "path": "/"},
        {"op": "list", "path": "a/"},
        {"op": "mkdir", "path": ""},
        {"op": "mkdir", "path": "a/../b"},
        {"op": "delete", "path": ""},
        {"op": "delete", "path": "/a"},
        {"op": "rename", "from": "", "to": "b"},
        {"op": "rename", "from": "a", "to": "b\\c"},
        {"op": "stat", "name": ""},
        {"op": "get", "name": ""},
        {"op": "put", "name": "", "size": 0},
    ],
)
def test_bad_paths_are_bad_name(header):
    assert code_of(parse_request, header["op"], header) is ErrorCode.BAD_NAME


def test_new_ops_are_known_and_the_writing_ones_named():
    for op in ("mkdir", "delete", "rename"):
        assert request_op({"op": op}) == op
    assert set(WRITE_OPS) == {"put", "mkdir", "delete", "rename"}
    assert set(FEATURES) == {"folders", "manage", "trailer", "resume", "mtime"}


def test_new_codes_keep_the_connection_open():
    assert ErrorCode("not_empty") is ErrorCode.NOT_EMPTY
    assert ErrorCode("forbidden") is ErrorCode.FORBIDDEN
    assert not {ErrorCode.NOT_EMPTY, ErrorCode.FORBIDDEN} & CLOSING_CODES


def test_version_1_requests_parse_as_before_and_use_no_feature():
    cases = {
        ("list", ()): ListFiles(),
        ("stat", (("name", "a"),)): Stat("a"),
        ("get", (("name", "a"), ("offset", 2))): Get("a", 2),
        ("put", (("name", "a"), ("size", 1), ("overwrite", True))): Put("a", 1, True),
        ("auth", (("token", "t"),)): Auth("t"),
        ("quit", ()): Quit(),
    }
    for (op, fields), expected in cases.items():
        request = parse_request(op, {"op": op, **dict(fields)})
        assert request == expected
        assert request.features == frozenset() and not request.is_version_1_1
        assert encode_request(request) == {"op": op, **dict(fields)}


def test_put_overwrite_uses_no_feature():
    assert Put("a", 1, overwrite=True).features == frozenset()


@pytest.mark.parametrize(
    "header, parsed, features",
    [
        ({"op": "list", "path": ""}, ListFiles(path=""), {"folders"}),
        ({"op": "list", "path": "a/b"}, ListFiles(path="a/b"), {"folders"}),
        ({"op": "list", "folders": False}, ListFiles(folders=False), {"folders"}),
        ({"op": "list", "recursive": True}, ListFiles(recursive=True), {"folders"}),
        ({"op": "list", "path": "p", "folders": True, "recursive": False}, ListFiles("p", True, False), {"folders"}),
        ({"op": "mkdir", "path": "a"}, Mkdir("a"), {"folders"}),
        ({"op": "mkdir", "path": "a/b", "parents": True}, Mkdir("a/b", True), {"folders"}),
        ({"op": "delete", "path": "a"}, Delete("a"), {"manage"}),
        ({"op": "delete", "path": "a/b", "recursive": True}, Delete("a/b", True), {"manage"}),
        ({"op": "rename", "from": "a", "to": "b"}, Rename("a", "b"), {"manage"}),
        ({"op": "rename", "from": "a", "to": "d/b", "overwrite": True}, Rename("a", "d/b", True), {"manage", "folders"}),
        ({"op": "stat", "name": "a/b"}, Stat("a/b"), {"folders"}),
        ({"op": "get", "name": "a/b"}, Get("a/b"), {"folders"}),
        ({"op": "put", "name": "a/b", "size": 1}, Put("a/b", 1), {"folders"}),
        ({"op": "put", "name": "a", "size": 1, "parents": True}, Put("a", 1, parents=True), {"folders"}),
        ({"op": "put", "name": "a", "size": 1, "trailer": True}, Put("a", 1, trailer=True), {"trailer"}),
        ({"op": "put", "name": "a", "size": 1, "trailer": False}, Put("a", 1, trailer=False), {"trailer"}),
        ({"op": "put", "name": "a", "size": 1, "mtime": 1.5}, Put("a", 1, mtime=1.5), {"mtime"}),
        ({"op": "put", "name": "a", "size": 1, "mtime": -3}, Put("a", 1, mtime=-3), {"mtime"}),
        ({"op": "put", "name": "a", "size": 1, "upload_id": "0" * 32}, Put("a", 1, upload_id="0" * 32), {"resume"}),
    ],
)
def test_version_1_1_requests_and_their_features(header, parsed, features):
    request = parse_request(header["op"], header)
    assert request == parsed
    assert request.features == frozenset(features)
    assert request.is_version_1_1
    assert encode_request(request) == header


def test_put_normalises_upload_id_and_allows_sha256_without_trailer():
    header = {"op": "put", "name": "a", "size": 1, "upload_id": "AbCd" * 16, "trailer": False, "sha256": "EF" * 32}
    request = parse_request("put", header)
    assert request.upload_id == "abcd" * 16 and request.sha256 == "ef" * 32 and request.trailer is False


def test_get_length_needs_a_1_1_server_but_no_feature():
    request = parse_request("get", {"op": "get", "name": "a", "offset": 3, "length": 0})
    assert request == Get("a", 3, 0)
    assert request.features == frozenset() and request.is_version_1_1
    assert encode_request(request) == {"op": "get", "name": "a", "offset": 3, "length": 0}


def test_rename_into_itself():
    assert Rename("a", "a/b").into_itself
    assert Rename("a/b", "a/b/c/d").into_itself
    assert not Rename("a", "ab/c").into_itself
    assert not Rename("a", "a").into_itself
    assert not Rename("a/b", "a").into_itself


def test_trailer():
    assert parse_trailer({"sha256": "AB" * 32, "x": 1}) == "ab" * 32
    assert parse_trailer(encode_trailer("cd" * 32)) == "cd" * 32
    for bad in [None, [], "ab" * 32, {}, {"sha256": None}, {"sha256": "ab"}, {"sha256": 5}]:
        assert code_of(parse_trailer, bad) is ErrorCode.BAD_REQUEST


def test_greeting_lists_features_in_a_fixed_order():
    assert greeting("ferry/x", False, None, []) == {
        "ferry": 1,
        "server": "ferry/x",
        "auth": False,
        "max_upload": None,
        "features": [],
    }
    assert greeting("s", True, 5, {"mtime", "folders"})["features"] == ["folders", "mtime"]
    with pytest.raises(ValueError):
        greeting("s", True, 5, ["teleport"])


def test_offered_features_from_a_greeting():
    assert offered_features({"ferry": 1}) is None
    assert offered_features({"ferry": 1, "features": "folders"}) is None
    assert offered_features({"features": []}) == frozenset()
    assert offered_features({"features": ["mtime", "teleport", 5, None, "folders"]}) == {"mtime", "folders"}


def test_can_send_only_what_the_server_offered():
    v1 = None
    assert can_send(Get("a", 1), v1) and can_send(Put("a", 1, True), v1) and can_send(ListFiles(), v1)
    assert not can_send(Get("a", 0, 5), v1)  # length needs a greeting with features
    assert not can_send(Stat("a/b"), v1)
    assert can_send(Get("a", 0, 5), frozenset())
    assert not can_send(Mkdir("a"), frozenset())
    assert can_send(Mkdir("a"), frozenset({"folders"}))
    assert not can_send(Rename("a", "d/a"), frozenset({"manage"}))
    assert can_send(Rename("a", "d/a"), frozenset({"manage", "folders"}))
    assert not can_send(Put("a", 1, upload_id="0" * 32, mtime=1), frozenset({"resume"}))


_paths = st.lists(st.sampled_from(["a", "b", "é", "x y"]), min_size=1, max_size=3).map("/".join)
_requests = st.one_of(
    st.builds(ListFiles, st.none() | st.just("") | _paths, st.none() | st.booleans(), st.none() | st.booleans()),
    st.builds(Stat, _paths),
    st.builds(Get, _paths, st.integers(0, 2**63 - 1), st.none() | st.integers(0, 2**63 - 1)),
    st.builds(
        Put,
        _paths,
        st.integers(0, 2**63 - 1),
        st.booleans(),
        st.none() | st.just("ab" * 32),
        st.none() | st.just(False),
        st.none() | st.text("0123456789abcdef", min_size=32, max_size=64),
        st.none() | st.floats(-1e9, 1e9) | st.integers(-(10**9), 10**9),
        st.none() | st.booleans(),
    ),
    st.builds(Mkdir, _paths, st.booleans()),
    st.builds(Delete, _paths, st.booleans()),
    st.builds(Rename, _paths, _paths, st.booleans()),
    st.builds(Auth, st.text(max_size=5)),
    st.just(Quit()),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_requests)
def test_encode_then_parse_gives_the_request_back(request):
    header = encode_request(request)
    assert header["op"] in OPS
    assert None not in header.values()
    assert parse_request(request_op(header), header) == request


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
