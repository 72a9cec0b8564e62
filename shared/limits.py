"""Every number the wire protocol fixes, in one place (PROTOCOL.md sections 1 to 4 and 7)."""

PROTOCOL_VERSION = 1
DEFAULT_PORT = 7069

#: A header line, LF included, may not be longer than this.
MAX_HEADER_BYTES = 65_536
#: A name is 1 to this many bytes of UTF-8.
MAX_NAME_BYTES = 255
#: A path (PROTOCOL.md 7.1) is at most this many bytes of UTF-8, slashes included...
MAX_PATH_BYTES = 4096
#: ...and at most this many names.
MAX_PATH_NAMES = 64
#: Sizes and offsets beyond this are out of range (the largest file any OS stores).
MAX_FILE_SIZE = 2**63 - 1
#: A ``put``'s ``mtime`` (7.4) lies within this many seconds of 1970, either way: the
#: range a 64-bit count of nanoseconds holds (years 1678 to 2262), which is what
#: ``os.utime`` and the filesystems store. The contract gives no range; outside it
#: the time cannot be stored, so it is ``bad_request`` like any out-of-range field.
MAX_MTIME_SECONDS = 9_223_372_036
#: Failed ``auth`` attempts before the server closes the connection.
MAX_AUTH_FAILURES = 3

#: Not the protocol's but the client's own limit: a list body (all its entry lines)
#: it buffers at most. An entry is 60 to 100 bytes, so this is some 3 million files
#: (parsing them takes a few times as much memory again); a server that announces
#: more is refused before a byte is buffered, instead of exhausting the memory.
MAX_LIST_BODY = 256 << 20
