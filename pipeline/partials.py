"""Partials: Parquet files of blank-0 output counts, one per counted shard and part.

A shard counted in one walk has ``<root>/partials/<job-id>/<shard:06d>.parquet``; a
shard whose walk the plan cuts into P parts (``ShardPlan.tasks``) has one file per part,
``<shard:06d>.p<part:04d>of<P:04d>.parquet``, whose metadata records the cut (its kind
and parameters). Each file holds rows (string, count) and, in its metadata, the shard,
its range, the job id, the kernel version, the worker that counted it, this part's
totals and a checksum of the rows. The cut changes no count, so it is not in the job id;
it is checked when a shard's parts are opened together (``open_shard``): every part of
the plan's cut present, each with the plan's cut, their totals adding up to the shard's
machines. exact_upto's late outputs and the late-halting classes are row sets of their
own beside the main file (``<main stem>.upto.parquet``, ``<main stem>.late.parquet``),
whose row counts and checksums the main file's metadata holds.

Files are written by the driver only (``pipeline.payload.store``: validated under a
temporary name, then renamed), so a file with a final name is complete or fails
validation; it is never merged then. Arrow reads and writes them by path, in this
thread (see ``read_partial``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.kernel import kernel_version
from pipeline.payload import COMPRESSION, InvalidPartial as InvalidPartial, commit, temporary
from pipeline.plan import NodeParts, ShardPlan
from pipeline.rows import sorted_rows
from pipeline.tables import row_checksum

META_KEY = b"ctm"

NAME = re.compile(r"^(\d{6})(?:\.p(\d{4,})of(\d{4,}))?(?:\.(upto|late))?\.parquet$")
"""A partial's file name: shard, optional part and parts, optional row set beside a main file."""

BESIDE = ("upto", "late")
"""Row sets kept beside a main file: exact_upto's late outputs, the late-halting classes."""

UPTO_SCHEMA = ("string", "count")
"""Columns of the exact_upto continuation's late outputs (``Partial.upto_rows``)."""

LATE_SCHEMA = {"machine": pa.string(), "steps": pa.int64(), "output": pa.string()}
"""Columns of the late-halting classes (``Partial.late_rows``)."""


def partials_dir(root: Path, job_id: str) -> Path:
    """The folder of the partials of job ``job_id`` under the data root ``root``."""
    return Path(root) / "partials" / job_id


def partial_name(shard: int) -> str:
    """The file name of a shard counted in one walk: six digits, e.g. ``000042.parquet``."""
    return f"{shard:06d}.parquet"


def part_name(shard: int, part: int, parts: int) -> str:
    """The file name of part ``part`` of ``parts`` of a shard, e.g. ``000042.p0003of0008.parquet``."""
    return f"{shard:06d}.p{part:04d}of{parts:04d}.parquet"


def beside_name(main: str, kind: str) -> str:
    """The file of row set ``kind`` (BESIDE) beside the main file ``main``."""
    return main.removesuffix(".parquet") + f".{kind}.parquet"


def present_shards(root: Path, job_id: str) -> set[int]:
    """Shards that have a main file (whole or a part; valid or not) under ``root``."""
    folder = partials_dir(root, job_id)
    if not folder.is_dir():
        return set()
    return {int(found[1]) for p in folder.iterdir() if (found := NAME.match(p.name)) and not found[4]}


def cut_of(part, index: int, parts: int) -> dict | None:
    """The metadata of a part of a cut (``ShardPlan.tasks``): None for a whole walk;
    ``{"kind": "entry", "parts", "part", "entry", "digits"}`` for a cut at an entry's
    digits; ``{"kind": "nodes", "parts", "part", "depth"}`` for one at branch points."""
    if part is None:
        return None
    if isinstance(part, NodeParts):
        return {"kind": "nodes", "parts": part.parts, "part": part.part, "depth": part.depth}
    entry, digits = part
    return {"kind": "entry", "parts": parts, "part": index, "entry": int(entry), "digits": sorted(map(int, digits))}


def shard_cut(plan: ShardPlan, shard: int) -> list:
    """How the plan counts ``shard``: ``[None]`` (one walk) or its parts (``ShardPlan.tasks``).

    The cut of a group's walk depends only on the digits its shards share, so the
    shard's own group of one gives it.
    """
    return plan.tasks([shard])


