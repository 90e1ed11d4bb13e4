"""Merge a job's partials into a new table version (or find it is the latest one already).

Counted shards are read unit by unit; a derived unit adds the counts of its canonical
unit (strings reversed when mirrored, matrices turned) and a closed unit what its entry
(0, 0) says. Sums
run in pyarrow per weight class, in bounded batches; the final rows are exact Python ints. A full table then applies the rules of
docs/ctm.md (blank-symbol sum, D = count/(m*H)); a partial one keeps blank-0 counts as they are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from tqdm import tqdm

from pipeline.errors import CTMError
from pipeline.kernel import kernel_version
from pipeline.partials import InvalidPartial, Partial, open_shard, partial_name, partials_dir, present_shards
from pipeline.plan import ShardPlan, apply_symmetry, symmetries
from pipeline.reduced import Reduced
from pipeline.space import BUSY_BEAVER_SOURCES
from pipeline.spec import JobSpec
from pipeline.tables import TableInfo, count_type, list_tables, made_with, publish, row_checksum

LATE_FILE = "late_halts.parquet"
"""Beside a table whose job sets witness_after: its late-halting classes."""

MAX_LISTED = 1_000
"""Undecided classes an exact_upto table's manifest lists at most."""

BATCH_ROWS = 2_000_000
"""Rows gathered per weight class before they are summed, bounding memory."""

SAME_TABLE = ("row_checksum", "coverage", "covered_ranges", "machines", "halting", "count_total", "halting_times")
"""Manifest fields that make two versions the same table: rows, coverage and totals (not
the job, the software, the work or how the non-halting machines were decided)."""


class _Sums:
    """Output counts of one weight class, summed in pyarrow batches."""

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []
        self.rows = 0

    def add(self, rows: pa.Table) -> None:
        self.tables.append(rows)
        self.rows += rows.num_rows
        if self.rows > BATCH_ROWS:
            self.tables = [self.total()]
            self.rows = self.tables[0].num_rows

    def total(self) -> pa.Table:
        merged = pa.concat_tables(self.tables).group_by("string").aggregate([("count", "sum")])
        return pa.table({"string": merged["string"], "count": merged["count_sum"]})


@dataclass
class _Totals:
    """Machine totals of everything covered, derived units included."""

    machines: int = 0
    halting: int = 0
    limit: int = 0
    proven: int = 0
    halting_times: dict[int, int] = field(default_factory=dict)
    work: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("kernel_seconds", "classes", "nodes", "steps"), 0)
    )
    proven_by: dict[str, int] = field(default_factory=dict)
    """Proof -> classes it decided (work: counted shards only, not weighted by derivations)."""
    long: dict[str, int] = field(default_factory=dict)
    """Long-run work (``RangeCounts.long``), summed over counted shards."""
    undecided: list[dict] = field(default_factory=list)
    late: list[list] = field(default_factory=list)
    """Classes halting after the job's witness_after steps: [machine, steps, output]."""
    upto: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("halting", "limit", "proven"), 0))
    """exact_upto: what the machines at the limit did after it (``RangeCounts.upto``), weighted."""
    upto_times: dict[int, int] = field(default_factory=dict)
    upto_work: dict[str, int] = field(default_factory=dict)
    """exact_upto: the continuation's classes by reason (counted shards only, not weighted)."""

    def add(self, part: Partial, weight: int) -> None:
        meta = part.meta
        self.machines += weight * (meta["halting"] + meta["limit"] + meta["proven"])  # this part's machines
        self.halting += weight * meta["halting"]
        self.limit += weight * meta["limit"]
        self.proven += weight * meta["proven"]
        for steps, count in meta["halting_times"].items():
            self.halting_times[int(steps)] = self.halting_times.get(int(steps), 0) + weight * count
        for key in self.work:
            self.work[key] += meta[key]
        for name, classes in meta.get("proven_by", {}).items():
            self.proven_by[name] = self.proven_by.get(name, 0) + classes
        for name, value in meta.get("long", {}).items():
            if name in ("from", "cps_radius", "cps_history"):
                # settings, not work: every partial's are listed
                self.long.setdefault(name, set()).add(value)
            else:
                self.long[name] = self.long.get(name, 0) + value
        for item in meta.get("undecided", []):
            self.undecided.append(dict(item, weight=weight))
        if part.late_rows is not None:
            self.late.extend(map(list, zip(*(part.late_rows[c].to_pylist() for c in ("machine", "steps", "output")))))
        if "upto" in meta:
            up = meta["upto"]
            for key in self.upto:
                self.upto[key] += weight * up[key]
            for steps, count in up["halting_times"].items():
                self.upto_times[int(steps)] = self.upto_times.get(int(steps), 0) + weight * count
            for name, classes in up["classes_by"].items():
                self.upto_work[name] = self.upto_work.get(name, 0) + classes

    def add_closed(self, machines: int, halts: bool) -> None:
        """A closed unit: all halt at step 1, or none ever halts (proven by entry (0, 0))."""
        self.machines += machines
        if halts:
            self.halting += machines
            self.halting_times[1] = self.halting_times.get(1, 0) + machines
        else:
            self.proven += machines


