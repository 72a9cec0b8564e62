"""Ferry's terminal client (``run_client.py``), over the blocking client library.

``cli`` parses the command line and turns every failure into an exit status and
one ``error: <code>: <message>`` line; ``commands`` runs list, stat, get and put;
``menu`` is the interactive menu. Below them: ``transfers`` (one download or
upload), ``connection`` (connecting, reconnecting), ``console`` (where output
goes), ``progress`` (the throttled bar), ``listing`` (list and stat output),
``formatting`` (sizes, times, escaping) and ``failures`` (the error codes).
Standard library only, like the client library.
"""