def part_names(plan: ShardPlan, shard: int) -> list[str]:
    """The main file of each part of ``shard`` in the plan's cut, in part order."""
    cut = shard_cut(plan, shard)
    if cut == [None]:
        return [partial_name(shard)]
    return [part_name(shard, i, len(cut)) for i in range(len(cut))]


@dataclass(frozen=True)
class Partial:
    """A partial file that passed validation: its metadata and row sets."""

    meta: dict
    rows: pa.Table
    """Output counts: string, count (int64, or decimal128(38, 0) for huge spaces)."""
    upto_rows: pa.Table | None = None
    """exact_upto: the continuation's late outputs, string and count (as ``rows``); None without it."""
    late_rows: pa.Table | None = None
    """witness_after or exact_upto: the late-halting classes, machine (text), steps (int64),
    output (string); None when the job collects none."""


def output_rows(outputs: pa.Table | dict[str, int], counts_as: pa.DataType) -> pa.Table:
    """Rows (string, count) sorted by string, ``counts_as`` int64 or decimal, of the
    kernel's rows (``RangeCounts.rows``) or of a dict output -> machines."""
    if isinstance(outputs, pa.Table):
        rows = sorted_rows(outputs)
        return pa.table({"string": rows["string"].cast(pa.string()), "count": rows["count"].cast(counts_as)})
    strings = sorted(outputs)
    values = [outputs[s] for s in strings]
    if pa.types.is_decimal(counts_as):
        values = [Decimal(v) for v in values]
    return pa.table({"string": pa.array(strings, pa.string()), "count": pa.array(values, counts_as)})


def late_rows(late: list[tuple[str, int, str]]) -> pa.Table:
    """Rows (machine, steps, output) of late-halting classes, in the order given."""
    columns = list(zip(*late)) if late else [[], [], []]
    return pa.table({name: pa.array(list(col), kind) for (name, kind), col in zip(LATE_SCHEMA.items(), columns)})


def _late_checksum(rows: pa.Table) -> str:
    """A checksum of late-halting classes: ``tables.row_checksum`` of machine and steps<TAB>output."""
    steps = pc.cast(rows["steps"], pa.string())
    return row_checksum(rows["machine"], pc.binary_join_element_wise(steps, rows["output"], "\t"))


def partial_tables(name: str, meta: dict, rows: pa.Table, upto: pa.Table | None = None, late: pa.Table | None = None):
    """The files of one partial: file name -> table with its metadata, the main file last.

    Parameters
    ----------
    name : str
        The main file's name (``partial_name`` or ``part_name``).
    meta : dict
        The part's metadata (range, cut, totals, work; ``meta["upto"]`` the continuation's
        totals when ``upto`` is given); ``rows`` and ``checksum`` are added, and the row
        count and checksum of each row set beside.
    rows : pyarrow.Table
        Output counts (``output_rows``).
    upto, late : pyarrow.Table, optional
        exact_upto's late outputs (``output_rows``) and the late-halting classes
        (``late_rows``); each goes in a file of its own when it has rows.

    Returns
    -------
    dict of str to pyarrow.Table
        The files to write, those beside first.
    """
    meta = dict(meta, rows=rows.num_rows, checksum=row_checksum(rows["string"], rows["count"]))
    files = {}
    if upto is not None:
        meta["upto"] = dict(meta["upto"], rows=upto.num_rows, checksum=row_checksum(upto["string"], upto["count"]))
        if upto.num_rows:
            files[beside_name(name, "upto")] = upto
    if late is not None:
        meta["late_halts"] = {"rows": late.num_rows, "checksum": _late_checksum(late)}
        if late.num_rows:
            files[beside_name(name, "late")] = late
    files[name] = rows.replace_schema_metadata({META_KEY: json.dumps(meta)})
    return files


