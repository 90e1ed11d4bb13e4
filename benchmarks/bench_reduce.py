"""Reduce many synthetic outputs within a memory budget, and the plain in-memory sum beside it.

Writes partials of a synthetic job ((5,2), shard depth 2, nothing derived) holding
``--outputs`` distinct strings ('1' followed by the index in binary), each partial
overlapping the next by half so that the reduce really sums (about twice as many rows
go in as come out), with random counts 1..49; then runs ``ctm reduce --allow-partial
--memory M`` under ``benchmarks/memtree.py`` (peak summed RSS of its process tree) and,
with ``--plain``, the plain sum (every partial read into memory, concatenated and grouped
with pyarrow) the same way. The partials are kept under ``--root`` and reused by a run
with the same outputs and parts.

    python benchmarks/bench_reduce.py --outputs 10000000 --parts 40 --memory 2GB --plain
    python benchmarks/bench_reduce.py --outputs 100000000 --parts 200 --memory 2GB --root /scratch/bench-reduce
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pyarrow as pa

from pipeline.kernel import kernel_version
from pipeline.partials import META_KEY, partial_name, partials_dir, write_atomically
from pipeline.plan import ShardPlan
from pipeline.spec import JobSpec
from pipeline.tables import load_manifest, row_checksum

HERE = Path(__file__).resolve().parent
SPEC = JobSpec(5, 2, 100, 2, derive=False)
JOB = "states = 5\nsymbols = 2\nmax_steps = 100\nshard_depth = 2\nderive = false\n"
PLAIN = """
import sys
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
tables = [pq.read_table(p) for p in sorted(Path(sys.argv[1]).glob("*.parquet"))]
summed = pa.concat_tables(tables).group_by("string").aggregate([("count", "sum")])
print(summed.num_rows)
"""


def strings_of(indices: np.ndarray, width: int) -> pa.Array:
    """'1' followed by each index in ``width`` binary digits (sorted as the indices are)."""
    bits = ((indices[:, None] >> np.arange(width - 1, -1, -1)) & 1).astype(np.uint8) + ord("0")
    text = np.concatenate([np.full((len(indices), 1), ord("1"), np.uint8), bits], axis=1)
    return pa.array(np.ascontiguousarray(text).view(f"S{width + 1}").ravel()).cast(pa.string())


def generate(root: Path, outputs: int, parts: int, seed: int = 1) -> int:
    """Write the partials (unless the same ones are there); the rows that go in."""
    marker = root / "generated.json"
    wanted = {"outputs": outputs, "parts": parts, "seed": seed, "job_id": SPEC.job_id}
    if marker.is_file() and json.loads(marker.read_text()).get("params") == wanted:
        return json.loads(marker.read_text())["rows"]
    plan, rng = ShardPlan(SPEC), np.random.default_rng(seed)
    step, width, rows = -(-outputs // parts), max(1, (outputs - 1).bit_length()), 0
    for part in range(parts):
        indices = np.arange(part * step, min((part + 2) * step, outputs), dtype=np.int64)
        counts = rng.integers(1, 50, len(indices), dtype=np.int64)
        table = pa.table({"string": strings_of(indices, width), "count": pa.array(counts, pa.int64())})
        start, stop = plan.range(part)
        halting = int(counts.sum())
        meta = {
            "shard": part,
            "start": start,
            "stop": stop,
            "job_id": SPEC.job_id,
            "kernel": kernel_version(SPEC.space),
            "halting": halting,
            "limit": stop - start - halting,
            "proven": 0,
            "halting_times": {"50": halting},
            "kernel_seconds": 0.0,
            "classes": 0,
            "nodes": 0,
            "steps": 0,
            "task_shards": [part],
            "task_parts": 1,
            "max_length": None,
            "proven_by": {},
            "rows": table.num_rows,
            "checksum": row_checksum(table["string"], table["count"]),
        }
        path = partials_dir(root, SPEC.job_id) / partial_name(part)
        write_atomically(path, table.replace_schema_metadata({META_KEY: json.dumps(meta)}))
        rows += table.num_rows
        click.echo(f"partial {part + 1}/{parts}: {table.num_rows} rows", err=True)
    marker.write_text(json.dumps({"params": wanted, "rows": rows}))
    return rows


def measured(command: list[str], label: str | None = None) -> dict:
    """``command`` run under memtree.py: its figures (peak summed RSS, wall, exit), the
    command shown as ``label`` when given."""
    done = subprocess.run(
        [sys.executable, str(HERE / "memtree.py"), "--json", "--", *command], capture_output=True, text=True
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["exit"] != 0:
        raise click.ClickException(f"{label or ' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
    if label:
        figures["command"] = label
    return figures


@click.command()
@click.option("--outputs", type=click.IntRange(2), default=1_000_000, show_default=True, help="Distinct outputs.")
@click.option("--parts", type=click.IntRange(1, 484), default=20, show_default=True, help="Partials (shards).")
@click.option("--memory", default="2GB", show_default=True, help="The reduce's budget (ctm reduce --memory).")
@click.option("--root", type=click.Path(file_okay=False), default="scratch/bench-reduce", show_default=True)
@click.option("--plain/--no-plain", default=False, show_default=True, help="Also measure the plain in-memory sum.")
def main(outputs: int, parts: int, memory: str, root: str, plain: bool) -> None:
    """Reduce OUTPUTS synthetic outputs within MEMORY; print the figures as JSON."""
    root = Path(root)
    rows = generate(root, outputs, parts)
    job = root / "job.toml"
    job.write_text(JOB)
    reduce = [sys.executable, "-m", "pipeline.cli", "reduce", str(job), "--data-dir", str(root)]
    reduce += ["--allow-partial", "--memory", memory, "--no-progress", "--force"]
    figures = {"outputs": outputs, "parts": parts, "rows_in": rows, "memory": memory, "reduce": measured(reduce)}
    manifest = load_manifest(root, SPEC.table)
    figures["table_rows"] = manifest["strings"]
    if manifest["strings"] != outputs:
        raise click.ClickException(f"the table has {manifest['strings']} rows, expected {outputs}")
    if plain:
        plain_sum = [sys.executable, "-c", PLAIN, str(partials_dir(root, SPEC.job_id))]
        figures["plain"] = measured(plain_sum, "plain sum: pyarrow read_table, concat_tables, group_by")
    click.echo(json.dumps(figures))


if __name__ == "__main__":
    main()
