"""Merge a job's partials into a new table version (or find it is the latest one already).

Counted shards are read unit by unit; a derived unit adds the counts of its canonical
unit (strings reversed when mirrored, matrices turned) and a closed unit what its entry
(0, 0) says. A full table then applies the rules of docs/ctm.md (blank-symbol sum,
D = count/(m*H)); a partial one keeps blank-0 counts as they are. Rows never gather in
Python: each partial's rows (and their images under the symmetries) go to a DuckDB
session within a memory budget (``pipeline.bounded``), which sums, swaps blanks and sorts
them, spilling to disk; the table and its checksum are written from sorted spools, batch
by batch. An ``exact_upto`` job publishes two tables from one run: the plain counts at
max_steps (the table of the same job without exact_upto) and the exact reading.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from pipeline.bounded import Session, release_arrow_memory, sql_text
from pipeline.columns import TableColumns
from pipeline.errors import CTMError
from pipeline.kernel import kernel_version
from pipeline.partials import InvalidPartial, Partial, partial_name, partials_dir, present_shards, shard_parts
from pipeline.plan import ShardPlan, apply_symmetry, symmetries
from pipeline.reduced import Reduced
from pipeline.space import BUSY_BEAVER_SOURCES
from pipeline.spec import JobSpec
from pipeline.tables import RowChecksum, RowStream, TableInfo, count_type, list_tables, made_with, publish

LATE_FILE = "late_halts.parquet"
"""Beside a table whose job sets witness_after: its late-halting classes."""

LATE_SCHEMA = pa.schema([("machine", pa.string()), ("steps", pa.int64()), ("output", pa.string())])
"""The columns of LATE_FILE."""

MAX_LISTED = 1_000
"""Undecided classes an exact_upto table's manifest lists at most."""

TURN_ROWS = 65_536
"""Matrices turned in Python at a time (2-D images of a canonical unit)."""

SAME_TABLE = ("row_checksum", "coverage", "covered_ranges", "machines", "halting", "count_total", "halting_times")
"""Manifest fields that make two versions the same table: rows, coverage and totals (not
the job, the software, the work or how the non-halting machines were decided)."""


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
    upto: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("halting", "limit", "proven"), 0))
    """exact_upto: what the machines at the limit did after it (``RangeCounts.upto``), weighted."""
    upto_times: dict[int, int] = field(default_factory=dict)
    upto_work: dict[str, int] = field(default_factory=dict)
    """exact_upto: the continuation's classes by reason (counted shards only, not weighted)."""

    def add(self, meta: dict, weight: int) -> None:
        """Add one partial's metadata, its machines counted ``weight`` times (its shard
        and the shards derived from it); its shard's machines are added by the caller."""
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
    """count(s) = sum over blanks b of count_0(s with symbols 0 and b swapped) (full space).

    The plain reference of the reducer's own sum (``_Merge.final``), for tests."""
    out: dict[str, int] = {}
    for b in range(symbols):
        swap = str.maketrans({"0": str(b), str(b): "0"})
        for string, count in outputs.items():
            key = string.translate(swap)
            out[key] = out.get(key, 0) + count
    return out


def upto_rows(part: Partial) -> pa.Table | None:
    """The late halts of a partial's exact_upto continuation, rows (string, count); None
    without a continuation (``Partial.upto_rows``)."""
    return part.upto_rows


def late_rows(part: Partial) -> pa.Table | None:
    """A partial's late-halting classes, rows (machine, steps, output); None when it lists
    none (``Partial.late_rows``)."""
    return part.late_rows


def _turned(strings: pa.ChunkedArray | pa.Array, dims: int, g: int) -> pa.ChunkedArray | pa.Array:
    """``apply_symmetry`` on an Arrow column: reversed strings in Arrow, matrices turned
    TURN_ROWS at a time."""
    if g == 0:
        return strings
    if dims == 1:
        return pc.utf8_reverse(strings)
    return pa.chunked_array(
        [
            pa.array(apply_symmetry(dims, strings.slice(i, TURN_ROWS).to_pylist(), g), pa.string())
            for i in range(0, len(strings), TURN_ROWS)
        ],
        pa.string(),
    )