def _merge_ranges(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, coalesced ranges; an overlap is an error (it would count machines twice)."""
    out: list[tuple[int, int]] = []
    for start, stop in sorted(ranges):
        if out and start < out[-1][1]:
            raise CTMError(f"ranges [{out[-1][0]}, {out[-1][1]}) and [{start}, {stop}) overlap")
        if out and start == out[-1][1]:
            out[-1] = (out[-1][0], stop)
        else:
            out.append((start, stop))
    return out


def blank_symbol_sum(outputs: dict[str, int], symbols: int) -> dict[str, int]:
    """count(s) = sum over blanks b of count_0(s with symbols 0 and b swapped) (full space)."""
    out: dict[str, int] = {}
    for b in range(symbols):
        swap = str.maketrans({"0": str(b), str(b): "0"})
        for string, count in outputs.items():
            key = string.translate(swap)
            out[key] = out.get(key, 0) + count
    return out


def table_rows(counts: dict[str, int], total: int, machines: int, dims: int = 1) -> pa.Table:
    """Rows string, length, count, D = count/total, K = -log2 D, by count desc then string.

    A 2-D table's string is a matrix's text ("010-111"); its length is its number of
    cells, and columns rows, cols and cells (the digits row by row) let DuckDB and
    pandas select by shape."""
    order = sorted((s for s, c in counts.items() if c > 0), key=lambda s: (-counts[s], s))
    values = [counts[s] for s in order]
    kind = count_type(machines)
    columns = {"string": pa.array(order, pa.string())}
    if dims == 2:
        cells = [s.replace("-", "") for s in order]
        columns["rows"] = pa.array([s.count("-") + 1 for s in order], pa.int32())
        columns["cols"] = pa.array([s.index("-") if "-" in s else len(s) for s in order], pa.int32())
        columns["cells"] = pa.array(cells, pa.string())
        columns["length"] = pa.array([len(c) for c in cells], pa.int32())
    else:
        columns["length"] = pa.array([len(s) for s in order], pa.int32())
    columns["count"] = pa.array(values if kind == pa.int64() else [Decimal(v) for v in values], kind)
    columns["D"] = pa.array([c / total for c in values], pa.float64())
    columns["K"] = pa.array([math.log2(total) - math.log2(c) for c in values], pa.float64())
    return pa.table(columns)


class _Merge:
    """What the reducer has gathered: output sums per weight class, totals, covered ranges."""

    def __init__(self, plan: ShardPlan, root: Path) -> None:
        self.plan, self.root = plan, root
        self.present = present_shards(root, plan.spec.job_id)
        self.sums: dict[tuple[int, int], _Sums] = {}
        self.upto_sums: dict[tuple[int, int], _Sums] = {}
        """The same for the late halts of exact_upto's continuation."""
        """Images of a canonical unit per symmetry (on a tape: plain, mirrored) -> sums of
        its partials' rows."""
        self.closed_outputs: dict[str, int] = {}
        self.totals = _Totals()
        self.ranges: list[tuple[int, int]] = []
        self.invalid: dict[int, str] = {}
        self.merged = 0

    def add_closed(self, unit: int, symbol: int | None) -> None:
        start, stop = self.plan.unit_range(unit)
        self.totals.add_closed(stop - start, symbol is not None)
        if symbol is not None:
            self.closed_outputs[str(symbol)] = self.closed_outputs.get(str(symbol), 0) + stop - start
        self.ranges.append((start, stop))

    def add_counted(self, unit: int) -> None:
        """A canonical unit's valid partials, standing for its derived units too when complete."""
        plan, parts = self.plan, {}
        for shard in plan.unit_shards(unit):
            if shard not in self.present:
                continue
            try:
                parts[shard] = open_shard(plan, self.root, shard)  # its parts, adding up to the shard
            except FileNotFoundError:
                continue
            except InvalidPartial as exc:
                self.invalid[shard] = str(exc)
        complete = len(parts) == plan.shards_per_unit
        weight = plan.images(unit) if complete else (1,) + (0,) * (len(symmetries(plan.space.dims)) - 1)
        for shard, found in parts.items():
            for part in found:
                self.sums.setdefault(weight, _Sums()).add(part.rows)
                if part.upto_rows is not None:
                    self.upto_sums.setdefault(weight, _Sums()).add(
                        part.upto_rows.cast(pa.schema({"string": pa.string(), "count": pa.decimal128(38)}))
                    )
                self.totals.add(part, sum(weight))
            self.ranges.append(plan.range(shard))
        if complete:
            self.ranges.extend(plan.unit_range(derived) for derived in plan.derived_from.get(unit, ()))
        self.merged += len(parts)

    def outputs(self, late: bool = False) -> dict[str, int]:
        """Blank-0 output counts of everything covered (``late``: of the exact_upto
        continuation's late halts instead), as exact ints."""
        out = {} if late else dict(self.closed_outputs)
        dims = self.plan.space.dims
        for images, sums in (self.upto_sums if late else self.sums).items():
            total = sums.total()
            strings, counts = total["string"].to_pylist(), [int(c) for c in total["count"].to_pylist()]
            for g, times in enumerate(images):
                if times:
                    for string, count in zip(apply_symmetry(dims, strings, g), counts):
                        out[string] = out.get(string, 0) + times * count
        return out


def same_as_latest(root: Path, table: str, manifest: dict) -> TableInfo | None:
    """The latest version of ``table`` in ``root`` when it is the same table as ``manifest``
    says (SAME_TABLE fields), else None."""
    found = [info for info in list_tables(root) if info.table == table]
    if found and all(found[-1].manifest.get(key) == manifest.get(key) for key in SAME_TABLE):
        return found[-1]
    return None


def reduce_exact(
    spec: JobSpec, root: Path, allow_partial: bool = False, progress: bool = True, force: bool = False
) -> Reduced:
    """Merge the partials of exact job ``spec`` under ``root`` into the next version of its table.

    A gap (missing or invalid partial) is an error unless ``allow_partial``. When the
    root's latest version of the table is the same table, nothing is published (unless
    ``force``) and that version is returned with ``published`` False. Any job's reduce
    is ``pipeline.flow.reduce_job``, whose parameters these are.

    Parameters
    ----------
    spec : JobSpec
        An exact job (mode ``exact``).
    root : Path
        The data root holding ``partials/<job_id>/``; the table goes to ``root/tables/``.
    allow_partial : bool
        Publish a table of the shards present (coverage ``partial``) instead of refusing
        a gap; invalid partials are then left out and listed in the result.
    progress : bool
        Show a progress bar over the units.
    force : bool
        Publish a new version even when the latest one holds the same table.

    Returns
    -------
    Reduced
        The table version and the partials left out as invalid (shard -> why).

    Raises
    ------
    CTMError
        A gap without ``allow_partial`` (how many shards, the first, what to run),
        invalid partials without it (how many, one of them and why), or no valid
        partial at all.
    """
    plan = ShardPlan(spec)
    merge = _Merge(plan, root)
    if not allow_partial:
        absent = [s for s in plan.computed() if s not in merge.present]
        if absent:
            raise CTMError(
                f"{len(absent)} of {len(plan.computed())} counted shards of {spec.table} have no "
                f"partial (first: shard {absent[0]}); run `ctm submit`, or reduce with --allow-partial"
            )
    for unit, symbol in plan.closed.items():
        merge.add_closed(unit, symbol)
    units = [u for u in range(plan.units) if u not in plan.derivations and u not in plan.closed]
    for unit in tqdm(units, desc=f"{'reduce':<8}", unit="unit", disable=not progress, leave=False):
        merge.add_counted(unit)
    if merge.invalid and not allow_partial:
        shard, reason = next(iter(merge.invalid.items()))
        raise CTMError(
            f"{len(merge.invalid)} partials are invalid, e.g. {partial_name(shard)}: {reason}; "
            f"rerun `ctm submit` to recompute them"
        )
    if units and not merge.merged:
        folder = partials_dir(root, spec.job_id)
        raise CTMError(f"no valid partials of {spec.table} under {folder}: nothing to reduce")
    covered = _merge_ranges(merge.ranges)
    full = covered == [(0, spec.space.size)]
    outputs = merge.outputs()
    if spec.exact_upto is not None:
        outputs = _short_outputs(outputs, merge.outputs(late=True), spec.exact_upto)
    counts = blank_symbol_sum(outputs, spec.symbols) if full else outputs
    halting = merge.totals.halting + merge.totals.upto["halting"]  # H, or H_low with exact_upto
    denominator = spec.symbols * halting if full else halting
    rows = table_rows(counts, denominator, spec.space.size, spec.dims)
    manifest = _manifest(spec, plan, merge.totals, covered, full, sum(counts.values()), rows.num_rows)
    if spec.exact_upto is not None:
        rows, manifest = _exact_reading(spec, merge.totals, rows, manifest, full)
    checksum = row_checksum(rows.column("string"), rows.column("count"))
    existing = None if force else same_as_latest(root, spec.table, dict(manifest, row_checksum=checksum))
    if existing is not None:
        return Reduced(existing, merge.invalid, published=False)
    extra = None
    if spec.witness_after is not None or spec.exact_upto is not None:
        late = sorted(merge.totals.late, key=lambda item: (item[1], item[0]))
        after = spec.witness_after if spec.witness_after is not None else spec.max_steps
        extra = {
            LATE_FILE: pa.table(
                {
                    "machine": pa.array([item[0] for item in late], pa.string()),
                    "steps": pa.array([item[1] for item in late], pa.int64()),
                    "output": pa.array([item[2] for item in late], pa.string()),
                }
            )
        }
        manifest["late_halts"] = {
            "file": LATE_FILE,
            "after": after,
            "classes": len(late),
            "note": "blank-0 classes of the counted shards halting after that many steps ('---': an entry never read); "
            "derived shards' machines are their mirror images and renamings",
        }
    return Reduced(publish(root, spec.table, rows, manifest, extra), merge.invalid)


def _short_outputs(outputs: dict[str, int], late: dict[str, int], upto: int) -> dict[str, int]:
    """Blank-0 counts of outputs of at most ``upto`` symbols: halts within max_steps plus
    the continuation's late halts (every late halt has such an output)."""
    out = {s: c for s, c in outputs.items() if len(s) <= upto}
    for string, count in late.items():
        out[string] = out.get(string, 0) + count
    return out


def _exact_reading(spec: JobSpec, totals: _Totals, rows: pa.Table, manifest: dict, full: bool) -> tuple[pa.Table, dict]:
    """The rows and manifest of an exact_upto job's table: every output of at most L
    symbols with its exact count (no step cutoff); H bracketed by [H_low, H_high], so K
    by [K_low, K_high] (D and K are the H_low reading: D an upper bound, K = K_low)."""
    m, L, up = spec.symbols, spec.exact_upto, totals.upto
    low = totals.halting + up["halting"]
    high = low + up["limit"]
    scale = m if full else 1
    counts = [int(c) for c in rows["count"].to_pylist()]
    rows = rows.append_column("K_low", rows["K"]).append_column(
        "K_high", pa.array([math.log2(scale * high) - math.log2(c) for c in counts], pa.float64())
    )
    times = dict(totals.halting_times)
    for steps, count in totals.upto_times.items():
        times[steps] = times.get(steps, 0) + count
    blank = "blank-0 machines" if not full else "machines (blank 0; D and K use m*H)"
    manifest = dict(
        manifest,
        halting=low,
        halting_times={str(k): v for k, v in sorted(times.items())},
        nonhalting={"not_settled": up["limit"], "proven": totals.proven + up["proven"]},
        listed=f"outputs of at most {L} symbols, each count exact with no step cutoff; D = count / ({'m*' if full else ''}H_low) "
        f"and K = K_low, K_high = -log2(count / ({'m*' if full else ''}H_high))",
        exact_upto={
            "L": L,
            "H_low": low,
            "H_high": high,
            "bracket_bits": math.log2(high / low) if low else None,
            "H": f"{blank}: H_low halted (within max_steps {spec.max_steps}: {totals.halting}; after it: {up['halting']}); "
            f"H_high adds the {up['limit']} machines wider than {L} cells at or after max_steps that no proof settled",
            "after_limit": {
                "machines": {
                    "reached_limit": totals.limit,
                    "halted_short": up["halting"],
                    "halted_long": None,
                    "proven": up["proven"],
                    "not_settled": up["limit"],
                },
                "classes": totals.upto_work,
                "note": "a class is followed after max_steps only while at most L cells wide, so halts with longer "
                "outputs are not seen (halted_long: unknown, inside not_settled); proven: closed, cps, cycle, shift "
                "and pigeonhole (n*w*m**w steps at width w) classes; machine counts include derived shards",
            },
            "undecided": {
                "machines": up["limit"],
                "classes": totals.upto_work.get("undecided", 0),
                "listed": totals.undecided[:MAX_LISTED],
                "note": f"classes (counted shards only) wider than L at or after max_steps that no proof settled; "
                f"at most {MAX_LISTED} listed (machine, steps reached, machines, weight: the shard's images)",
            },
        },
    )
    return rows, manifest


def _manifest(spec, plan, totals, covered, full, count_total, strings) -> dict:
    return {
        "job": spec.as_dict(),
        "job_id": spec.job_id,
        "states": spec.states,
        "symbols": spec.symbols,
        "max_steps": spec.max_steps,
        "dims": spec.dims,
        "coverage": "full" if full else "partial",
        "max_length": spec.max_length,
        "listed": (
            "every output"
            if spec.max_length is None
            else f"outputs of at most {spec.max_length} "
            + ("symbols" if spec.dims == 1 else "rows and columns")
            + "; longer ones count in H and the halting times only, so every listed D is exact"
        ),
        "covered_ranges": [[str(a), str(b)] for a, b in covered],
        "machines": totals.machines,
        "halting": totals.halting,
        "count_total": count_total,
        "nonhalting": {"reached_limit": totals.limit, "proven": totals.proven},
        "halting_times": {str(k): v for k, v in sorted(totals.halting_times.items())},
        "strings": strings,
        "symmetry_rules_applied": full,
        "counts": (
            "machine-and-blank pairs: count(s) = sum over blanks b of count_b(s); D = count / (m*H)"
            if full
            else "blank-0 counts of the covered ranges only; D = count / halting (of the covered machines)"
        ),
        "shards": {
            "planned": plan.shards,
            "counted": len(plan.computed()),
            "derived": plan.shards - len(plan.computed()),
            "closed": len(plan.closed) * plan.shards_per_unit,
        },
        "work": totals.work,
        "classes_by_proof": totals.proven_by,
        **_long_fields(spec, totals),
        **made_with(kernel_version(spec.space)),
    }


def _long_fields(spec: JobSpec, totals: _Totals) -> dict:
    """Manifest fields of a job with long runs: their work, the undecided classes, and
    for a no-cutoff job the status and the theorem that makes it exact."""
    if spec.long_from is None and not spec.no_cutoff:
        return {}
    undecided_machines = sum(u["machines"] * u["weight"] for u in totals.undecided)
    runs = {name: sorted(value) if isinstance(value, set) else value for name, value in totals.long.items()}
    for name in ("from", "cps_radius", "cps_history"):
        # one setting when every partial had the same (the usual case), else the list
        if name in runs and len(runs[name]) == 1:
            runs[name] = runs[name][0]
    out = {
        "long_runs": runs,
        "undecided": {"machines": undecided_machines, "classes": totals.undecided},
    }
    if spec.no_cutoff:
        out["status"] = "exact" if not totals.undecided else "undecided"
        out["cutoff"] = (
            f"none: max_steps {spec.max_steps} is the busy-beaver step count of ({spec.states},{spec.symbols}), "
            f"proven by {BUSY_BEAVER_SOURCES[(spec.states, spec.symbols)]}, so the "
            f"{totals.limit - undecided_machines} machines that reached it never halt"
        )
    return out
