"""``ctm run``, ``submit``, ``status``, ``reduce`` and ``tables``: jobs from spec to table."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from pipeline.certs import CONNECT_TIMEOUT as CONNECT_TIMEOUT_S, TLSFiles
from pipeline.errors import CTMError
from pipeline.flow import reduce_job
from pipeline.reduced import Reduced
from pipeline.rootcheck import cause, probe_writable
from pipeline.spec import load_spec
from pipeline.tables import data_root, list_tables, shipped_root
from pipeline.tidy import STALE_AFTER, remove_stale

if TYPE_CHECKING:
    from pipeline.run import RunReport

# pipeline.run (and with it Dask's distributed, half a second) is imported by the commands
# that use it, so that `ctm query`, `ctm reduce` and the rest start without it.

JOB = click.argument("job", metavar="JOB.toml")
DATA_DIR = click.option(
    "--data-dir",
    envvar="CTM_DATA_DIR",
    show_envvar=True,
    default=None,
    help="Data root for partials and tables, e.g. /scratch/ctm [default: ./data].",
)
SCHEDULER = click.option(
    "--scheduler",
    envvar="DASK_SCHEDULER_ADDRESS",
    show_envvar=True,
    default=None,
    help="Dask scheduler, e.g. tcp://10.0.0.5:8786 [default: a local cluster].",
)
WORKERS = click.option(
    "--workers", type=click.IntRange(1), default=None, help="Local cluster workers, e.g. 16 [default: one per core]."
)
PROCESSES = click.option(
    "--processes/--threads",
    default=False,
    show_default=True,
    help="Local workers as processes or as threads (the kernel releases the GIL).",
)
PROGRESS = click.option("--progress/--no-progress", default=True, show_default=True, help="Show progress bars.")
TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    default=None,
    help="With --scheduler: give up after SECONDS with no worker, e.g. 600 [default: keep waiting].",
)
CONNECT_TIMEOUT = click.option(
    "--connect-timeout",
    type=click.FloatRange(0, min_open=True),
    metavar="SECONDS",
    default=CONNECT_TIMEOUT_S,
    show_default=True,
    help="With --scheduler: seconds for it to answer as a Dask scheduler, e.g. 30.",
)


def _tls_option(name: str, env: str, what: str):
    return click.option(
        name,
        envvar=env,
        show_envvar=True,
        default=None,
        type=click.Path(dir_okay=False),
        help=f"With a tls:// --scheduler: {what}.",
    )


def TLS(command):
    """--tls-ca-file, --tls-cert and --tls-key (CTM_TLS_CA_FILE, CTM_TLS_CERT, CTM_TLS_KEY)."""
    for option in reversed(
        (
            _tls_option(
                "--tls-ca-file", "CTM_TLS_CA_FILE", "the cluster's CA certificate, e.g. certs/ca.pem (`ctm certs`)"
            ),
            _tls_option("--tls-cert", "CTM_TLS_CERT", "this client's certificate, e.g. certs/client.pem"),
            _tls_option("--tls-key", "CTM_TLS_KEY", "this client's private key, e.g. certs/client.key"),
        )
    ):
        command = option(command)
    return command


def COUNTING(command):
    """The options of every command that counts: --data-dir, --scheduler, --workers,
    --processes/--threads, --progress, --timeout, --connect-timeout and the TLS files."""
    for option in reversed((DATA_DIR, SCHEDULER, WORKERS, PROCESSES, PROGRESS, TIMEOUT, CONNECT_TIMEOUT, TLS)):
        command = option(command)
    return command


FORCE = click.option(
    "--force", is_flag=True, help="Publish a new version even when the latest one already holds the same table."
)


def _memory_option(name: str, what: str):
    return click.option(
        name,
        "memory",
        envvar="CTM_REDUCE_MEMORY",
        show_envvar=True,
        metavar="SIZE",
        default=None,
        help=f"Memory budget of {what}, e.g. 2GB or 512MiB; beyond it DuckDB spills to <data root>/.tmp [default: 2GiB].",
    )


def _budget(memory: str | None) -> int | None:
    """The --memory option in bytes (``bounded.parse_memory``: a one-line error for bad text)."""
    from pipeline.bounded import parse_memory

    return None if memory is None else parse_memory(memory)


def _ids(shards) -> str:
    """``1, 2, 5, ...`` for a report line; long lists are cut."""
    shards = sorted(shards)
    text = ", ".join(str(s) for s in shards[:10])
    return text + (f", ... ({len(shards)} in all)" if len(shards) > 10 else "")


@contextmanager
def _quiet_client():
    """Mute the Dask client's own log (a lost scheduler logs tracebacks there): the run
    reports it in one line. ``ctm --debug`` keeps the log."""
    log = logging.getLogger("distributed.client")
    if click.get_current_context().find_root().params.get("debug"):
        yield
        return
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def _compute(
    spec,
    root,
    scheduler,
    workers,
    processes,
    shards,
    progress,
    timeout,
    connect_timeout=CONNECT_TIMEOUT_S,
    tls: TLSFiles = TLSFiles(),
    only=None,
) -> RunReport:
    """Count on the scheduler (once it answers) or a local cluster, after the data root's
    write probe: nothing is counted for a root that cannot take the result."""
    from pipeline.run import connect, run, run_with_client

    if scheduler:
        with _quiet_client(), connect(scheduler, connect_timeout, tls.security()) as client:
            probe_writable(root)
            return _settled(spec, root, run_with_client(spec, client, root, shards, progress, timeout, only=only))
    probe_writable(root)
    return _settled(spec, root, run(spec, root, workers, processes, shards, progress, only=only))


def _settled(spec, root, report: RunReport) -> RunReport:
    """A shard whose task failed but whose partials are all there and valid (written
    before a later one of its task failed, e.g. when the disk filled) counts as
    computed, not failed."""
    if report.failed:
        from pipeline.run import plan_of, survey

        now = survey(plan_of(spec), root, report.requested)
        for shard in [s for s in report.failed if s in now.done]:
            del report.failed[shard]
            report.computed.append(shard)
        report.computed.sort()
    return report


def _header(spec, shards) -> None:
    """The job and the shards a run is about to count (before it says how much is left)."""
    from pipeline.flow import plan_of

    r = range(plan_of(spec).shards) if shards is None else shards
    click.echo(f"job {spec.table} ({spec.job_id}): {'batches' if spec.sampled else 'shards'} {r.start}:{r.stop}")
    if spec.sampled and spec.enumerable:
        click.echo(
            f'note: {spec.space.label} can also be counted exactly (mode = "exact" with a shard_depth), '
            f"which gives its D with no sampling error"
        )


def _report(spec, report: RunReport) -> None:
    for name, reason in sorted(report.invalid.items()):
        click.echo(f"invalid partial {name}: {reason}; recomputed")
    click.echo(
        f"computed {len(report.computed)}, skipped {len(report.skipped)}, derived {len(report.derived)}, "
        f"failed {len(report.failed)}"
    )
    if report.parts:
        click.echo(
            f"parts: counted {report.counted} of {report.parts} ({report.reused} of {report.partials} partials reused)"
        )
    if report.computed:
        click.echo(
            f"kernel {report.kernel_seconds:.1f} s in {report.wall_seconds:.1f} s wall on {report.threads} worker threads"
        )
    if report.report_path is not None:
        click.echo(f"run report: {report.report_path}")
    causes: dict[str, list[int]] = {}
    for shard, error in sorted(report.failed.items()):
        causes.setdefault(error, []).append(shard)
    for error, shards in causes.items():  # one line per cause, naming its shards
        click.echo(f"failed {len(shards)} shards ({_ids(shards)}): {error}", err=True)
    if report.failed:
        raise CTMError(f"{len(report.failed)} shards failed ({_ids(report.failed)}); rerun to retry them")


def _tidy(spec, root) -> None:
    """Remove the temporaries dead writers left (older than STALE_AFTER), saying so."""
    removed = remove_stale(root, spec)
    if removed:
        names = ", ".join(p.name for p in removed[:3]) + (", ..." if len(removed) > 3 else "")
        click.echo(f"removed {len(removed)} temporaries of dead writers (older than {STALE_AFTER // 60} min): {names}")


def _published(reduced: Reduced) -> None:
    for shard, reason in sorted(reduced.invalid.items()):
        click.echo(f"left out invalid partials of shard {shard}: {reason}", err=True)
    for also in reduced.also:  # an exact_upto run's plain table
        _published(Reduced(also.table, {}, also.published))
    info, manifest = reduced.table, reduced.table.manifest
    sampled = manifest.get("sampled")
    if not reduced.published:
        same = "every batch here" if sampled else "this table (same rows, coverage and totals)"
        click.echo(
            f"table {info.table} v{info.version} already holds {same}; "
            f"nothing published (--force publishes a new version): {info.path}"
        )
        return
    if sampled:
        se = manifest["halting_fraction_se"]
        click.echo(
            f"table {info.table} v{info.version} (sampled, {manifest['patterns']} patterns from "
            f"{sampled['batch_count']} batches of seed {sampled['seed']}, {sampled['draws']} draws; halting "
            f"{manifest['halting_fraction']:.6f}" + (f" +- {se:.6f}" if se is not None else "") + f"): {info.path}"
        )
        return
    click.echo(
        f"table {info.table} v{info.version} ({manifest['coverage']}, {manifest['strings']} strings, "
        f"H = {manifest['halting']}): {info.path}"
    )


@click.command("run")
@JOB
@COUNTING
@FORCE
@_memory_option("--reduce-memory", "the reduce")
def run_cmd(
    job,
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
    force,
    memory,
):
    """Count a whole job, then reduce it into a new table version (none when the latest
    version in the data root already holds the same table).

    \b
    Example:
      ctm run jobs/d4x2.toml --data-dir /tmp/ctm --reduce-memory 4GB
    """
    spec, root, tls = load_spec(job), data_root(data_dir), TLSFiles(tls_ca_file, tls_cert, tls_key)
    budget = _budget(memory)
    _tidy(spec, root)
    _header(spec, None)
    report = _compute(spec, root, scheduler, workers, processes, None, progress, timeout, connect_timeout, tls)
    _report(spec, report)
    _published(_reduce(spec, root, progress=progress, force=force, memory=budget))


@click.command()
@JOB
@click.option("--shards", "shard_text", default=None, help="Plan shards A..B-1 as A:B, e.g. 100:200 [default: all].")
@COUNTING
def submit(
    job,
    shard_text,
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
    """Count some shards of a job, on a cluster or locally; no reduce.

    \b
    Example:
      ctm submit jobs/d5x2.toml --shards 0:5000 --scheduler tcp://10.0.0.5:8786
    """
    from pipeline.run import plan_of

    spec, root, tls = load_spec(job), data_root(data_dir), TLSFiles(tls_ca_file, tls_cert, tls_key)
    shards = plan_of(spec).parse_shards(shard_text) if shard_text is not None else None
    _tidy(spec, root)
    _header(spec, shards)
    _report(spec, _compute(spec, root, scheduler, workers, processes, shards, progress, timeout, connect_timeout, tls))


@click.command()
@JOB
@DATA_DIR
def status(job, data_dir):
    """Shards of a job that are done, derived, missing, partly counted or invalid.

    \b
    Example:
      ctm status jobs/d5x2.toml
    """
    from pipeline.run import plan_of, survey

    spec, root = load_spec(job), data_root(data_dir)
    plan = plan_of(spec)
    _tidy(spec, root)
    found = survey(plan, root)
    if spec.sampled:
        click.echo(f"job {spec.table} ({spec.job_id}): batches 0:{plan.shards} (sampled, seed {spec.seed})")
    else:
        click.echo(f"job {spec.table} ({spec.job_id}): {plan.shards} shards of {plan.shard_size} machines")
    click.echo(
        f"done {len(found.done)}, derived {len(found.derived)}, missing {len(found.missing)}, "
        f"invalid {len(found.invalid)}" + (f", partly counted {len(found.partly)}" if found.partly else "")
    )
    if found.parts > len(found.done) + len(found.todo):  # shards cut into parts
        click.echo(f"parts: {found.parts - found.parts_left} of {found.parts} partials valid")
    if found.missing:
        click.echo(f"missing: {_ids(found.missing)}")
    if found.partly:
        click.echo(f"partly counted: {_ids(found.partly)}")
    for name, reason in sorted(found.invalid.items()):
        click.echo(f"invalid partial {name}: {reason}")


@click.command("reduce")
@JOB
@DATA_DIR
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Publish what is covered (blank-0 counts, no symmetry rules) instead of failing on gaps.",
)
@PROGRESS
@FORCE
@_memory_option("--memory", "the reduce")
def reduce_cmd(job, data_dir, allow_partial, progress, force, memory):
    """Merge a job's partials into a new table version, unless the latest version in the
    data root already holds the same table (it says which; --force publishes anyway).

    \b
    Example:
      ctm reduce jobs/d5x2.toml --allow-partial --memory 2GB
    """
    spec, root, budget = load_spec(job), data_root(data_dir), _budget(memory)
    if root.exists():  # a missing root has no partials: reduce says so and creates nothing
        probe_writable(root)
    _tidy(spec, root)
    _published(_reduce(spec, root, allow_partial, progress, force, budget))


def _reduce(spec, root, allow_partial=False, progress=True, force=False, memory=None) -> Reduced:
    """reduce_job, with a disk that fills (or turns read-only) while it writes as one line."""
    try:
        return reduce_job(spec, root, allow_partial, progress, force, memory)
    except OSError as exc:
        raise CTMError(cause(exc, root)) from None


@click.command()
@click.argument("names", nargs=-1)
@DATA_DIR
def tables(names, data_dir):
    """Tables and their versions, each with where it comes from (its data root, or
    "shipped" with the package), coverage and provenance; only the NAMES given, if any.
    An exact_upto table (d3x2-s10-upto6) says how long its exact outputs are and how
    wide its H bracket is.

    \b
    Examples:
      ctm tables --data-dir /tmp/ctm
      ctm tables d5x2-s500 d3x2-s10-upto6
    """
    root = data_root(data_dir)
    found = list_tables(root) + (list_tables(shipped_root()) if root.resolve() != shipped_root().resolve() else [])
    if names:
        unknown = sorted(set(names) - {info.table for info in found})
        if unknown:
            known = ", ".join(sorted({info.table for info in found})) or "none"
            raise CTMError(f"no table {', '.join(unknown)} under {root} or shipped; tables found: {known}")
        found = [info for info in found if info.table in names]
    if not found:
        click.echo(f"no tables under {root}")
    width = max((len(info.source) for info in found), default=0)
    widest = max((len(info.table) for info in found), default=0)
    for info in found:
        m = info.manifest
        upto = m.get("exact_upto")
        reading = ""
        if upto:
            bits = upto.get("bracket_bits")
            reading = f"  exact up to {upto['L']} symbols, H within " + (
                f"{bits:.2g} bits" if bits is not None else "?"
            )
        click.echo(
            f"{info.table:<{widest}} v{info.version:<3} {info.source:<{width}}  {m.get('coverage', '?'):<8} "
            f"{m.get('strings', '?'):>8} strings  job {m.get('job_id', '?')}  "
            f"kernel {m.get('versions', {}).get('kernel', '?')}  {m.get('created', '?')}{reading}"
        )


@click.command()
@JOB
@click.option("--from", "from_dir", required=True, help="Data root holding the job's table, e.g. scratch/root.")
@click.option(
    "--to", "to_dir", default="data", show_default=True, help="Data root to copy it into (the package's data/)."
)
@click.option(
    "--version", "version", type=click.IntRange(1), default=None, help="Version to ship [default: the latest]."
)
@click.option(
    "--max-length",
    type=click.IntRange(1),
    default=None,
    help="Keep outputs of at most this many symbols (2-D: rows and columns), e.g. 5 [default: all].",
)
@click.option(
    "--fit",
    metavar="SIZE",
    default=None,
    help="Instead of --max-length: the longest outputs whose copies (every table of the run, every file) "
    "fit SIZE, e.g. 10MB (1-D).",
)
@_memory_option("--memory", "the copy")
def ship(job, from_dir, to_dir, version, max_length, fit, memory):
    """Copy a job's table (its short outputs) into another data root as a new version.

    D and K stay those of the whole table; the copy's manifest names its source and what
    it kept. This is how the package's shipped tables are made from a job's full ones.
    An exact_upto job's run gives two tables, its plain counts and its exact reading:
    both are copied, with the same --max-length (or --fit for the two together).

    \b
    Examples:
      ctm ship jobs/d4x2-2d.toml --from scratch/root --to data --max-length 5
      ctm ship jobs/d6x2.toml --from ~/ctm-data --to data --fit 10MB
    """
    import dataclasses

    from pipeline.bounded import parse_size
    from pipeline.ship import ship as ship_table, ship_within, version_bytes
    from pipeline.tables import table_path

    spec = load_spec(job)
    if fit is not None and max_length is not None:
        raise CTMError("ship: give --max-length or --fit, not both")
    source = data_root(from_dir)
    names = [spec.table] if spec.exact_upto is None else [dataclasses.replace(spec, exact_upto=None).table, spec.table]
    infos = []
    for name in names:
        path = table_path(source, name, version)
        infos.append(next(i for i in list_tables(source) if i.path == path))
    if fit is None:
        copies = [ship_table(info, data_root(to_dir), max_length, _budget(memory)) for info in infos]
    else:
        budget = parse_size(fit, "--fit")
        max_length, copies = ship_within(infos, data_root(to_dir), budget, _budget(memory))
        click.echo(f"outputs of at most {max_length} symbols fit {fit}: {sum(map(version_bytes, copies))} bytes")
    for info, copied in zip(infos, copies):
        click.echo(
            f"table {copied.table} v{copied.version} ({copied.manifest['strings']} of "
            f"{copied.manifest['subset']['rows_of_source']} rows of {info.table} v{info.version}): {copied.path}"
        )