def write_atomically(path: Path, rows: pa.Table) -> None:
    """Write a Parquet file under ``path`` atomically: a hidden temporary name, fsync,
    rename, fsync of the folder. By path, in this thread (see read_partial)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    try:
        pq.write_table(rows, str(tmp), compression=COMPRESSION)  # by path: see read_partial
        commit(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_partial(path: Path, meta: dict, outputs: dict[str, int], counts_as: pa.DataType) -> None:
    """Write a partial of ``outputs`` (no row set beside) under ``path`` atomically, here.

    Parameters
    ----------
    path : Path
        The main file.
    meta : dict
        Its metadata (range, totals, work), stored as JSON under META_KEY with ``rows``
        and ``checksum`` (``tables.row_checksum``) added.
    outputs : dict of str to int
        Output string -> machines halting with it.
    counts_as : pyarrow.DataType
        int64, or decimal128(38, 0) for spaces of 2**63 machines or more (``tables.count_type``).

    Raises
    ------
    OSError
        The file or its folder cannot be written.
    """
    for name, table in partial_tables(path.name, meta, output_rows(outputs, counts_as)).items():
        write_atomically(path.with_name(name), table)


def _read(path: Path) -> pa.Table:
    """A Parquet file's table, by path in this thread; InvalidPartial if unreadable."""
    try:
        with pq.ParquetFile(str(path)) as parquet:
            return parquet.read(use_threads=False)
    except FileNotFoundError:
        raise
    except (OSError, pa.ArrowException) as exc:
        raise InvalidPartial(f"cannot be read (truncated or corrupt): {exc}") from None


def _beside(path: Path, name: str, beside: dict[str, Path] | None, kind: str) -> pa.Table:
    """Row set ``kind`` beside the main file ``name`` (read at ``path``): at ``beside[its
    name]`` when given, else in the main file's folder."""
    wanted = beside_name(name, kind)
    try:
        return _read((beside or {}).get(wanted, path.with_name(wanted)))
    except FileNotFoundError:
        raise InvalidPartial(f"lacks its {kind} rows ({wanted})") from None


def _totals(meta: dict, keys: tuple[str, ...] = ("halting", "limit", "proven")) -> tuple[list[int], int]:
    return [int(meta[k]) for k in keys], sum(int(v) for v in meta["halting_times"].values())


def read_partial(
    path: Path,
    *,
    job_id: str,
    shard: int,
    start: int,
    stop: int,
    kernel: str,
    cut: dict | None = None,
    machines: int | None = None,
    beside: dict[str, Path] | None = None,
    name: str | None = None,
) -> Partial:
    """Read and validate a partial: it must be for this job, shard, range, cut and kernel,
    its row sets must match their checksums, and its totals add up.

    Arrow reads the files by path, in this thread: buffers of a Python file object would
    be released by Arrow's pool threads, and one released after the interpreter began
    to exit aborts it ("terminate called without an active exception").

    Parameters
    ----------
    path : Path
        The main file.
    job_id, shard, start, stop, kernel
        What its metadata must say: the job id, shard number, machine range [start, stop)
        and kernel version (``kernel.kernel_version``).
    cut : dict, optional
        The part's cut (``cut_of``); None for a whole walk.
    machines : int, optional
        The machines of this part when known (a whole walk: stop - start; a cut at an
        entry: its share of the digits); None: at most the shard's.
    beside : dict of str to Path, optional
        Where the row sets beside are (file name -> path) when not beside ``path``
        (the driver validates temporaries before renaming them).
    name : str, optional
        The main file's own name when ``path`` is a temporary; default ``path.name``.

    Returns
    -------
    Partial
        The metadata, rows and row sets beside (``upto_rows``, ``late_rows``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    InvalidPartial
        A file that must not be merged; the message names the reason (unreadable,
        no metadata, another job, shard, range, cut or kernel, rows that do not match
        their checksum, totals that do not add up, a row set beside missing).
    """
    rows = _read(path)
    try:
        meta = json.loads((rows.schema.metadata or {}).get(META_KEY))
    except (TypeError, ValueError):
        raise InvalidPartial("has no readable ctm metadata") from None
    for key, want in {"job_id": job_id, "shard": shard, "start": start, "stop": stop, "cut": cut}.items():
        if meta.get(key) != want:
            raise InvalidPartial(f"has {key} {meta.get(key)!r}, expected {want!r}")
    if meta.get("kernel") != kernel:
        raise InvalidPartial(f"was written by kernel {meta.get('kernel')!r}, this is kernel {kernel!r}")
    if rows.column_names != ["string", "count"] or rows.num_rows != meta.get("rows"):
        raise InvalidPartial(
            f"has {rows.num_rows} rows of {rows.column_names}, expected {meta.get('rows')} of string, count"
        )
    if row_checksum(rows["string"], rows["count"]) != meta.get("checksum"):
        raise InvalidPartial("rows do not match their checksum")
    try:
        totals, times = _totals(meta)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidPartial("metadata lacks the totals") from None
    listed = pc.sum(rows["count"]).as_py() or 0
    complete = meta.get("max_length") is None  # else longer outputs are in the totals only
    size = (stop - start) if cut is None else machines
    if (
        (sum(totals) != size if size is not None else sum(totals) > stop - start)
        or times != totals[0]
        or (listed != totals[0] if complete else listed > totals[0])
    ):
        raise InvalidPartial("totals do not add up to the shard's machines" + ("" if cut is None else " in this part"))
    name = path.name if name is None else name
    upto = _upto(path, name, meta, totals[1], beside, rows.schema.field("count").type) if "upto" in meta else None
    late = None
    if "late_halts" in meta:
        try:
            count, checksum = int(meta["late_halts"]["rows"]), meta["late_halts"]["checksum"]
        except (KeyError, TypeError, ValueError):
            raise InvalidPartial("metadata lacks the late-halting classes' count") from None
        late = _beside(path, name, beside, "late") if count else late_rows([])
        if list(late.schema.names) != list(LATE_SCHEMA) or late.num_rows != count or _late_checksum(late) != checksum:
            raise InvalidPartial("late-halting classes do not match their count and checksum")
    return Partial(meta, rows, upto, late)


