"""Run a command and report the peak of the summed resident memory of its process tree.

Every 0.5 s (``--interval``) the resident set sizes of the command and of all its
descendants (Dask workers, subprocesses) are summed with psutil; the largest sum is the
peak. Where the cgroup's own high-water mark can be read (v2 ``memory.peak``, v1
``memory.max_usage_in_bytes``) it is printed as well: the kernel's peak of the whole
cgroup since it started (the container or session, not the command alone; compare it
with the value before). A sample misses
what lives and dies between two samples; the cgroup figure does not.

    python benchmarks/memtree.py -- ctm run jobs/d5x2-2d.toml --data-dir /scratch/ctm
    python benchmarks/memtree.py --interval 0.1 --json -- python -c "x = bytes(10**9)"

The command's exit status is this script's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import click
import psutil

CGROUP = Path("/sys/fs/cgroup")


def tree_rss(root: psutil.Process) -> int:
    """Summed resident bytes of ``root`` and its descendants (those that vanish meanwhile count 0)."""
    total = 0
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def cgroup_peak() -> int | None:
    """The high-water mark of this process's memory cgroup in bytes: cgroup v2's
    memory.peak, else v1's memory.max_usage_in_bytes; None where neither can be read."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    places = []
    for line in lines:
        _, controllers, relative = line.split(":", 2)
        if controllers == "":
            places.append(CGROUP / relative.lstrip("/") / "memory.peak")
        elif "memory" in controllers.split(","):
            places.append(CGROUP / "memory" / relative.lstrip("/") / "memory.max_usage_in_bytes")
    for place in places:
        try:
            return int(place.read_text())
        except (OSError, ValueError):
            continue
    return None


@click.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--interval", type=click.FloatRange(0.01), default=0.5, show_default=True, help="Seconds between samples."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line instead of text.")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def main(interval: float, as_json: bool, command: tuple[str, ...]) -> None:
    """Run COMMAND, sampling its process tree's resident memory."""
    before = cgroup_peak()
    began = time.perf_counter()
    child = subprocess.Popen(list(command))
    root = psutil.Process(child.pid)
    peak, samples = 0, 0
    while child.poll() is None:
        peak = max(peak, tree_rss(root))
        samples += 1
        time.sleep(interval)
    wall = time.perf_counter() - began
    after = cgroup_peak()
    figures = {
        "command": list(command),
        "exit": child.returncode,
        "wall_seconds": round(wall, 2),
        "peak_tree_rss_bytes": peak,
        "samples": samples,
        "interval_seconds": interval,
        "cgroup_memory_peak_bytes": after,
        "cgroup_memory_peak_before_bytes": before,
    }
    if as_json:
        click.echo(json.dumps(figures))
    else:
        click.echo(
            f"peak summed RSS of the process tree: {peak / 2**20:.0f} MiB ({samples} samples every {interval} s), "
            f"wall {wall:.1f} s, exit {child.returncode}",
            err=True,
        )
        if after is not None:
            click.echo(
                f"cgroup memory peak: {after / 2**20:.0f} MiB (before the command: {before / 2**20:.0f} MiB; "
                f"the whole cgroup's high-water mark)",
                err=True,
            )
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
