"""Ferry's terminal client (``run_client.py``), over the blocking client library.

``cli`` parses the command line and turns every failure into an exit status and
one ``error: <code>: <message>`` line; ``commands`` is the table of commands (ls,
stat, get, put, rm, mv, mkdir) that the command line, the prompt (``menu``) and
shell completion (``completion``) are all built from, through ``parsing``.
Below them: ``remote_paths`` (paths as typed, globs), ``transfers`` (one download
or upload), ``folder_transfers`` (``-r``), ``connection`` (connecting,
reconnecting), ``console`` (where output goes, ``--json``, ``--quiet``),
``progress`` (the throttled bar), ``line_editing`` (readline, history),
``listing`` (ls and stat output), ``formatting`` (sizes, times, escaping) and
``failures`` (the error codes). Standard library only, like the client library;
shtab (shell completion) and platformdirs (the state folder) are used when there.
"""