def _upto(path: Path, name: str, meta: dict, at_limit: int, beside: dict[str, Path] | None, kind) -> pa.Table:
    """The exact_upto continuation's late outputs of a partial (counts of type ``kind``, as
    its rows), checked against its totals."""
    try:
        up = meta["upto"]
        late, late_times = _totals(up)
        count, checksum = int(up["rows"]), up["checksum"]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidPartial("metadata lacks the continuation's totals (upto)") from None
    rows = _beside(path, name, beside, "upto") if count else output_rows({}, kind)
    if list(rows.schema.names) != list(UPTO_SCHEMA) or rows.num_rows != count:
        raise InvalidPartial(f"has {rows.num_rows} late outputs (upto), expected {count}")
    if row_checksum(rows["string"], rows["count"]) != checksum:
        raise InvalidPartial("late outputs (upto) do not match their checksum")
    listed = pc.sum(rows["count"]).as_py() or 0
    if sum(late) != at_limit or late_times != late[0] or listed != late[0]:
        raise InvalidPartial("the continuation's totals (upto) do not add up to the machines at the limit")
    return rows


def _part_machines(plan: ShardPlan, shard: int, part) -> int | None:
    """Machines of a part of ``shard`` when the cut fixes them: all for a whole walk, the
    digits' share for a cut at an entry (every digit has as many machines); None for a
    cut at branch points (known only once walked)."""
    start, stop = plan.range(shard)
    if part is None:
        return stop - start
    if isinstance(part, NodeParts):
        return None
    return (stop - start) // plan.space.base * len(part[1])


def check_part(
    plan: ShardPlan, shard: int, index: int, path: Path, beside: dict[str, Path] | None = None, name: str | None = None
) -> Partial:
    """The validated file at ``path`` (named ``name``, default its own) of part ``index``
    of ``shard`` in the plan's cut (``read_partial`` with what the plan says of it)."""
    cut = shard_cut(plan, shard)
    start, stop = plan.range(shard)
    return read_partial(
        path,
        job_id=plan.spec.job_id,
        shard=shard,
        start=start,
        stop=stop,
        kernel=kernel_version(plan.space),
        cut=cut_of(cut[index], index, len(cut)),
        machines=_part_machines(plan, shard, cut[index]),
        beside=beside,
        name=name,
    )


def check_whole(plan: ShardPlan, shard: int, parts: list[dict]) -> None:
    """Raise InvalidPartial unless the metadata ``parts`` of every part of ``shard`` add up
    to the shard's machines (each part was checked on its own: ``check_part``)."""
    start, stop = plan.range(shard)
    machines = sum(int(m[k]) for m in parts for k in ("halting", "limit", "proven"))
    if machines != stop - start:
        raise InvalidPartial(f"its {len(parts)} parts add up to {machines} machines, not the shard's {stop - start}")


