"""What a step cutoff changes: a no-cutoff table (``d{n}x{m}-nocutoff``) against a table
of the same space cut at S steps (e.g. ``d5x2-s500``, acss's K.2).

Every count without the cutoff is at least the count with it, and the halting totals
differ by exactly the machines the no-cutoff table's halting-time histogram puts after
step S (``CutoffComparison.check`` asserts both). Strings that appear only without the
cutoff get one producing machine each, from the no-cutoff table's late halts
(``late_halts.parquet``, written when the job sets ``witness_after``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import CTMError
from pipeline.reduce import LATE_FILE
from pipeline.tables import load_manifest, load_table, table_path


@dataclass
class CutoffComparison:
    """A no-cutoff table against a cutoff table of the same space (blank-summed counts)."""

    cutoff: int
    """S of the cutoff table."""
    halting_cut: int
    halting_full: int
    """H (blank-0 halting machines) with and without the cutoff."""
    late_machines: int
    """Machines the no-cutoff histogram has halting after step S."""
    both: pd.DataFrame
    """Strings of both tables: count and K with (``_cut``) and without (``_full``) the cutoff,
    and ``dK`` = K without - K with."""
    new: pd.DataFrame
    """Strings only without the cutoff: string, count, K, and a producer (machine text,
    its steps, and how its output relates to the string) where the late halts name one."""
    halting_times: dict[int, int] = field(default_factory=dict)
    """The no-cutoff table's halting-time histogram (steps -> blank-0 machines)."""

    @property
    def gained(self) -> int:
        """Halting machines the cutoff called non-halting."""
        return self.halting_full - self.halting_cut

    def check(self) -> None:
        """Raise CTMError unless every count grew or stayed and the halting totals differ
        by the late machines of the histogram."""
        shrunk = self.both[self.both["count_full"] < self.both["count_cut"]]
        if len(shrunk):
            raise CTMError(f"{len(shrunk)} strings count less without the cutoff, e.g. {shrunk['string'].iloc[0]!r}")
        if self.gained != self.late_machines:
            raise CTMError(
                f"the halting totals differ by {self.gained}, but the histogram has {self.late_machines} "
                f"machines halting after step {self.cutoff}"
            )


def variants(string: str, symbols: int) -> list[tuple[str, str]]:
    """(variant, how) pairs with the same count as ``string`` over a full space: itself,
    its reversal, and (blank-symbol sum) the strings with symbols 0 and b swapped."""
    out = []
    for b in range(symbols):
        swap = string if b == 0 else string.translate(str.maketrans({"0": str(b), str(b): "0"}))
        how = "" if b == 0 else f"symbols 0 and {b} swapped"
        out.append((swap, how or "the string itself"))
        out.append((swap[::-1], "reversed" + (f", {how}" if how else "")))
    return out


def late_producers(folder: Path, symbols: int, strings: list[str]) -> dict[str, tuple[str, int, str]]:
    """String -> (machine, steps, relation) of the first late-halting class whose output
    is the string or one of its variants; strings without one are left out."""
    path = folder / LATE_FILE
    if not path.exists():
        return {}
    late = pq.read_table(path).to_pandas()
    first: dict[str, tuple[str, int]] = {}
    for machine, steps, output in zip(late["machine"], late["steps"], late["output"]):
        first.setdefault(output, (machine, int(steps)))
    out = {}
    for string in strings:
        for variant, how in variants(string, symbols):
            if variant in first:
                machine, steps = first[variant]
                out[string] = (machine, steps, "outputs " + ("it" if variant == string else f"{variant} ({how})"))
                break
    return out


def compare(root: Path, full: str, cut: str, cut_root: Path | None = None) -> CutoffComparison:
    """Compare table ``full`` (no cutoff, under ``root``) with table ``cut`` (under
    ``cut_root``, default ``root``). Raises CTMError when they are not of one space or
    ``full`` is not a no-cutoff table."""
    cut_root = root if cut_root is None else cut_root
    mf, mc = load_manifest(root, full), load_manifest(cut_root, cut)
    if (mf["states"], mf["symbols"], mf.get("dims", 1)) != (mc["states"], mc["symbols"], mc.get("dims", 1)):
        raise CTMError(f"{full} and {cut} are tables of different spaces")
    if not mf.get("job", {}).get("no_cutoff"):
        raise CTMError(f"{full} is not a no-cutoff table (its job has no_cutoff = false)")
    if mc["max_steps"] >= mf["max_steps"]:
        raise CTMError(f"{cut} (S = {mc['max_steps']}) does not cut earlier than {full}")
    tf = load_table(root, full).select(["string", "count", "K"]).to_pandas()
    tc = load_table(cut_root, cut).select(["string", "count", "K"]).to_pandas()
    for frame in (tf, tc):
        frame["count"] = frame["count"].map(int)
    both = tc.merge(tf, on="string", how="left", suffixes=("_cut", "_full"))
    both["count_full"] = both["count_full"].fillna(0).map(int)
    both["dK"] = both["K_full"] - both["K_cut"]
    new = tf[~tf["string"].isin(tc["string"])].copy()
    S = mc["max_steps"]
    times = {int(k): int(v) for k, v in mf["halting_times"].items()}
    producers = late_producers(table_path(root, full), mf["symbols"], new["string"].tolist())
    new["machine"] = new["string"].map(lambda s: producers.get(s, (None,))[0])
    new["steps"] = new["string"].map(lambda s: producers.get(s, (None, None))[1])
    new["relation"] = new["string"].map(lambda s: producers.get(s, (None, None, None))[2])
    return CutoffComparison(
        cutoff=S,
        halting_cut=int(mc["halting"]),
        halting_full=int(mf["halting"]),
        late_machines=sum(v for k, v in times.items() if k > S),
        both=both,
        new=new.sort_values(["count", "string"], ascending=[False, True]).reset_index(drop=True),
        halting_times=times,
    )


__all__ = ["CutoffComparison", "compare", "late_producers", "variants"]
