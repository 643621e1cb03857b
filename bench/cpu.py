"""CPU time of a server: utime + stime of its process and every descendant
(uvicorn's master and its worker processes), read from /proc. Steadier than
throughput on a shared machine: a neighbour's load slows a request down but
does not add to the CPU it costs."""

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # the command name may contain spaces


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and its live descendants, plus those
    they already reaped (cutime, cstime)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        if (fields := stats.get(pid)) is not None:
            # fields[0] is the state (stat field 3): utime..cstime are stat fields 14-17.
            total += sum(int(value) for value in fields[11:15])
        pending += children.get(pid, [])
    return total / TICKS