@dataclass
class ShardStatus:
    """Where the parts of one shard (or batch) stand."""

    names: list[str]
    """The main file of each part of the plan's cut, in part order."""
    todo: list[int] = field(default_factory=list)
    """Parts to count: missing or invalid."""
    invalid: dict[str, str] = field(default_factory=dict)
    """File name -> why it fails validation."""


def shard_status(plan: ShardPlan, root: Path, shard: int) -> ShardStatus:
    """Which parts of ``shard`` (in the plan's cut) have a valid file under ``root``; when
    every part has one but they do not add up, all are to count again."""
    status = ShardStatus(part_names(plan, shard))
    folder, metas = partials_dir(root, plan.spec.job_id), []
    for index, name in enumerate(status.names):
        try:
            metas.append(check_part(plan, shard, index, folder / name).meta)
        except FileNotFoundError:
            status.todo.append(index)
        except InvalidPartial as exc:
            status.invalid[name] = str(exc)
            status.todo.append(index)
    if not status.todo:
        try:
            check_whole(plan, shard, metas)
        except InvalidPartial as exc:
            status.invalid[status.names[0]] = str(exc)
            status.todo = list(range(len(status.names)))
    return status


def open_shard(plan: ShardPlan, root: Path, shard: int) -> list[Partial]:
    """The validated partials of ``shard`` of ``plan``'s job under ``root``: one per part
    of the plan's cut (one for a whole walk), in part order, adding up to the shard.

    Parameters
    ----------
    plan : ShardPlan
        The exact job's plan, which says how the shard is cut.
    root : Path
        The data root holding ``partials/<job_id>/``.
    shard : int
        A shard of the plan.

    Returns
    -------
    list of Partial
        Each part's metadata and row sets (``Partial.rows``, ``upto_rows``, ``late_rows``).

    Raises
    ------
    FileNotFoundError
        The shard has no file at all.
    InvalidPartial
        Parts missing (which), a part that fails validation (which and why), parts that
        do not add up to the shard's machines, or only files of another cut.
    SpecError
        A shard outside the plan.
    """
    return list(shard_parts(plan, root, shard))


def shard_parts(plan: ShardPlan, root: Path, shard: int) -> Iterator[Partial]:
    """``open_shard`` one part at a time: each validated part as soon as it is read, so
    a caller holds one part's rows, not the shard's (a (5,2) 2-D shard of 64 parts is
    145 million rows). The errors are ``open_shard``'s, raised when found: a part that
    fails validation at once, missing parts and parts that do not add up after the last
    part, so a caller that used the parts yielded must drop them on an error."""
    names = part_names(plan, shard)
    folder, metas, absent = partials_dir(root, plan.spec.job_id), [], []
    for index, name in enumerate(names):
        try:
            part = check_part(plan, shard, index, folder / name)
        except FileNotFoundError:
            absent.append(index)
            continue
        except InvalidPartial as exc:
            raise InvalidPartial(f"{_which(names, index)}: {exc}") from None
        metas.append(part.meta)
        yield part
        del part
    if absent and len(absent) < len(names):
        raise InvalidPartial(
            f"has {len(metas)} of its {len(names)} parts (missing {', '.join(names[i] for i in absent[:3])}"
            + (", ..." if len(absent) > 3 else "")
            + ")"
        )
    if absent:
        other = (
            sorted(p.name for p in folder.glob(f"{shard:06d}.*parquet") if NAME.match(p.name))
            if folder.is_dir()
            else []
        )
        if other:
            raise InvalidPartial(
                f"has only files of another cut ({other[0]}, ...), not the plan's {_cut_text(names)}: count it again"
            )
        raise FileNotFoundError(folder / names[0])
    check_whole(plan, shard, metas)


def _which(names: list[str], index: int) -> str:
    """A part's name for a message: the file, with 'part i of P' when the shard is cut."""
    return names[index] if len(names) == 1 else f"part {index} of {len(names)} ({names[index]})"


def _cut_text(names: list[str]) -> str:
    return "one walk" if len(names) == 1 else f"{len(names)} parts"
