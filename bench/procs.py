"""What a process tree costs, read from /proc: CPU seconds and memory.

CPU time says which side of a figure is the bottleneck (a side that used about
one full core of this machine is the limit); memory is PSS and USS summed over
the whole tree, so a forking server is charged for all its processes once.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants that are alive now."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def _own_cpu(pid: int) -> float:
    """utime + stime of the process plus those of its reaped children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / _TICK


def tree_cpu(pid: int | None) -> float:
    """CPU seconds used so far by ``pid``'s whole tree (0 when there is none)."""
    if pid is None:
        return 0.0
    return sum(_own_cpu(p) for p in tree(pid))


def self_cpu() -> float:
    """CPU seconds of this process (all threads) plus its reaped children (curl...)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def memory(pid: int) -> tuple[int, int]:
    """(PSS, USS) in bytes, summed over ``pid``'s tree, from smaps_rollup."""
    pss = uss = 0
    for p in tree(pid):
        try:
            text = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key == "Pss":
                pss += int(rest.split()[0]) * 1024
            elif key in ("Private_Clean", "Private_Dirty"):
                uss += int(rest.split()[0]) * 1024
    return pss, uss


def raise_fd_limit() -> int:
    """Lift this process's soft fd limit to the hard one (idle sessions need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard
