"""``ctm count``: one range, counted in-process, printed like the reference simulator."""

from __future__ import annotations

import json

import click

from pipeline.kernel import PROOFS, RangeCounts, count_range
from pipeline.space import Space


def _plain(result: RangeCounts) -> str:
    """``string : count`` lines sorted by string, then ``-1 : count`` for non-halting."""
    lines = [f"{s} : {c}" for s, c in sorted(result.outputs.items(), key=lambda kv: (len(kv[0]), kv[0]))]
    lines.append(f"-1 : {result.nonhalting}")
    return "\n".join(lines)


def _json(result: RangeCounts) -> str:
    return json.dumps(
        {
            "states": result.space.states,
            "symbols": result.space.symbols,
            "max_steps": result.space.max_steps,
            "start": result.start,
            "stop": result.stop,
            "machines": result.machines,
            "halting": result.halting,
            "nonhalting": result.nonhalting,
            "reached_limit": result.limit,
            "proven_nonhalting": result.proven,
            "outputs": dict(sorted(result.outputs.items())),
            "halting_times": {str(k): v for k, v in sorted(result.halting_times.items())},
            "work": {"classes": result.classes, "nodes": result.nodes, "steps": result.steps},
            **({"long_runs": result.long, "undecided": [list(u) for u in result.undecided]} if result.long else {}),
        },
        indent=1,
    )


@click.command()
@click.option("--states", "-n", type=int, required=True, help="States n (e.g. 4).")
@click.option("--symbols", "-m", type=int, default=2, show_default=True, help="Symbols m, 2..10.")
@click.option("--steps", "-S", type=int, required=True, help="Step limit S (e.g. 107 for (4,2)).")
@click.option("--start", type=int, default=0, show_default=True, help="First machine number.")
@click.option("--stop", type=int, default=None, help="One past the last machine number [default: the space's size].")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of reference-style lines.")
@click.option(
    "--proof",
    "proofs",
    multiple=True,
    type=click.Choice(PROOFS),
    help="Use only these non-halting proofs (repeatable) [default: all]; counts never change.",
)
@click.option("--no-proofs", is_flag=True, help="Run every non-halting class to the step limit.")
@click.option("--symmetry/--no-symmetry", default=True, show_default=True, help="State renaming inside blocks.")
@click.option(
    "--long-from",
    type=int,
    default=None,
    help="Classes still running after this many steps leave the walk and run on to S on a compact tape "
    "(needed when S > 100,000), e.g. 2000.",
)
def count(states, symbols, steps, start, stop, as_json, proofs, no_proofs, symmetry, long_from):
    """Count the outputs of machines START..STOP-1, exactly like the reference simulator.

    The reference simulator's `TMsimulator n m S first last` covers first..last
    inclusive; the same range here is --start first --stop last+1.

    \b
    Examples:
      ctm count -n 3 -m 2 -S 500 --start 898911 --stop 1098911
      ctm count -n 5 -S 47176870 --long-from 2000 --start 16097445400124 --stop 16097445400608
    """
    space = Space(states, symbols, steps)
    stop = space.size if stop is None else stop
    chosen = () if no_proofs else (proofs or None)
    result = count_range(space, start, stop, proofs=chosen, symmetry=symmetry, long_from=long_from)
    click.echo(_json(result) if as_json else _plain(result))
