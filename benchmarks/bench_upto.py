"""exact_upto: the cost of the continuation beside the plain run, and its check against
the table with no cutoff.

Runs (5,2) at S = 100 twice with ``ctm run`` (2 workers, shard_depth 2, parts 16): plain,
then with exact_upto = 12, each into its own data root under a temporary folder. Prints
wall and kernel seconds of both, the continuation's settled machines and classes, and
checks the exact reading against the shipped ``d5x2-nocutoff`` (every output of at most
12 symbols equal, H inside [H_low, H_high]).

With CPS_AFTER, the exact_upto run also sets ``cps_after`` (the walk tries the plain CPS
windows that many steps in), and a third run without it checks that both give the same
exact reading, H_low and H_high.

Usage: python benchmarks/bench_upto.py [L [CPS_AFTER]]   (default 12, no cps_after)
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main
from pipeline.tables import load_manifest, load_table, shipped_root

JOB = "states = 5\nsymbols = 2\nmax_steps = 100\nshard_depth = 2\nparts = 16\n"


def run(folder: Path, name: str, extra: str) -> tuple[float, Path]:
    job = folder / f"{name}.toml"
    job.write_text(JOB + extra)
    root = folder / name
    began = time.perf_counter()
    result = CliRunner().invoke(main, ["run", str(job), "--data-dir", str(root), "--workers", "2", "--no-progress"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return time.perf_counter() - began, root


def main_(L: int, after: int | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain_wall, plain_root = run(folder, "plain", "")
        upto_wall, upto_root = run(folder, "upto", f"exact_upto = {L}\n" + (f"cps_after = {after}\n" if after else ""))
        if after:
            without_wall, without_root = run(folder, "without", f"exact_upto = {L}\n")
            without = load_manifest(without_root, f"d5x2-s100-upto{L}")
            rows = load_table(without_root, f"d5x2-s100-upto{L}")
            before = dict(zip(rows["string"].to_pylist(), (int(c) for c in rows["count"].to_pylist())))
        plain = load_manifest(plain_root, "d5x2-s100")
        manifest = load_manifest(upto_root, f"d5x2-s100-upto{L}")
        table = load_table(upto_root, f"d5x2-s100-upto{L}")
        got = dict(zip(table["string"].to_pylist(), (int(c) for c in table["count"].to_pylist())))
        rows = load_table(plain_root, "d5x2-s100")
        at_S = dict(zip(rows["string"].to_pylist(), (int(c) for c in rows["count"].to_pylist())))
    if after:
        same = got == before and all(manifest["exact_upto"][k] == without["exact_upto"][k] for k in ("H_low", "H_high"))
        print(
            f"exact_upto = {L} without cps_after: {without_wall:.1f} s wall, "
            f"{without['work']['kernel_seconds']:.1f} s kernel, {without['work']['steps']} steps "
            f"(with cps_after = {after}: {manifest['work']['steps']} steps); same reading, H_low and H_high: {same}"
        )
        if not same:
            raise SystemExit(f"cps_after = {after} changed the exact reading")
    reference = load_table(shipped_root(), "d5x2-nocutoff")
    want = {s: int(c) for s, c in zip(reference["string"].to_pylist(), reference["count"].to_pylist()) if len(s) <= L}
    H = load_manifest(shipped_root(), "d5x2-nocutoff")["halting"]
    up = manifest["exact_upto"]
    print(
        f"plain S = 100: {plain_wall:.1f} s wall, {plain['work']['kernel_seconds']:.1f} s kernel, "
        f"{plain['work']['classes']} classes"
    )
    print(
        f"exact_upto = {L}: {upto_wall:.1f} s wall, {manifest['work']['kernel_seconds']:.1f} s kernel, "
        f"{manifest['work']['classes']} classes"
    )
    print(
        f"H_low {up['H_low']}  H_high {up['H_high']}  bracket {up['bracket_bits']:.3g} bits; "
        f"no-cutoff H {H} inside: {up['H_low'] <= H <= up['H_high']}"
    )
    print("after S (machines):", up["after_limit"]["machines"])
    print("after S (classes):", up["after_limit"]["classes"])
    print(f"outputs of at most {L} symbols: {len(got)} (no-cutoff table: {len(want)}), all counts equal: {got == want}")
    late = sum(1 for s in got if got[s] != at_S.get(s, 0))
    print(f"outputs whose count grew after S: {late}")
    if got != want or not up["H_low"] <= H <= up["H_high"]:
        raise SystemExit("the exact reading differs from d5x2-nocutoff")
    print(f"K_high - K_low = {math.log2(up['H_high'] / up['H_low']):.3g} bits for every string")


if __name__ == "__main__":
    main_(int(sys.argv[1]) if len(sys.argv) > 1 else 12, int(sys.argv[2]) if len(sys.argv) > 2 else None)
