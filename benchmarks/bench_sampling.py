"""Sampling speed: the project's sampling kernel against a plain one-machine-at-a-time
random sampler (benchmarks/plain_sampler.c, compiled here with cc -O2), on one core.

For each sampled space it reports, in one run:
- the plain sampler's draws per second (whole machines, the reference simulator's
  escapee and two-cycle checks) and its halting fraction;
- the kernel's draws (random descents below the exact strata) per second;
- the standard error of K for length-10 patterns reached per core-hour: the kernel's
  from the spread of its batches (median over patterns hit at least 20 times), the plain
  sampler's from its draw rate (a pattern of mass M is hit Binomial(N, M * H) times, so
  se(K) = 1 / (ln 2 sqrt(N M H))), and acss's from its sample size (CTM.md);
- the plain draws per core-second that would match the kernel's standard error.

    python benchmarks/bench_sampling.py                # every space, 20 s each
    python benchmarks/bench_sampling.py --seconds 5 --space 4x4
"""

from __future__ import annotations

import math
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import click
import numpy as np

from pipeline.kernel import sample_space
from pipeline.space import Space

HERE = Path(__file__).resolve().parent

SPACES = {
    # name: (space, sample depth, draws per stratum for one batch of about a second, acss halting draws)
    "4x4": (Space(4, 4, 2000), 3, 800, 3.254e11),
    "4x5": (Space(4, 5, 2000), 3, 220, 0.97 * 2.14e11),
    "4x6": (Space(4, 6, 2000), 3, 70, 0.97 * 1.8e11),
    "4x9": (Space(4, 9, 4000), 2, 250, 0.97 * 2e11),
}
"""acss's halting draws: CTM.md gives (4,4)'s; the others are its draws times (4,4)'s share."""


def plain_rate(space: Space, seconds: float, binary: Path) -> tuple[float, float]:
    """(draws per second, halting fraction) of the plain sampler."""
    out = subprocess.run(
        [str(binary), str(space.states), str(space.symbols), str(space.max_steps), str(seconds), "12345"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    draws, halting, rate = int(out[0]), int(out[1]), float(out[3])
    return rate, halting / draws


def kernel_run(space: Space, depth: int, draws: int, seconds: float, length: int = 10):
    """Batches for about ``seconds`` (8 at least): (descents per second, pattern -> mass per
    batch for the patterns of ``length``, pattern -> hits, halting mass per batch, seconds)."""
    per_batch: list[dict[str, float]] = []
    hits: dict[str, int] = {}
    halting, spent, descents = [], 0.0, 0
    while spent < seconds or len(per_batch) < 8:
        began = time.perf_counter()
        got = sample_space(space, 99, len(per_batch), sample_depth=depth, draws=draws, max_length=length)
        spent += time.perf_counter() - began
        descents += got.draws
        halting.append(got.halting)
        per_batch.append({k: m for k, (h, m) in got.outputs.items() if len(k) == length})
        for key, (h, _) in got.outputs.items():
            if len(key) == length:
                hits[key] = hits.get(key, 0) + h
    masses = {key: [batch.get(key, 0.0) for batch in per_batch] for key in hits}
    return descents / spent, masses, hits, np.array(halting), spent


def median_se_k(masses, hits, halting, min_hits: int = 20) -> tuple[float, list[str], list[float]]:
    """Median se(K) over the patterns hit ``min_hits`` times, and those patterns' masses M."""
    B, H = len(halting), halting.sum()
    ses, keys, Ms = [], [], []
    for key, values in masses.items():
        if hits[key] < min_hits:
            continue
        y = np.array(values)
        M = y.sum() / H
        resid = y - M * halting
        se_M = math.sqrt(B / (B - 1) * (resid**2).sum()) / H
        ses.append(se_M / (M * math.log(2)))
        keys.append(key)
        Ms.append(M)
    return statistics.median(ses), keys, Ms


@click.command()
@click.option("--seconds", default=20.0, show_default=True, help="Seconds of each sampler per space.")
@click.option("--space", "names", multiple=True, type=click.Choice(sorted(SPACES)), help="Spaces [default: all].")
def main(seconds: float, names: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / "plain_sampler"
        subprocess.run(["cc", "-O2", "-o", str(binary), str(HERE / "plain_sampler.c")], check=True)
        print(
            "| space | plain draws/s | plain halting | kernel draws/s | length-10 patterns | se(K) per core-hour: kernel | plain | acss's sample | plain draws/s to match |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name in names or sorted(SPACES):
            space, depth, draws, acss_halting = SPACES[name]
            rate, h_plain = plain_rate(space, seconds, binary)
            krate, masses, hits, halting, spent = kernel_run(space, depth, draws, seconds)
            se, keys, Ms = median_se_k(masses, hits, halting)
            scale = math.sqrt(spent / 3600)  # se shrinks as 1 / sqrt(time)
            ours = se * scale
            Ms = np.array(Ms)
            plain = float(np.median(1 / (math.log(2) * np.sqrt(rate * 3600 * Ms * h_plain))))
            acss = float(np.median(1 / (math.log(2) * np.sqrt(Ms * acss_halting))))
            match = rate * (plain / ours) ** 2
            print(
                f"| ({space.states},{space.symbols}) S={space.max_steps} | {rate:,.0f} | {h_plain:.4f} | {krate:,.0f} | "
                f"{len(keys)} | {ours:.4f} | {plain:.4f} | {acss:.4f} | {match:,.0f} ({match / rate:.0f}x) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
