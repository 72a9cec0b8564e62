"""Run a Ferry script as if on a system without some Linux APIs (Windows, macOS, the BSDs).

    python -S tests/simulated_platform.py [--without os.sendfile,fcntl,...] [--platform darwin] SCRIPT [ARGS...]

Each ``--without`` name is either ``module.attribute`` (deleted before anything
of Ferry is imported: ``os.O_PATH``, ``socket.send_fds``...) or a module name
(``fcntl``: importing it then raises ImportError, as on Windows). ``--platform``
sets ``sys.platform``, so platformdirs picks that system's folders. Then SCRIPT
runs as ``python SCRIPT`` would run it (its folder first on ``sys.path``), in
this process: forked workers inherit the missing APIs too.

The tests keep the real code under test and the real server; only the
operating system's offer shrinks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import runpy
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--without", default="", help="comma-separated module.attribute or module names")
    parser.add_argument("--platform", default=None, help="the value of sys.platform to pretend")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    for name in filter(None, options.without.split(",")):
        module_name, _, attribute = name.rpartition(".")
        if module_name:
            module = importlib.import_module(module_name)
            if hasattr(module, attribute):
                delattr(module, attribute)
        else:
            sys.modules[attribute] = None  # type: ignore[assignment]  # import raises ImportError
    if options.platform:
        # The standard library's own platform branches must keep matching the real
        # system's C modules (ssl asks _ssl for Windows-only calls on "win32"):
        # they are imported first; Ferry's code and platformdirs see the pretended one.
        for module in ("ssl", "subprocess", "shutil", "tempfile", "asyncio", "mimetypes", "getpass"):
            importlib.import_module(module)
        sys.platform = options.platform
    sys.argv = [options.script, *options.args]
    sys.path[0] = os.path.dirname(os.path.abspath(options.script))
    runpy.run_path(options.script, run_name="__main__")


if __name__ == "__main__":
    main()
