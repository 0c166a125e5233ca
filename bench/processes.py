"""What the benchmarks share about the processes they start: the production web command, as
platform/Procfile gives it, and the CPU time a process tree has used."""

import contextlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def procfile_web() -> str:
    """The production web process's command, as platform/Procfile gives it."""
    for line in (ROOT / "platform" / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise SystemExit("platform/Procfile names no web process")


def web_process(env: dict, *, port: int, workers: int, options: str) -> list[str]:
    """The command starting the Procfile's web process on loopback at ``port`` with ``workers``
    workers and ``options`` added (``env`` gets what the command reads: the port, the workers
    and the venv's executables first on the path)."""
    python = Path(sys.executable)
    env.update(PORT=str(port), WEB_CONCURRENCY=str(workers))
    env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
    web = procfile_web().replace("--host 0.0.0.0", "--host 127.0.0.1")
    return ["bash", "-c", f"exec {web} {options}"]


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of the processes ``pids`` and all their descendants (a server's workers)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    tree, grew = set(pids), True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0
    for pid in tree:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def service_pids() -> list[int]:
    """The processes of this machine's PostgreSQL and Redis servers (for their CPU time)."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() in ("postgres", "redis-server"):
                pids.append(int(comm.parent.name))
    return pids


def machine_times() -> list[int]:
    """The machine's CPU time so far, by state (``/proc/stat``'s first line)."""
    return [int(field) for field in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]


def idle_share(since: list[int]) -> float:
    """The share of the machine's CPU time that was idle since ``machine_times()`` gave
    ``since``: a round with much of it idle was held up by something else than work."""
    spent = [now - then for then, now in zip(since, machine_times(), strict=True)]
    return spent[3] / max(sum(spent), 1)
