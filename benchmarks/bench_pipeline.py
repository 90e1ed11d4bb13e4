"""Time ``ctm run`` on a whole job from an empty data root, for several worker counts.

For each count: wall time of the command (start-up and reduce included), wall time of the
counting phase, summed kernel time, and the Dask overhead of the issue:
(counting wall time x workers - summed kernel time) / summed kernel time.

    python benchmarks/bench_pipeline.py jobs/d5x2.toml --workers 1 --workers 2
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

REPO = Path(__file__).resolve().parent.parent
REPORT = re.compile(r"kernel ([\d.]+) s in ([\d.]+) s wall on (\d+) worker threads")


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"model name\s*:\s*(.+)", text)
    return found.group(1).strip() if found else "unknown"


def one_run(job: Path, workers: int, processes: bool) -> dict:
    """Run the job once in a fresh temporary data root and return its figures."""
    with tempfile.TemporaryDirectory(prefix="ctm-bench-") as root:
        command = [
            sys.executable,
            "-c",
            "from pipeline.cli import main; main()",
            "run",
            str(job),
            "--data-dir",
            root,
            "--workers",
            str(workers),
            "--no-progress",
            "--processes" if processes else "--threads",
        ]
        began = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(f"ctm run failed with {workers} workers:\n{done.stderr}")
        kernel, counting, threads = REPORT.search(done.stdout).groups()
        manifest = json.loads(next(Path(root).glob("tables/*/v1/manifest.json")).read_text())
    kernel, counting = float(kernel), float(counting)
    return {
        "workers": workers,
        "threads": int(threads),
        "wall_s": round(wall, 2),
        "counting_wall_s": round(counting, 2),
        "kernel_s": round(kernel, 2),
        "overhead": round((counting * workers - kernel) / kernel, 4) if kernel else None,
        "overhead_whole_command": round((wall * workers - kernel) / kernel, 4) if kernel else None,
        "table": manifest["table"],
        "strings": manifest["strings"],
        "halting": manifest["halting"],
        "row_checksum": manifest["row_checksum"],
    }


@click.command()
@click.argument(
    "job", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=REPO / "jobs" / "d5x2.toml"
)
@click.option(
    "--workers",
    "counts",
    type=int,
    multiple=True,
    default=(1, 2),
    show_default=True,
    help="Worker counts to time (repeatable).",
)
@click.option("--processes/--threads", default=False, show_default=True, help="Local workers as processes or threads.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Also write the figures here.")
def main(job: Path, counts: tuple[int, ...], processes: bool, json_path: Path | None) -> None:
    """Time `ctm run JOB` from an empty data root with each worker count."""
    runs = [one_run(job.resolve(), n, processes) for n in counts]
    if len({r["row_checksum"] for r in runs}) != 1:
        raise SystemExit("the runs disagree on the table's row checksum")
    figures = {
        "job": str(job),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()},
        "mode": "processes" if processes else "threads",
        "runs": runs,
    }
    click.echo("| workers | wall (s) | counting wall (s) | kernel (s) | Dask overhead |")
    click.echo("|---:|---:|---:|---:|---:|")
    for r in runs:
        click.echo(
            f"| {r['workers']} | {r['wall_s']:.1f} | {r['counting_wall_s']:.1f} | {r['kernel_s']:.1f} | "
            f"{100 * r['overhead']:.1f} % |"
        )
    click.echo(f"table {runs[0]['table']}: {runs[0]['strings']} strings, H = {runs[0]['halting']}")
    if json_path:
        json_path.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
