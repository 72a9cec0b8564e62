"""A pyftpdlib server for the peers: ``python -m bench.ftp_server --root DIR --mode async``.

Anonymous users may read and write; the connection limits are lifted so idle
capacity can be measured; logging is at WARNING (pyftpdlib's per-connection INFO
lines would slow it down: the peer gets its best case). Prints its port when ready.
"""

from __future__ import annotations

import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer, MultiprocessFTPServer, ThreadedFTPServer

MODES = {"async": FTPServer, "multiprocess": MultiprocessFTPServer, "threaded": ThreadedFTPServer}
PASSIVE_PORTS = range(31000, 32000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--mode", choices=MODES, default="async")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(args.root, perm="elradfmwMT")
    # Passive ports from a range of their own, below the ephemeral ports, as a
    # production setup has: left to the kernel, each PASV binds an ephemeral port,
    # and with four connections a cycle the TIME_WAIT sockets of the data
    # connections fill that range within a minute; every bind then searches it,
    # and pyftpdlib fell from 350 to 40 cycles/s (10 to 24 ms of CPU a cycle).
    handler = type("BenchHandler", (FTPHandler,), {"authorizer": authorizer, "banner": "bench", "passive_ports": PASSIVE_PORTS})
    server_class = MODES[args.mode]
    server_class.max_cons = 0
    server_class.max_cons_per_ip = 0
    server = server_class(("127.0.0.1", 0), handler, backlog=4096)
    sys.stdout.write(f"listening on port {server.address[1]}\n")
    sys.stdout.flush()
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    main()
