"""Which machine produces a string: a targeted re-walk of one part of an exact 1-D job.

A table row counts the machines that write a string from any blank symbol, the mirror
images of the counted units included (docs/ctm.md, "From counts to D and K"), but a
job's partials hold the blank-0 counts of its counted units only. So the string is
looked for there in each of its forms: with symbols 0 and c swapped for each blank c,
and reversed where a unit's mirror images are derived from it. The first part whose
rows (or exact_upto's late outputs) hold one is walked again with that form as the
kernel's target (``KernelSettings.target``), which lists the classes halting with it;
the first one listed is turned back into a class that writes the string itself:
mirrored where needed, its symbols 0 and c swapped. A string of one symbol may come
only from the *closed* units, whose machines all halt at step 1 (``ShardPlan.closed``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.errors import CTMError
from pipeline.partials import InvalidPartial, Partial, check_part, part_names, partials_dir
from pipeline.plan import ShardPlan
from pipeline.space import Entry, Space
from pipeline.spec import JobSpec
from pipeline.tasks import count_part, shard_task


@dataclass(frozen=True)
class Producer:
    """A class of machines that halt with a string, and where the job counted it."""

    string: str
    """The string asked for."""
    machine: str
    """The class as machine text (``---`` for an entry its run never reads; docs/ctm.md):
    every machine of it, started in state A on a tape of ``blank`` symbols, halts on
    step ``steps`` with exactly ``string`` on the cells it visited."""
    blank: int
    """The symbol every cell holds at the start."""
    mirrored: bool
    """Whether ``machine`` is the mirror image (every L and R swapped) of ``walked``."""
    walked: str
    """The class as the walk listed it: from blank 0 it halts with ``output``."""
    output: str
    """What ``walked`` writes from blank 0: ``string`` with 0 and ``blank`` swapped,
    reversed when ``mirrored``."""
    steps: int
    """The step it halts on (the halting step included, as ``RangeCounts.halting_times``)."""
    machines: int
    """Machines of the class: b ** (its ``---`` entries), b = m(2n+1)."""
    shards: tuple[int, ...]
    """The shards whose walk listed it (a closed unit's shards: no walk)."""
    part: int
    """The part of that walk walked again (``ShardPlan.tasks``; 0 when whole)."""
    parts: int
    """Parts of that walk (1: whole; 0 for a closed unit)."""
    partial: str | None
    """The partial file holding ``output`` (or its reversal), None for a closed unit."""


@dataclass(frozen=True)
class Form:
    """A blank-0 output that shows a string: from blank ``blank``, reversed or not."""

    text: str
    """The output from blank 0, as the partials hold it."""
    blank: int
    """The blank from which a machine writing ``text`` (mirrored if ``reversed``) writes the string."""
    reversed: bool
    """Whether ``text`` is the string (blank swapped) reversed."""


def check_string(string: str, space: Space) -> None:
    """Refuse a string that no machine of ``space`` could write (CTMError, one line)."""
    if not string or not string.isascii() or not string.isdigit() or max(map(int, string)) >= space.symbols:
        raise CTMError(
            f"string {string!r} should be a non-empty string of the digits 0..{space.symbols - 1} of {space.label}"
        )


def swap_blank(string: str, blank: int) -> str:
    """``string`` with symbols 0 and ``blank`` swapped (what it is from a blank-0 tape)."""
    return string.translate(str.maketrans({"0": str(blank), str(blank): "0"}))


def forms(string: str, symbols: int, mirror: bool) -> list[Form]:
    """The blank-0 outputs that show ``string``, in order of preference: blank 0 first,
    each as it is, then reversed (only when ``mirror``: a unit with mirror images)."""
    out = []
    for blank in range(symbols):
        text = swap_blank(string, blank)
        out.append(Form(text, blank, False))
        if mirror and text[::-1] != text:
            out.append(Form(text[::-1], blank, True))
    return out


def _held(part: Partial, wanted: list[Form]) -> Form | None:
    """The first of ``wanted`` among a partial's outputs (its rows and exact_upto's late ones)."""
    texts = pa.array([f.text for f in wanted], pa.string())
    found: set[str] = set()
    for rows in (part.rows, part.upto_rows):
        if rows is not None and rows.num_rows:
            found.update(pc.filter(rows["string"], pc.is_in(rows["string"], value_set=texts)).to_pylist())
    return next((f for f in wanted if f.text in found), None)


def _mirror(space: Space, digits: list[int | None]) -> list[int | None]:
    """The mirror image of a class: every move's direction swapped."""
    out = []
    for digit in digits:
        entry = None if digit is None else space.decode_digit(digit)
        out.append(digit if entry is None or entry.halts else space.encode_entry(entry._replace(move=-entry.move)))
    return out


def _from_blank(space: Space, digits: list[int | None], blank: int) -> list[int | None]:
    """The class that runs from a tape of ``blank`` as ``digits`` runs from blank 0: its
    symbols 0 and ``blank`` swapped, in what each entry reads and writes."""
    m = space.symbols

    def swap(symbol: int) -> int:
        return blank if symbol == 0 else 0 if symbol == blank else symbol

    out: list[int | None] = []
    for state in range(space.states):
        for symbol in range(m):
            digit = digits[state * m + swap(symbol)]
            if digit is not None:
                entry = space.decode_digit(digit)
                digit = space.encode_entry(entry._replace(write=swap(entry.write)))
            out.append(digit)
    return out


def _answer(string: str, space: Space, digits: list[int | None], form: Form, output: str, steps: int, **where):
    """The Producer of a class (``digits``, None free) listed with ``output`` for ``form``:
    mirrored when the listed output or the form is reversed (not both)."""
    mirrored = (output != form.text) != form.reversed
    own = _from_blank(space, _mirror(space, digits) if mirrored else digits, form.blank)
    return Producer(
        string=string,
        machine=space.text_of_digits(own),
        blank=form.blank,
        mirrored=mirrored,
        walked=space.text_of_digits(digits),
        output=output,
        steps=steps,
        machines=space.base ** sum(d is None for d in digits),
        **where,
    )


def _closed(plan: ShardPlan, string: str) -> Producer | None:
    """A string of one symbol that a closed unit writes: entry (0, 0) halts writing it."""
    space = plan.space
    for form in forms(string, space.symbols, False):
        units = [u for u, symbol in sorted(plan.closed.items()) if symbol is not None and str(symbol) == form.text]
        if units:
            digits: list[int | None] = [None] * space.entries
            digits[0] = space.encode_entry(Entry(int(form.text), 0, -1))
            where = {"shards": tuple(plan.unit_shards(units[0])), "part": 0, "parts": 0, "partial": None}
            return _answer(string, space, digits, form, form.text, 1, **where)
    return None


def _job(plan: ShardPlan) -> str:
    return f"{plan.spec.table} (job {plan.spec.job_id})"


def _partials(plan: ShardPlan, root: Path) -> Path:
    """The folder of the job's partials under ``root``; CTMError when it holds none."""
    folder = partials_dir(root, plan.spec.job_id)
    if not folder.is_dir() or not any(folder.iterdir()):
        raise CTMError(
            f"no partials of {_job(plan)} under {folder}: run the job first (ctm run JOB.toml --data-dir {root})"
        )
    return folder


def find_part(plan: ShardPlan, root: Path, string: str) -> tuple[int, int, dict, str, Form] | None:
    """The first counted part, in shard then part order, whose partial holds a form of
    ``string``: (shard, part index, its metadata, its file name, the form); None when no
    partial does and every part of the plan has one.

    Raises
    ------
    CTMError
        No partials of the job under ``root``; a partial that fails validation; or the
        string in none of the partials present while some are missing.
    """
    folder, job = _partials(plan, root), _job(plan)
    missing = []
    for shard in plan.computed():
        wanted = forms(string, plan.space.symbols, plan.images(plan.unit(shard))[1] > 0)
        for index, name in enumerate(part_names(plan, shard)):
            try:
                part = check_part(plan, shard, index, folder / name)
            except FileNotFoundError:
                missing.append(name)
                continue
            except InvalidPartial as exc:
                raise CTMError(
                    f"partial {folder / name} of {job} is invalid: {exc}; count it again (ctm run)"
                ) from None
            form = _held(part, wanted)
            if form is not None:
                return shard, index, part.meta, name, form
    if missing:
        raise CTMError(
            f"string {string!r} is in none of the partials of {job} present, but {len(missing)} are missing"
            f" ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): finish the job first (ctm run)"
        )
    return None


def producer(job: JobSpec | ShardPlan, root: Path | str, string: str) -> Producer | None:
    """The first class of machines of an exact 1-D job that halts with ``string``.

    Parameters
    ----------
    job : JobSpec or ShardPlan
        An exact 1-D job (or its plan) whose partials are under ``root``.
    root : Path or str
        The data root holding ``partials/<job_id>/`` (``pipeline.partials``).
    string : str
        The output, digits 0..m-1, as a table row shows it: from any blank symbol,
        mirrored or not (docs/ctm.md).

    Returns
    -------
    Producer or None
        The class, the blank it starts from, whether it is the mirror image of the class
        the walk listed, its halting step and machines, and the part walked again; None
        when no partial holds a form of the string: no machine of the job writes it
        (its count is 0).

    Raises
    ------
    CTMError
        A sampled or 2-D job, a string that is not the space's digits, partials missing
        or invalid (``find_part``), or a part that holds the string but whose walk lists
        no class writing it (partials that this kernel did not count).

    The part is walked again in this process (one task of the job: ``ShardPlan.tasks``).
    """
    spec = job.spec if isinstance(job, ShardPlan) else job
    if spec.sampled or spec.dims != 1:
        raise CTMError(f"job {spec.table}: a producing machine is found in an exact 1-D job's partials only")
    plan = job if isinstance(job, ShardPlan) else ShardPlan(job)
    space = plan.space
    check_string(string, space)
    root = Path(root)
    _partials(plan, root)
    closed = _closed(plan, string) if len(string) == 1 else None
    if closed is not None:
        return closed
    found = find_part(plan, root, string)
    if found is None:
        return None
    shard, index, meta, name, form = found
    task = shard_task(plan, list(meta.get("task_shards", [shard])), index)
    task = dataclasses.replace(task, settings=task.settings.but(target=form.text))
    listed = count_part(task).late
    if not listed:
        raise CTMError(f"partial {name} of {spec.table} holds {form.text!r}, but walking its part again finds no class")
    digits, steps, output = listed[0]
    where = {"shards": task.shards, "part": index, "parts": task.parts, "partial": name}
    return _answer(string, space, [d if d >= 0 else None for d in digits], form, output, steps, **where)
