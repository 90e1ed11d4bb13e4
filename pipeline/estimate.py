"""The estimator of a sampled table: batches of pattern masses -> D and K with standard
errors (docs/ctm.md, "Sampled tables").

Batch b gives, per pattern P, the mass Y_b(P) of the space whose output falls in P
(blank symbol 0) and the halting mass Y_b(H). Each is an unbiased stratified estimate:
the exact branch points enter with their true mass, each stratum with the mean of its
draws. Over B batches

    M(P) = sum_b Y_b(P) / sum_b Y_b(H)        (a ratio of stratified means)
    D(s) = M(P) / |P|,  K(s) = -log2 D(s)     for every s in P

and the standard error of M(P) comes from the spread of the batches (linearised ratio
estimator): var M = B / (B - 1) * sum_b (Y_b(P) - M Y_b(H))**2 / (sum_b Y_b(H))**2, so
se(K) = se(M) / (M ln 2). Strata shared by symmetry were drawn once (the kernel walks one
representative and weights it), so nothing is counted twice. A table version keeps the
sums these need (sum Y, sum Y**2, sum Y*Y(H) per pattern; sum Y(H), sum Y(H)**2 and the
batch numbers in its manifest), so a later reduce adds new batches to it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from pipeline.batches import BatchPlan, open_batch
from pipeline.errors import CTMError
from pipeline.kernel import kernel_version
from pipeline.partials import InvalidPartial, partial_name, partials_dir, present_shards
from pipeline.patterns import sizes
from pipeline.reduced import Reduced
from pipeline.reliable import MAX_K_SE
from pipeline.spec import JobSpec
from pipeline.tables import TableInfo, list_tables, load_table, made_with, publish, shipped_root

SUMS = ("hits", "sum_mass", "sum_mass2", "sum_mass_h")
"""Per-pattern sums a version keeps so that later batches add to it."""

BATCH_ROWS = 4_000_000
"""Rows gathered before they are summed by pattern, bounding the reducer's memory."""

ESTIMATOR = (
    "ratio of stratified means: M(P) = sum_b Y_b(P) / sum_b Y_b(H) over replicate batches b; "
    "D = M(P)/|P|; se from the batches' spread (linearised ratio); K = -log2 D, se(K) = se(M)/(M ln 2)"
)
STRATA = (
    "the lazy tree's nodes at branch depth sample_depth (walked exactly above it, with renaming "
    "and the tape's or grid's symmetries); each node is drawn `draws` times per batch (equal "
    "allocation per node, which favours the deep strata that give long outputs); within a draw "
    "each free entry is drawn when first read, its halting digits counted exactly (Knuth's estimator)"
)


def _ranges(batches: list[int]) -> list[list[int]]:
    """Sorted batch numbers as [start, stop) ranges."""
    out: list[list[int]] = []
    for b in sorted(batches):
        if out and b == out[-1][1]:
            out[-1][1] = b + 1
        else:
            out.append([b, b + 1])
    return out


def _expand(ranges: list[list[int]]) -> set[int]:
    return {b for start, stop in ranges for b in range(start, stop)}


def base_version(root: Path, spec: JobSpec, present: set[int] | None = None) -> TableInfo | None:
    """The version new batches add to: the latest of the job's table (same seed, strata
    and draws) in ``root``; else the shipped one, unless ``present`` (the batches with a
    partial under ``root``) recounts some of its batches, when the root's own partials
    make a fuller table (a shipped copy keeps only short patterns)."""

    def latest(where: Path) -> TableInfo | None:
        found = [i for i in list_tables(where) if i.table == spec.table and i.manifest.get("job_id") == spec.job_id]
        return found[-1] if found else None

    own = latest(root)
    if own is not None:
        return own
    shipped = latest(shipped_root())
    if shipped is not None and present and present & _expand(shipped.manifest["sampled"]["batches"]):
        return None
    return shipped


class _Batches:
    """The per-pattern sums and totals of the batches gathered so far."""

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []
        self.rows = 0
        self.batches: list[int] = []
        self.totals = {"halting": 0.0, "halting_sq": 0.0, "limit": 0.0, "proven": 0.0}
        self.halting_times: dict[str, float] = {}
        self.work = {"draws": 0, "classes": 0, "nodes": 0, "steps": 0, "kernel_seconds": 0.0}

    def add_base(self, info: TableInfo, root: Path) -> None:
        rows = load_table(info.path.parents[2], info.table, info.version)
        self._add(rows.select(["string", *SUMS]))
        sampled = info.manifest["sampled"]
        self.batches += sorted(_expand(sampled["batches"]))
        for key in self.totals:
            self.totals[key] += sampled["sums"][key]
        for steps, mass in sampled["sums"]["halting_times"].items():
            self.halting_times[steps] = self.halting_times.get(steps, 0.0) + mass
        for key in self.work:
            self.work[key] += sampled["work"].get(key, 0)

    def add_batch(self, batch: int, meta: dict, rows: pa.Table) -> None:
        h = float(meta["halting"])
        mass = rows["mass"]
        self._add(
            pa.table(
                {
                    "string": rows["pattern"],
                    "hits": rows["hits"],
                    "sum_mass": mass,
                    "sum_mass2": pc.multiply(mass, mass),
                    "sum_mass_h": pc.multiply(mass, h),
                }
            )
        )
        self.batches.append(batch)
        self.totals["halting"] += h
        self.totals["halting_sq"] += h * h
        self.totals["limit"] += float(meta["limit"])
        self.totals["proven"] += float(meta["proven"])
        for steps, m in meta["halting_times"].items():
            self.halting_times[steps] = self.halting_times.get(steps, 0.0) + float(m)
        for key in self.work:
            self.work[key] += meta.get(key, 0)

    def _add(self, rows: pa.Table) -> None:
        self.tables.append(rows)
        self.rows += rows.num_rows
        if self.rows > BATCH_ROWS:
            self.tables = [self.sums()]
            self.rows = self.tables[0].num_rows

    def sums(self) -> pa.Table:
        merged = pa.concat_tables(self.tables).group_by("string").aggregate([(k, "sum") for k in SUMS])
        merged = merged.rename_columns([k if k == "string" else k.removesuffix("_sum") for k in merged.column_names])
        return merged.select(["string", *SUMS])


