"""The database's ceiling for an operation: pgbench replaying the SQL fm-core
issued for it (captured once through Django, bench/run.py), each replay one
transaction of those statements, at the same concurrency as the HTTP load."""

import re
import shutil
import subprocess
from pathlib import Path


def available() -> bool:
    return shutil.which("pgbench") is not None


def script(statements: list[str]) -> str:
    """A pgbench script of captured statements (literal SQL: Django binds client-side).

    pgbench reads a statement up to a semicolon at the end of a line and
    replaces `:name` only when `name` is a variable it knows; it knows none here.
    """
    return "".join(" ".join(statement.split()) + ";\n" for statement in statements)


def _reported(pattern: str, output: str) -> str:
    """The figure pgbench always prints, matched by `pattern`'s group."""
    match = re.search(pattern, output)
    if match is None:
        raise RuntimeError(f"pgbench's output has no {pattern!r}:\n{output}")
    return match.group(1)


def run(database_url: str, script_path: Path, *, concurrency: int, seconds: float) -> dict:
    """Transactions per second and mean latency of one pgbench run."""
    command = [
        "pgbench", "--no-vacuum", "--file", str(script_path), "--client", str(concurrency), "--jobs", "1",
        "--time", str(max(1, round(seconds))), database_url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    transactions = int(_reported(r"number of transactions actually processed: (\d+)", output))
    failed = re.search(r"number of failed transactions: (\d+)", output)
    tps = float(_reported(r"tps = ([\d.]+)", output))
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    return {
        "requests": transactions,
        "errors": int(failed.group(1)) if failed else 0,
        "seconds": round(transactions / tps, 3) if tps else float(seconds),
        "p50_ms": float(latency.group(1)) if latency else 0.0,  # pgbench reports the mean only
        "p95_ms": 0.0,
        "p99_ms": 0.0,
        "tool": "pgbench",
    }
