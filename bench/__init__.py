"""Ferry's benchmark suite (issue 4): ``python -m bench [--quick]``.

Every figure is a ratio against a baseline measured in the same run, because the
machines it runs on are shared and noisy. The modules, in the order a run uses them:

- ``plan``: sizes, repetitions and durations for a full or a quick run.
- ``procs``: CPU time and memory (PSS/USS) of a process tree, from /proc.
- ``stats``: samples, A B A B interleaving, medians with min and max.
- ``files``: the temporary workspace and its large files.
- ``limits``: the minimal sendfile/recv_into loopback pairs (the limit).
- ``ferry``: Ferry's real server and the client library, plus raw protocol probes.
- ``peers``: pyftpdlib, nginx + curl, ``python -m http.server`` + curl.
- ``bulk``, ``smallops``, ``idle``, ``growth``: the workloads.
- ``targets``: the issue's targets, checked against the figures.
- ``report``: the table and the JSON file in bench/results/.
- ``ab``: ``python -m bench.ab OTHER_CHECKOUT ...``: this checkout's server against
  another's, interleaved in one run, to judge one change on a noisy machine.
"""