def estimate_rows(
    sums: pa.Table,
    batches: int,
    halting: float,
    halting_sq: float,
    dims: int,
    symbols: int,
    max_length: int | None = None,
) -> pa.Table:
    """Table rows from per-pattern sums over ``batches`` batches: the ratio estimator of
    the module's formulas (docs/ctm.md, "Sampled tables").

    Parameters
    ----------
    sums : pyarrow.Table
        One row per pattern: ``string`` (its key, pipeline.patterns), ``hits`` and the
        sums over batches ``sum_mass`` (sum Y_b(P)), ``sum_mass2`` (sum Y_b(P)**2) and
        ``sum_mass_h`` (sum Y_b(P) Y_b(H)); masses are fractions of the space.
    batches : int
        B, the number of batches summed (at least 1; standard errors need 2).
    halting, halting_sq : float
        sum Y_b(H) and sum Y_b(H)**2: the batches' halting masses.
    dims : int
        1 (strings) or 2 (matrices as rows joined by ``-``).
    symbols : int
        Symbols of the space, for each pattern's size |P|.
    max_length : int, optional
        Keep only patterns this long or shorter (2-D: rows and columns); None keeps all.

    Returns
    -------
    pyarrow.Table
        One row per kept pattern, by D descending then string: string (2-D: rows, cols,
        cells), length, size (|P|), hits, D and D_se (probability), K and K_se (bits),
        and the three sums, so that later batches add to them. With one batch the
        standard errors are NaN.
    """
    strings = sums["string"].to_pylist()
    s1 = sums["sum_mass"].to_numpy()
    s2 = sums["sum_mass2"].to_numpy()
    s12 = sums["sum_mass_h"].to_numpy()
    hits = sums["hits"].to_numpy()
    cells = [s.replace("-", "") for s in strings]
    lengths = np.array([len(c) for c in cells])
    # 2-D: max_length bounds rows and columns (the kernel's rule), not the cells
    extent = np.array([max(s.count("-") + 1, len(s.split("-")[0])) for s in strings]) if dims == 2 else lengths
    keep = np.ones(len(strings), dtype=bool) if max_length is None else extent <= max_length
    size = np.array(sizes(strings, dims, symbols), dtype=float)
    M = s1 / halting
    if batches > 1:
        spread = np.maximum(s2 - 2 * M * s12 + M * M * halting_sq, 0.0)
        se_M = np.sqrt(batches / (batches - 1) * spread) / halting
    else:
        se_M = np.full(len(strings), np.nan)
    D = M / size
    with np.errstate(divide="ignore", invalid="ignore"):
        K = -np.log2(D)
        K_se = se_M / (M * math.log(2))
    order = [i for i in np.lexsort((np.array(strings, dtype=object), -D)) if keep[i]]
    pick = np.asarray(order, dtype=np.int64)
    columns: dict[str, pa.Array] = {"string": pa.array([strings[i] for i in order], pa.string())}
    if dims == 2:
        columns["rows"] = pa.array([strings[i].count("-") + 1 for i in order], pa.int32())
        columns["cols"] = pa.array([len(strings[i].split("-")[0]) for i in order], pa.int32())
        columns["cells"] = pa.array([cells[i] for i in order], pa.string())
    columns["length"] = pa.array(lengths[pick], pa.int32())
    columns["size"] = pa.array(size[pick].astype(np.int64), pa.int64())
    columns["hits"] = pa.array(hits[pick], pa.int64())
    columns["D"] = pa.array(D[pick], pa.float64())
    columns["D_se"] = pa.array((se_M / size)[pick], pa.float64())
    columns["K"] = pa.array(K[pick], pa.float64())
    columns["K_se"] = pa.array(K_se[pick], pa.float64())
    for key, values in (("sum_mass", s1), ("sum_mass2", s2), ("sum_mass_h", s12)):
        columns[key] = pa.array(values[pick], pa.float64())
    return pa.table(columns)