RAW_SCHEMA = pa.schema(
    [
        ("string", pa.string()),
        ("count", pa.decimal128(38, 0)),
        ("times", pa.int64()),
        ("late", pa.bool_()),
        ("unit", pa.int64()),
        ("g", pa.int8()),
        ("shard", pa.int64()),
    ]
)
"""The rows the reducer gathers: a blank-0 output and its count, how many units it counts
for (the images of a canonical unit under symmetry g), whether it is a late halt of
exact_upto's continuation, its unit and its shard (-1: a closed unit's)."""

LATE_RAW_SCHEMA = LATE_SCHEMA.append(pa.field("shard", pa.int64()))
"""The late-halting classes the reducer gathers: LATE_SCHEMA and the shard they come from."""


class _Merge:
    """What the reducer has gathered: output rows in a spool file of the session (RAW_SCHEMA),
    late-halting classes in another (LATE_SCHEMA), totals and covered ranges.

    Rows are written as they are read, so DuckDB holds nothing between statements: each
    sum and sort has the whole memory limit."""

    def __init__(self, plan: ShardPlan, root: Path, session: Session) -> None:
        self.plan, self.root, self.session = plan, root, session
        self.present = present_shards(root, plan.spec.job_id)
        self.totals = _Totals()
        self.ranges: list[tuple[int, int]] = []
        self.invalid: dict[int, str] = {}
        self.merged = 0
        self.void: set[int] = set()
        """Units whose rows went in with their images before a partial of theirs failed:
        their images (g != 0) are left out of every sum."""
        self.dropped: set[int] = set()
        """Shards whose first parts went in before a later one failed: their rows are left
        out of every sum and list."""
        self._raw = session.writer(RAW_SCHEMA)
        self._late = session.writer(LATE_RAW_SCHEMA)
        self._held: list[pa.Table] = []
        self._held_rows = 0
        self._raw_rows = 0

    def _rows(self, rows: pa.Table, unit: int, images: tuple[int, ...], late: bool, shard: int = -1) -> None:
        """Add blank-0 rows (string, count) of ``unit`` and of its images: symmetry g
        turns them for images[g] units. Rows wait in a buffer of about
        ``session.spool_rows`` rows, written as one row group."""
        dims, n = self.plan.space.dims, rows.num_rows
        counts = rows["count"].cast(pa.decimal128(38, 0))
        for g, times in enumerate(images):
            if times and n:
                columns = [
                    _turned(rows["string"], dims, g),
                    counts,
                    pa.repeat(pa.scalar(times, pa.int64()), n),
                    pa.repeat(pa.scalar(late), n),
                    pa.repeat(pa.scalar(unit, pa.int64()), n),
                    pa.repeat(pa.scalar(g, pa.int8()), n),
                    pa.repeat(pa.scalar(shard, pa.int64()), n),
                ]
                self._held.append(pa.table(columns, schema=RAW_SCHEMA))
                self._held_rows += n
        if self._held_rows >= self.session.spool_rows:
            self._flush()

    def _flush(self) -> None:
        """Write the rows waiting in the buffer."""
        if self._held:
            self._raw.write_table(pa.concat_tables(self._held).combine_chunks())
            self._raw_rows += self._held_rows
            self._held, self._held_rows = [], 0

    def add_closed(self, unit: int, symbol: int | None) -> None:
        start, stop = self.plan.unit_range(unit)
        self.totals.add_closed(stop - start, symbol is not None)
        if symbol is not None:
            one = {"string": pa.array([str(symbol)]), "count": pa.array([Decimal(stop - start)], pa.decimal128(38))}
            self._rows(pa.table(one), unit, (1,), False)
        self.ranges.append((start, stop))

    def add_counted(self, unit: int) -> None:
        """A canonical unit's valid partials, standing for its derived units too when complete.

        Rows go in as soon as a part is read (one part's rows in memory at a time), with
        the unit's images when every shard of the unit has a file; when one of them then
        fails validation, the images are left out of the sums (``void``: the unit stands
        for itself alone), and a shard whose later part fails leaves its first parts'
        rows out too (``dropped``)."""
        plan = self.plan
        identity = (1,) + (0,) * (len(symmetries(plan.space.dims)) - 1)
        present = [s for s in plan.unit_shards(unit) if s in self.present]
        hoped = len(present) == plan.shards_per_unit
        images = plan.images(unit) if hoped else identity
        kept: list[tuple[int, list[dict]]] = []
        for shard in present:
            metas: list[dict] = []
            try:
                for part in shard_parts(plan, self.root, shard):
                    self._rows(part.rows, unit, images, False, shard)
                    late = upto_rows(part)
                    if late is not None:
                        self._rows(late, unit, images, True, shard)
                    classes = late_rows(part)
                    if classes is not None and classes.num_rows:
                        shards = pa.repeat(pa.scalar(shard, pa.int64()), classes.num_rows)
                        self._late.write_table(classes.cast(LATE_SCHEMA).append_column("shard", shards))
                    metas.append(part.meta)
                    del part, late, classes
                    release_arrow_memory()
            except FileNotFoundError:
                continue
            except InvalidPartial as exc:
                self.invalid[shard] = str(exc)
                if metas:
                    self.dropped.add(shard)
                continue
            kept.append((shard, metas))
        complete = len(kept) == plan.shards_per_unit
        if hoped and not complete:
            self.void.add(unit)
        weight = sum(images if complete else identity)
        for shard, metas in kept:
            start, stop = plan.range(shard)
            self.totals.machines += weight * (stop - start)
            for meta in metas:
                self.totals.add(meta, weight)
            self.ranges.append((start, stop))
        if complete:
            self.ranges.extend(plan.unit_range(derived) for derived in plan.derived_from.get(unit, ()))
        self.merged += len(kept)

    def gathered(self) -> None:
        """Close the spools: every partial is in."""
        self._flush()
        self._raw.close()
        self._late.close()

    def _kept(self) -> str:
        """SQL ``AND ...`` leaving out the rows of the dropped shards (empty when none)."""
        if not self.dropped:
            return ""
        return f" AND shard NOT IN ({', '.join(str(s) for s in sorted(self.dropped))})"

    def final(self, full: bool, upto: int | None) -> tuple[Path, int, int]:
        """Sum the gathered rows into a spool of (string, count > 0): blank-0 counts of
        the halts within max_steps (``upto``: of outputs of at most that many symbols,
        plus the continuation's late halts), summed over blanks when ``full``.

        Returns
        -------
        (Path, int, int)
            The spool, its rows and the sum of its counts.
        """
        where = "NOT late" if upto is None else f"(late OR length(string) <= {int(upto)})"
        if self.void:
            where += f" AND NOT (g <> 0 AND unit IN ({', '.join(str(u) for u in sorted(self.void))}))"
        where += self._kept()
        raw = f"read_parquet({sql_text(self._raw.where)})"
        counts = self.session.summed(
            f"SELECT string, CAST(count AS HUGEINT) * times AS count FROM {raw} WHERE {where}", self._raw_rows
        )
        if full:
            swaps = ", ".join(f"('0{b}', '{b}0')" for b in range(self.plan.spec.symbols))
            (blank0,) = self.session.scalars(f"SELECT count(*) FROM {counts}")
            counts = self.session.summed(
                f"SELECT translate(b.string, s.a, s.b) AS string, b.count FROM {counts} b, (VALUES {swaps}) s(a, b)",
                blank0 * self.plan.spec.symbols,
            )
        path = self.session.spool(f"SELECT string, count FROM {counts} WHERE count > 0", ordered=False)
        rows, total = self.session.scalars(
            f"SELECT count(*), CAST(coalesce(sum(count), 0) AS VARCHAR) FROM read_parquet({sql_text(path)})"
        )
        return path, rows, int(total)

    def rows(self, final: Path, columns: TableColumns) -> RowStream:
        """The rows of spool ``final`` by count descending then string, as the table's
        columns, with their row checksum."""
        session = self.session
        cast = "BIGINT" if pa.types.is_integer(columns.schema.field("count").type) else "DECIMAL(38, 0)"
        select = f"SELECT string, CAST(count AS {cast}) AS count FROM read_parquet({sql_text(final)})"
        checksum = RowChecksum()
        for batch in session.batches(session.spool(f"{select} ORDER BY string")):
            checksum.update(batch.column(0), batch.column(1))
        release_arrow_memory()
        ordered = session.spool(f"{select} ORDER BY count DESC, string")
        return RowStream(
            columns.schema,
            lambda: (columns.batch(batch) for batch in session.batches(ordered)),
            checksum.hexdigest(),
            session.row_group_rows,
        )

    def late_halts(self, within: int | None = None) -> tuple[int, RowStream]:
        """The late-halting classes (``within``: those halting within that many steps) by
        steps then machine: how many, and their rows."""
        session = self.session
        late = f"read_parquet({sql_text(self._late.where)})"
        where = "WHERE true" + self._kept() + ("" if within is None else f" AND steps <= {int(within)}")
        (classes,) = session.scalars(f"SELECT count(*) FROM {late} {where}")
        ordered = session.spool(f"SELECT machine, steps, output FROM {late} {where} ORDER BY steps, machine")
        return classes, RowStream(
            LATE_SCHEMA, lambda: session.batches(ordered, LATE_SCHEMA), row_group_rows=session.row_group_rows
        )


