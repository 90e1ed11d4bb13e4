"""``ctm forecast``: a job's total cost, from a stratified random sample of its parts."""

from __future__ import annotations

import click

from pipeline.certs import TLSFiles
from pipeline.commands.jobs import COUNTING, JOB, _compute, _report, _tidy
from pipeline.errors import CTMError
from pipeline.spec import load_spec
from pipeline.tables import data_root

UNITS = {
    "kernel_seconds": ("kernel time", 3600.0, " core-hours"),
    "classes": ("classes", 1.0, ""),
    "steps": ("steps", 1.0, ""),
}


def _figure(value: float, scale: float) -> str:
    value /= scale
    return f"{value:.3g}" if scale != 1.0 else f"{value:.4g}"


@click.command()
@JOB
@click.option("--sample", "size", type=click.IntRange(2), default=24, show_default=True, help="Parts to draw, e.g. 40.")
@click.option(
    "--strata", type=click.IntRange(1), default=6, show_default=True, help="Strata of like expected cost, e.g. 4."
)
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="The draw's seed, e.g. 7.")
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.9,
    show_default=True,
    help="Two-sided level of the intervals, e.g. 0.95.",
)
@COUNTING
def forecast(
    job,
    size,
    strata,
    seed,
    level,
    data_dir,
    scheduler,
    workers,
    processes,
    progress,
    timeout,
    connect_timeout,
    tls_ca_file,
    tls_cert,
    tls_key,
):
    """Estimate a job's total kernel time, classes and steps before running it whole.

    Ranks the job's parts by expected cost, cuts them into strata of like cost, draws a
    random sample in each (seeded), counts the sampled parts into the data root as a
    run would (so the run reuses them) and gives the stratified estimate of each total
    with its interval (docs/howto-run-a-job.md, "Before a long job").

    \b
    Example:
      ctm forecast jobs/d6x2.toml --sample 24 --data-dir ~/ctm-data
    """
    from pipeline.flow import plan_of
    from pipeline.forecast import MEASURES, draw, estimate_total, job_tasks, measured, task_costs

    spec, root, tls = load_spec(job), data_root(data_dir), TLSFiles(tls_ca_file, tls_cert, tls_key)
    if spec.sampled:
        raise CTMError(f"{job} is a sampled job: its cost is its batches' ({spec.batches}), known before it runs")
    plan = plan_of(spec)
    tasks = job_tasks(plan)
    try:
        sample = draw(task_costs(plan, tasks), size, strata, seed)
    except ValueError as exc:
        raise CTMError(f"{job}: {exc}") from None
    chosen = [tasks[i] for i in sample.tasks]
    done = sum(measured(plan, root, t) is not None for t in chosen)
    click.echo(
        f"job {spec.table} ({spec.job_id}): {len(tasks)} parts in {strata} strata of like expected cost; "
        f"a sample of {size} (seed {seed}): {size - done} to count, {done} counted already"
    )
    _tidy(spec, root)
    if done < size:
        _report(
            spec,
            _compute(
                spec, root, scheduler, workers, processes, None, progress, timeout, connect_timeout, tls, only=chosen
            ),
        )
    values = {i: measured(plan, root, tasks[i]) for i in sample.tasks}
    lost = [i for i, v in values.items() if v is None]
    if lost:
        raise CTMError(
            f"{len(lost)} sampled parts have no partial (first: {tasks[lost[0]]}); run the same command again"
        )
    for key in MEASURES:
        name, scale, unit = UNITS[key]
        est = estimate_total(sample, {i: v[key] for i, v in values.items()}, level)
        seen = sum(v[key] for v in values.values())
        click.echo(
            f"{name}: {_figure(est.total, scale)}{unit} ({level:.0%} interval {_figure(est.low, scale)} to "
            f"{_figure(est.high, scale)}; se {_figure(est.se, scale)}); the sample's own: {_figure(seen, scale)}"
        )