def reduce_sampled(
    spec: JobSpec,
    root: Path,
    allow_partial: bool = False,
    progress: bool = True,
    force: bool = False,
    memory: int | None = None,
    threads: int | None = None,
) -> Reduced:
    """Add the job's batches under ``root`` to its latest version (in ``root``, else the
    shipped one) into a new version; nothing is published when no batch is new.

    Parameters
    ----------
    spec : JobSpec
        A sampled job (mode ``sample``).
    root : Path
        The data root holding ``partials/<job_id>/`` and ``tables/``.
    allow_partial : bool
        Changes nothing: any set of batches is a whole estimate.
    progress : bool
        Show a progress bar over the new batches.
    force : bool
        Publish a new version even when no batch is new.
    memory, threads : int, optional
        Change nothing yet: a sampled table's patterns are summed in memory, BATCH_ROWS
        at a time (exact jobs' budget, ``reduce.reduce_exact``).

    Returns
    -------
    Reduced
        The version published, or the latest one (``published=False``) when nothing was
        new.

    Raises
    ------
    CTMError
        Invalid batch partials (how many, one of them and why), or no valid batch at all.
    """
    plan = BatchPlan(spec)
    present = sorted(present_shards(root, spec.job_id))
    base = base_version(root, spec, set(present))
    held = _expand(base.manifest["sampled"]["batches"]) if base is not None else set()
    gathered, invalid = _Batches(), {}
    if base is not None:
        gathered.add_base(base, root)
    new = [b for b in present if b not in held]
    for batch in tqdm(new, desc=f"{'reduce':<8}", unit="batch", disable=not progress, leave=False):
        try:
            part = open_batch(plan, root, batch)
        except FileNotFoundError:
            continue
        except InvalidPartial as exc:
            invalid[batch] = str(exc)
            continue
        gathered.add_batch(batch, part.meta, part.rows)
    if invalid:
        batch, reason = next(iter(invalid.items()))
        raise CTMError(
            f"{len(invalid)} batch partials are invalid, e.g. {partial_name(batch)}: {reason}; "
            f"rerun `ctm submit` to recompute them"
        )
    added = len(gathered.batches) - len(held)
    if not gathered.batches:
        raise CTMError(
            f"no valid batches of {spec.table} under {partials_dir(root, spec.job_id)}: run `ctm submit` first"
        )
    if added == 0 and not force and base is not None and Path(base.path).resolve().is_relative_to(Path(root).resolve()):
        return Reduced(base, {}, published=False)
    B = len(gathered.batches)
    max_length = base.manifest["sampled"].get("max_length") if base is not None else spec.max_length
    rows = estimate_rows(
        gathered.sums(),
        B,
        gathered.totals["halting"],
        gathered.totals["halting_sq"],
        spec.dims,
        spec.symbols,
        max_length,
    )
    manifest = sampled_manifest(spec, gathered, rows, max_length, base)
    return Reduced(publish(root, spec.table, rows, manifest), {})


def sampled_manifest(spec: JobSpec, gathered: _Batches, rows: pa.Table, max_length: int | None, base) -> dict:
    """The manifest.json of a sampled table: the job, the batches it was estimated from,
    the halting fraction with its standard error and the estimator's settings."""
    B = len(gathered.batches)
    t = gathered.totals
    mean_h = t["halting"] / B
    se_h = math.sqrt(max(t["halting_sq"] / B - mean_h**2, 0.0) / (B - 1)) if B > 1 else None
    return {
        "job": spec.as_dict(),
        "job_id": spec.job_id,
        "states": spec.states,
        "symbols": spec.symbols,
        "max_steps": spec.max_steps,
        "dims": spec.dims,
        "coverage": "sampled",
        "machines": str(spec.space.size),
        "halting_fraction": mean_h,
        "halting_fraction_se": se_h,
        "nonhalting": {"reached_limit": t["limit"] / B, "proven": t["proven"] / B},
        "halting_times": {k: v / B for k, v in sorted(gathered.halting_times.items(), key=lambda kv: int(kv[0]))},
        "strings": rows.num_rows,
        "patterns": rows.num_rows,
        "counts": (
            "rows are patterns (strings equal up to renaming symbols and reversal; matrices up to "
            "renaming and the grid's 8 symmetries): D and K of each one of its strings, with "
            "standard errors; size = |P|, hits = sampled leaves that output it"
        ),
        "sampled": {
            "seed": spec.seed,
            "batches": _ranges(gathered.batches),
            "batch_count": B,
            "sample_depth": spec.sample_depth,
            "draws_per_stratum": spec.draws,
            "draws": gathered.work["draws"],
            "strata": STRATA,
            "allocation": "equal per stratum node (see strata)",
            "estimator": ESTIMATOR,
            "answered_when": f"K_se <= {MAX_K_SE} bits (pipeline.reliable; docs/sampled-tables.md)",
            "max_length": max_length,
            "based_on": None if base is None else {"table": base.table, "version": base.version, "source": base.source},
            "sums": {**t, "halting_times": gathered.halting_times},
            "work": gathered.work,
        },
        **made_with(kernel_version(spec.space)),
    }