def same_as_latest(root: Path, table: str, manifest: dict) -> TableInfo | None:
    """The latest version of ``table`` in ``root`` when it is the same table as ``manifest``
    says (SAME_TABLE fields), else None."""
    found = [info for info in list_tables(root) if info.table == table]
    if found and all(found[-1].manifest.get(key) == manifest.get(key) for key in SAME_TABLE):
        return found[-1]
    return None


def reduce_exact(
    spec: JobSpec,
    root: Path,
    allow_partial: bool = False,
    progress: bool = True,
    force: bool = False,
    memory: int | None = None,
    threads: int | None = None,
) -> Reduced:
    """Merge the partials of exact job ``spec`` under ``root`` into the next version of its table.

    A gap (missing or invalid partial) is an error unless ``allow_partial``. When the
    root's latest version of the table is the same table, nothing is published (unless
    ``force``) and that version is returned with ``published`` False. An ``exact_upto``
    job gives two tables: its exact reading (``spec.table``) and the plain counts at
    max_steps (the table of the same job without exact_upto), in ``Reduced.also``. Any
    job's reduce is ``pipeline.flow.reduce_job``, whose parameters these are.

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
    memory : int, optional
        The budget in bytes (``bounded.DEFAULT_MEMORY`` when None): the sums and sorts
        spill to ``root/.tmp/`` beyond it.
    threads : int, optional
        Threads of the sums and sorts (``bounded.default_threads()`` when None).

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
    present = present_shards(root, spec.job_id)
    if not allow_partial:
        absent = [s for s in plan.computed() if s not in present]
        if absent:
            raise CTMError(
                f"{len(absent)} of {len(plan.computed())} counted shards of {spec.table} have no "
                f"partial (first: shard {absent[0]}); run `ctm submit`, or reduce with --allow-partial"
            )
    with Session(root, spec.table, memory, threads) as session:
        merge = _Merge(plan, root, session)
        for unit, symbol in plan.closed.items():
            merge.add_closed(unit, symbol)
        units = [u for u in range(plan.units) if u not in plan.derivations and u not in plan.closed]
        for unit in tqdm(units, desc=f"{'reduce':<8}", unit="unit", disable=not progress, leave=False):
            merge.add_counted(unit)
        if merge.invalid and not allow_partial:
            shard, reason = next(iter(merge.invalid.items()))
            named = reason if reason.startswith((f"{shard:06d}.", "part ")) else f"{partial_name(shard)}: {reason}"
            raise CTMError(
                f"{len(merge.invalid)} partials are invalid, e.g. {named}; rerun `ctm submit` to recompute them"
            )
        if units and not merge.merged:
            folder = partials_dir(root, spec.job_id)
            raise CTMError(f"no valid partials of {spec.table} under {folder}: nothing to reduce")
        covered = _merge_ranges(merge.ranges)
        full = covered == [(0, spec.space.size)]
        totals, scale, kind = merge.totals, spec.symbols if full else 1, count_type(spec.space.size)
        merge.gathered()
        plain = _plain(spec, merge, covered, full, force)
        if spec.exact_upto is None:
            return plain
        low = totals.halting + totals.upto["halting"]  # H_low
        final, strings, count_total = merge.final(full, spec.exact_upto)
        rows = merge.rows(final, TableColumns(scale * low, spec.dims, kind, high=scale * (low + totals.upto["limit"])))
        manifest = _exact_reading(
            spec, totals, _manifest(spec, plan, totals, covered, full, count_total, strings), full
        )
        manifest["reading"] = {
            "kind": "exact_upto",
            "same_run": {"job_id": spec.job_id, "plain": plain.table.table},
            "note": f"one run gives two tables: this exact reading and {plain.table.table}, the plain counts "
            f"at max_steps {spec.max_steps}",
        }
        existing = None if force else same_as_latest(root, spec.table, dict(manifest, row_checksum=rows.checksum))
        if existing is not None:
            return Reduced(existing, merge.invalid, published=False, also=(plain,))
        classes, late = merge.late_halts()
        manifest["late_halts"] = _late_note(
            spec.witness_after if spec.witness_after is not None else spec.max_steps, classes
        )
        info = publish(root, spec.table, rows, manifest, {LATE_FILE: late})
        return Reduced(info, merge.invalid, also=(plain,))


def _plain(spec: JobSpec, merge: _Merge, covered: list[tuple[int, int]], full: bool, force: bool) -> Reduced:
    """Publish the counts of the halts within max_steps (unless the latest version holds
    them): the job's table, or an exact_upto job's plain table, which is what the same
    job without exact_upto publishes."""
    plan, totals = merge.plan, merge.totals
    final, strings, count_total = merge.final(full, None)
    table = dataclasses.replace(spec, exact_upto=None).table
    denominator = spec.symbols * totals.halting if full else totals.halting
    rows = merge.rows(final, TableColumns(denominator, spec.dims, count_type(spec.space.size)))
    manifest = _manifest(spec, plan, totals, covered, full, count_total, strings)
    if spec.exact_upto is not None:
        manifest["reading"] = {
            "kind": "plain",
            "same_run": {"job_id": spec.job_id, "exact_upto": spec.table},
            "note": f"one run of an exact_upto job gives two tables: these plain counts at max_steps "
            f"{spec.max_steps} (what the job without exact_upto gives: the same rows and row_checksum) and "
            f"{spec.table}, the outputs of at most {spec.exact_upto} symbols exact with no step cutoff",
        }
    existing = None if force else same_as_latest(merge.root, table, dict(manifest, row_checksum=rows.checksum))
    if existing is not None:
        return Reduced(existing, merge.invalid, published=False)
    extra = None
    if spec.witness_after is not None:
        # an exact_upto run's list also holds the continuation's halts, after max_steps
        classes, late = merge.late_halts(spec.max_steps if spec.exact_upto is not None else None)
        extra = {LATE_FILE: late}
        manifest["late_halts"] = _late_note(spec.witness_after, classes)
    return Reduced(publish(merge.root, table, rows, manifest, extra), merge.invalid)


def _late_note(after: int, classes: int) -> dict:
    """The manifest's entry for LATE_FILE: halts after ``after`` steps, ``classes`` of them."""
    return {
        "file": LATE_FILE,
        "after": after,
        "classes": classes,
        "note": "blank-0 classes of the counted shards halting after that many steps ('---': an entry never read); "
        "derived shards' machines are their mirror images and renamings",
    }


def _exact_reading(spec: JobSpec, totals: _Totals, manifest: dict, full: bool) -> dict:
    """The manifest of an exact_upto job's exact reading: every output of at most L
    symbols with its exact count (no step cutoff); H bracketed by [H_low, H_high], so K
    by [K_low, K_high] (D and K are the H_low reading: D an upper bound, K = K_low)."""
    L, up = spec.exact_upto, totals.upto
    low = totals.halting + up["halting"]
    high = low + up["limit"]
    times = dict(totals.halting_times)
    for steps, count in totals.upto_times.items():
        times[steps] = times.get(steps, 0) + count
    blank = "blank-0 machines" if not full else "machines (blank 0; D and K use m*H)"
    return dict(
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
