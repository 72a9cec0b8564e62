import pytest
from ferry_files.shared.errors import ErrorCode, FerryError
from ferry_files.shared.framing import HeaderBuffer, decode_header, encode_header
from ferry_files.shared.limits import MAX_HEADER_BYTES


def test_two_headers_in_one_feed_come_out_one_by_one():
    buffer = HeaderBuffer()
    buffer.feed(b'{"op":"list"}\n{"op":"quit"}\n')
    assert buffer.next_header() == b'{"op":"list"}'
    assert buffer.next_header() == b'{"op":"quit"}'
    assert buffer.next_header() is None


def test_a_header_fed_byte_by_byte_appears_only_when_complete():
    buffer = HeaderBuffer()
    data = b'{"op":"stat","name":"a"}\n'
    for byte in data[:-1]:
        buffer.feed(bytes([byte]))
        assert buffer.next_header() is None
    buffer.feed(b"\n")
    assert buffer.next_header() == data[:-1]


def test_body_bytes_after_a_header_are_taken_back_exactly():
    buffer = HeaderBuffer()
    buffer.feed(b'{"op":"put"}\nabcdef{"op":"quit"}\n')
    assert buffer.next_header() == b'{"op":"put"}'
    assert buffer.take(4) == b"abcd"
    assert buffer.take(2) == b"ef"
    assert buffer.next_header() == b'{"op":"quit"}'


def test_header_of_exactly_the_limit_passes_and_one_more_byte_fails():
    buffer = HeaderBuffer()
    buffer.feed(b"x" * (MAX_HEADER_BYTES - 1) + b"\n")
    assert len(buffer.next_header()) == MAX_HEADER_BYTES - 1
    buffer.feed(b"x" * MAX_HEADER_BYTES)
    with pytest.raises(FerryError) as info:
        buffer.next_header()
    assert info.value.code is ErrorCode.HEADER_TOO_LARGE


def test_oversized_header_is_refused_before_its_end_arrives():
    buffer = HeaderBuffer()
    buffer.feed(b"y" * (MAX_HEADER_BYTES + 10))
    with pytest.raises(FerryError):
        buffer.next_header()


@pytest.mark.parametrize(
    "line",
    [
        b"",
        b"not json",
        b'{"op":"list","op":"quit"}',
        b'{"x": NaN}',
        b'{"x": Infinity}',
        b'{"x": -Infinity}',
        b'{"x": 1e999}',
        b'{"op":"\xff"}',
        b"[" * 100_000,
        b'{"x":' + b"1" * 5000 + b"}",
    ],
)
def test_malformed_headers_are_bad_request(line):
    with pytest.raises(FerryError) as info:
        decode_header(line)
    assert info.value.code is ErrorCode.BAD_REQUEST


def test_trailing_cr_is_ignored():
    assert decode_header(b'{"op":"list"}\r') == {"op": "list"}


def test_encoded_header_is_one_line_even_with_control_characters():
    line = encode_header({"message": "a\nb\rc\x00"})
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
    assert decode_header(line[:-1]) == {"message": "a\nb\rc\x00"}
