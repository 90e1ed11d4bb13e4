"""Count a job's parts on Dask: pending = the planned parts minus the valid partials.

``run`` makes its own LocalCluster; ``run_with_client`` reuses any client. Each task
counts one part of a group's walk (or a batch) on a worker and hands its partials back
as bytes; this process, the driver, checks them and writes them into the data root as
they come in, so no worker needs to see the data root. Resume is a set difference: a
rerun counts only the parts without a valid partial. While tasks run, the driver
watches the cluster: a cluster with no worker is reported (and given up on after a
timeout), and a lost scheduler ends the run with one line.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dask.distributed import Client, Future, LocalCluster
from tqdm import tqdm

from pipeline.batches import BatchPlan
from pipeline.certs import CONNECT_TIMEOUT
from pipeline.errors import CTMError
from pipeline.flow import flow_of, plan_of  # noqa: F401 (plan_of: its old home, pipeline.run, still names it)
from pipeline.kernel import kernel_version
from pipeline.partials import partials_dir
from pipeline.payload import Counted, Rejected, store
from pipeline.plan import ShardPlan
from pipeline.runlog import Pace, left_line, utc, write_report
from pipeline.spec import JobSpec
from pipeline.survey import Survey as Survey, survey

NO_WORKER_GRACE = 20.0
"""Seconds a cluster may have no worker before a run says so (it keeps waiting)."""

LOOK_EVERY = 1.0
"""Seconds between looks at the cluster's workers while tasks run."""

START_WORKERS = "start workers (`docker compose up -d`, or `dask worker {address}` on a machine that reaches it)"
SCHEDULER_BACK = (
    "once it is back (compose restarts a scheduler that crashed; one stopped by hand starts again with "
    "`docker compose up -d`; elsewhere start `dask scheduler` again)"
)


@dataclass
class RunReport:
    """What a run did with each requested shard and its parts."""

    requested: range
    computed: list[int] = field(default_factory=list)
    """Shards whose parts left were all counted and written by this run."""
    skipped: list[int] = field(default_factory=list)
    """Shards that already had every part valid."""
    derived: list[int] = field(default_factory=list)
    """Shards derived by symmetry (the JSON report gives their number)."""
    invalid: dict[str, str] = field(default_factory=dict)
    """Partial files that failed validation before the run (recomputed), with why."""
    failed: dict[int, str] = field(default_factory=dict)
    """Shards a part of which failed (its task raised, or its result was rejected), with the error."""
    kernel_seconds: float = 0.0
    wall_seconds: float = 0.0
    threads: int = 0
    """Worker threads in the cluster (the most seen at the run's start or end)."""
    partials: int = 0
    """Partial files of the requested shards in the plan's cut."""
    reused: int = 0
    """Of them, valid before the run."""
    parts: int = 0
    """Tasks (parts of a group's walk, or batches) this run submitted."""
    counted: int = 0
    """Of them, counted and written."""
    workers: set[str] = field(default_factory=set)
    """Addresses of the workers that counted the parts written."""
    started: float = 0.0
    """``time.time()`` at the start."""
    stopped: str | None = None
    """Why the run stopped before its end (the cluster's fault), or None."""
    report_path: Path | None = None
    """The JSON report written under the data root (``runlog.write_report``)."""

    def as_dict(self, spec: JobSpec) -> dict:
        """The report as JSON-ready data, with the job's table and id."""
        out = asdict(self)
        out.pop("report_path")
        return dict(
            out,
            derived=len(self.derived),
            table=spec.table,
            job_id=spec.job_id,
            requested=[self.requested.start, self.requested.stop],
            started=utc(self.started).isoformat(),
            finished=utc(self.started + self.wall_seconds).isoformat(),
            workers=sorted(self.workers),
        )


def task_key(spec: JobSpec, tag: str, what: str, group: list[int]) -> str:
    """A task's Dask key, shown on the dashboard: ``ctm-<job>-<root>-<what>-<shards>``,
    the shards as 6-digit numbers joined by ``+`` (the last ``-`` field)."""
    return f"ctm-{spec.job_id}-{tag}-{what}-{'+'.join(f'{s:06d}' for s in group)}"


def pending_tasks(plan: ShardPlan | BatchPlan, todo: dict[int, list[int]]) -> list[tuple[list[int], int]]:
    """The tasks that count the parts left: (group, part) for each part number, the
    shards missing it grouped as they share a walk (``plan.groups``)."""
    by_part: dict[int, list[int]] = {}
    for shard, parts in todo.items():
        for part in parts:
            by_part.setdefault(part, []).append(shard)
    return [(group, part) for part, shards in sorted(by_part.items()) for group in plan.groups(shards)]


def work_share(plan: ShardPlan | BatchPlan, tasks: list[tuple[list[int], int]], shards: list[int]) -> float | None:
    """The share of the expected work (``plan.expected_cost``, its first figure) of
    ``tasks`` in all the parts of ``shards``; None when the plan expects no work."""
    total = sum(plan.expected_cost(g, part)[0] for g in plan.groups(shards) for part in plan.tasks(g))
    left = sum(plan.expected_cost(g, plan.tasks(g)[p])[0] for g, p in tasks)
    return left / total if total else None


def submit_tasks(
    plan: ShardPlan | BatchPlan, client: Client, tag: str, tasks: list[tuple[list[int], int]]
) -> dict[Future, tuple[list[int], int]]:
    """Submit the tasks, heaviest expected cost first (the highest priority).

    Parameters
    ----------
    plan : ShardPlan or BatchPlan
        The job's plan, which cuts the groups into parts.
    client : distributed.Client
        The cluster to submit to.
    tag : str
        A short tag of the data root in the tasks' keys (``task_key``), so two roots'
        runs of one job do not share keys.
    tasks : list of (group, part)
        The parts to count (``pending_tasks``).

    Returns
    -------
    dict
        Future (its result a ``payload.Counted``) -> its (group, part).
    """
    spec, flow = plan.spec, flow_of(plan.spec)
    ranked = sorted(
        tasks, key=lambda t: tuple(-x for x in plan.expected_cost(t[0], plan.tasks(t[0])[t[1]])) + (t[0][0], t[1])
    )
    futures = {}
    for rank, (group, part) in enumerate(ranked):
        task = flow.task(plan, group, part)
        key = task_key(spec, tag, f"part{part}", group)
        futures[client.submit(flow.count, task, key=key, priority=len(ranked) - rank)] = (group, part)
    return futures


def write_counted(plan: ShardPlan | BatchPlan, root: Path, counted: Counted, group: list[int], part: int) -> None:
    """Check a task's result and write its partials into the data root (``payload.store``).

    Raises
    ------
    Rejected
        A result of another kernel version or for other shards, bytes that do not match
        their SHA-256, or a partial that fails validation: one line naming the file.
    OSError
        A partial that cannot be written.
    """
    flow, mine, first = flow_of(plan.spec), kernel_version(plan.space), counted.bundles[0].main.name
    if counted.kernel != mine:
        raise Rejected(
            f"{first}: counted by kernel {counted.kernel!r} on worker {counted.worker}, this client has kernel "
            f"{mine!r}; install the same ctm-pipeline on the client and every worker"
        )
    if list(counted.shards) != list(group) or counted.part != part:
        raise Rejected(
            f"{first}: the result is for shards {counted.shards} part {counted.part}, not {group} part {part}"
        )
    for bundle in counted.bundles:
        store(partials_dir(root, plan.spec.job_id), bundle, flow.checker(plan, bundle.shard, part))


class _Stopped(Exception):
    """The cluster cannot finish the run: the scheduler is gone, or no worker came in time."""

    def __init__(self, what: str, advice: str) -> None:
        super().__init__(what)
        self.advice = advice


def _say(message: str, out=None) -> None:
    """A line on stderr (or ``out``) that leaves the progress bar intact."""
    tqdm.write(message, file=out or sys.stderr)


def _finished(
    client: Client, futures: list[Future], timeout: float | None = None, grace: float = NO_WORKER_GRACE
) -> Iterator[Future]:
    """Yield ``futures`` as they finish, watching the cluster in between: say so once it has
    had no worker for ``grace`` s (and keep waiting), stop after ``timeout`` s without one
    (None: wait for workers as long as it takes), stop at once if the scheduler is lost.

    Stopping raises _Stopped, whose message names the scheduler's address.

    Each future reports its end once, through a done callback into a queue: waiting
    with ``distributed.wait(..., return_when="FIRST_COMPLETED")`` in a loop left one
    asyncio task per pending future behind at every call (about 5 GB an hour on the
    D(6) run's 512 tasks), so memory grew with the run's length.
    """
    address = client.scheduler.address
    lost = _Stopped(f"lost the Dask scheduler at {address}", SCHEDULER_BACK)
    ended: queue.SimpleQueue[Future] = queue.SimpleQueue()
    for future in futures:
        future.add_done_callback(ended.put)
    pending, idle_since, said, next_look = set(futures), None, False, 0.0
    while pending:
        done = []
        try:
            done.append(ended.get(timeout=LOOK_EVERY))
            while True:
                done.append(ended.get_nowait())
        except queue.Empty:
            pass
        for future in done:
            if future.cancelled():  # the client cancels every future when the scheduler goes
                raise lost
            if future in pending:
                pending.discard(future)
                yield future
        now = time.monotonic()
        if not pending or now < next_look:
            continue
        next_look = now + LOOK_EVERY
        try:
            workers = len(client.nthreads())
        except OSError:
            raise lost from None
        if workers:
            idle_since, said = None, False
            continue
        idle_since = idle_since or now
        if timeout is not None and now - idle_since >= timeout:
            raise _Stopped(
                f"no Dask worker joined the scheduler at {address} within {timeout:g} s",
                START_WORKERS.format(address=address),
            )
        if not said and now - idle_since >= grace:
            _say(
                f"no Dask worker at {address} for {grace:g} s: {START_WORKERS.format(address=address)}; "
                f"still waiting (--timeout S gives up)"
            )
            said = True


def run_with_client(
    spec: JobSpec,
    client: Client,
    data_root: Path,
    shards: range | None = None,
    progress: bool = True,
    timeout: float | None = None,
    grace: float = NO_WORKER_GRACE,
    only: list[tuple[list[int], int]] | None = None,
) -> RunReport:
    """Count the parts left of ``shards`` (default all) on ``client``'s cluster.

    Parts left are those with no valid partial (missing or invalid) of shards that no
    symmetry derives. Each task hands its partials back as bytes; this process checks
    them (SHA-256, kernel version, validation) and writes them into ``data_root`` as
    they come in, releasing each result once written, so the workers need not see the
    data root and a rerun counts only the rest. It says at the start how much is left,
    shows the rate and estimated finish (the bar's postfix, or a line every few
    minutes), and writes a JSON report under ``data_root/runs/<job_id>/`` at the end.
    A task that raises, or a result rejected, is reported with its shards
    (``RunReport.failed``), never raised here.

    Parameters
    ----------
    spec : JobSpec
        The job: exact (shards are machine ranges) or sampled (shards are batches).
    client : distributed.Client
        The cluster to count on; its workers need not see ``data_root``.
    data_root : Path
        The data root, local to this process; partials go under
        ``data_root/partials/<job_id>/``.
    shards : range, optional
        The shards to count; None for all of the plan's (``spec.batches`` batches for a
        sampled job).
    progress : bool
        Show a progress bar over the tasks.
    timeout : float, optional
        Seconds with no worker in the cluster before giving up; None waits.
    grace : float
        Seconds with no worker before saying so (once).
    only : list of (group, part), optional
        Count only these tasks of the plan (``ShardPlan.groups`` x part number), e.g. a
        sample of them (``pipeline.forecast``); None counts every part left.

    Returns
    -------
    RunReport
        The shards computed, skipped (already valid), derived, the files invalid before
        the run, the shards failed (with the error), the parts and partials, the
        kernel's and the wall seconds, the threads and the workers, and the report's path.

    Raises
    ------
    CTMError
        No worker for ``timeout`` s, or the scheduler lost: one line that says how many
        parts were counted and kept, and what to do (the report is written first).
    SpecError
        A shard outside the plan.
    """
    plan = plan_of(spec)
    requested = range(plan.shards) if shards is None else shards
    began = time.time()
    before = survey(plan, data_root, requested)
    report = RunReport(requested, skipped=before.done, derived=before.derived, invalid=before.invalid, started=began)
    report.partials, report.reused = before.parts, before.parts - before.parts_left
    tasks = pending_tasks(plan, before.todo)
    if only is not None:
        chosen = {(shard, part) for group, part in only for shard in group}
        tasks = [(g, p) for g, p in tasks if all((s, p) in chosen for s in g)]
    report.parts = len(tasks)
    counted = [s for s in requested if not plan.is_derived(s)]
    _say(left_line(len(tasks), before.parts_left, before.parts, work_share(plan, tasks, counted)), sys.stdout)
    report.threads = sum(client.nthreads().values())
    tag = hashlib.sha256(str(Path(data_root).resolve()).encode()).hexdigest()[:8]
    futures = submit_tasks(plan, client, tag, tasks)
    bar = tqdm(total=len(futures), desc=f"{'count':<8}", unit="part", disable=not progress)
    left = {shard: len(parts) for shard, parts in before.todo.items()}
    try:
        with bar:
            finished = _finished(client, list(futures), timeout, grace)
            _collect(plan, data_root, finished, futures, left, report, bar, Pace(len(futures), began))
    except _Stopped as stop:
        report.stopped = str(stop)
        _close(spec, data_root, report, began)
        raise CTMError(
            f"{stop}; {report.counted} of {len(tasks)} parts were counted and are kept: "
            f"{stop.advice}, run the same command again (it counts only the parts left)"
        ) from None
    # a cluster that was just started may have had no workers when the run began
    report.threads = max(report.threads, sum(client.nthreads().values()))
    _close(spec, data_root, report, began)
    return report


def _close(spec: JobSpec, root: Path, report: RunReport, began: float) -> None:
    """Finish the report: its wall time, computed shards in order, and its JSON file
    (a root that cannot take it is said on stderr, not raised: the partials are written)."""
    report.wall_seconds = time.time() - began
    report.computed.sort()
    try:
        report.report_path = write_report(root, spec.job_id, report.as_dict(spec), began + report.wall_seconds)
    except OSError as exc:
        _say(f"cannot write the run's report under {root}/runs: {exc}")


def _collect(
    plan: ShardPlan | BatchPlan,
    root: Path,
    finished: Iterator[Future],
    futures: dict,
    left: dict[int, int],
    report: RunReport,
    bar,
    pace: Pace,
) -> None:
    """Write each finished task's partials and record it in ``report``; a shard is
    computed once its last part left is written, failed if any part fails."""
    for future in finished:
        group, part = futures[future]
        try:
            counted = future.result()
            write_counted(plan, root, counted, group, part)
        except Exception as exc:  # a failed task is reported with its shards, never raised
            error = str(exc) if isinstance(exc, Rejected) else f"{type(exc).__name__}: {exc}"
            for shard in group:
                report.failed.setdefault(shard, error)
        else:
            report.counted += 1
            report.kernel_seconds += counted.kernel_seconds
            report.workers.add(counted.worker)
            for shard in group:
                left[shard] -= 1
                if not left[shard] and shard not in report.failed:
                    report.computed.append(shard)
            del counted
        future.release()  # the result leaves the worker's memory and this one's
        pace.tick()
        now = time.time()
        bar.set_postfix_str(pace.postfix(now), refresh=False)
        bar.update()
        line = None if not bar.disable else pace.line(now)
        if line:
            _say(line, sys.stdout)


def run(
    spec: JobSpec,
    data_root: Path,
    workers: int | None = None,
    processes: bool = False,
    shards: range | None = None,
    progress: bool = True,
    only: list[tuple[list[int], int]] | None = None,
) -> RunReport:
    """Count the job's parts left on a new LocalCluster of ``workers`` one-thread
    workers, closed at the end (``run_with_client`` on a cluster of its own).

    Parameters
    ----------
    spec : JobSpec
        The job to count.
    data_root : Path
        The data root; partials go under ``data_root/partials/<job_id>/``.
    workers : int, optional
        Worker count; None for the machine's CPUs.
    processes : bool
        Workers in processes of their own instead of threads of this one (the kernel
        releases the GIL, so threads count in parallel).
    shards : range, optional
        The shards to count; None for all of the plan's.
    progress : bool
        Show a progress bar over the tasks.
    only : list of (group, part), optional
        Count only these tasks (``run_with_client``).

    Returns
    -------
    RunReport
        As ``run_with_client``.

    Raises
    ------
    CTMError, SpecError
        As ``run_with_client``.
    """
    with (
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.CRITICAL,  # a failed task is reported with its shards, not logged
        ) as cluster,
        Client(cluster) as client,
    ):
        return run_with_client(spec, client, data_root, shards, progress, only=only)


async def _speaks_dask(address: str, connection_args: dict) -> None:
    """Open a comm to ``address``, finish Dask's handshake and ask for its identity."""
    from distributed.comm import connect as open_comm

    comm = await open_comm(address, **connection_args)
    try:
        await comm.write({"op": "identity", "reply": True})
        await comm.read()
    finally:
        comm.abort()


def probe(address: str, timeout: float = CONNECT_TIMEOUT, security=None) -> None:
    """Raise a one-line CTMError unless a Dask scheduler answers at ``address`` within
    ``timeout`` s. Dask's own connect bounds the TCP connection but not the handshake
    after it, so a port that accepts and then stays silent (the dashboard's) would hang.

    Parameters
    ----------
    address : str
        The scheduler, e.g. ``tcp://10.0.0.5:8786`` or ``tls://...``.
    timeout : float
        Seconds to wait for the connection and for the handshake each.
    security : distributed.security.Security, optional
        The TLS files, needed for a tls:// address.

    Raises
    ------
    CTMError
        An address that is not a Dask address, a tls:// address without TLS files, or
        no scheduler answering, with the likely cause (nothing listening, a port that
        is not a scheduler's, a failed TLS handshake).
    """
    import asyncio

    from distributed.comm import parse_address

    try:
        scheme, _ = parse_address(address)
    except (ValueError, TypeError) as exc:
        raise CTMError(f"--scheduler {address!r} is not a Dask address such as tcp://10.0.0.5:8786 ({exc})") from None
    args = security.get_connection_args("client") if security is not None else {}
    if scheme == "tls" and not args.get("ssl_context"):
        raise CTMError(f"{address} is a TLS address: give --tls-ca-file, --tls-cert and --tls-key (or CTM_TLS_*)")
    try:
        # Dask's connect gives up on an unanswered port after ``timeout``; a silent one
        # is cut a little later, so that the two causes stay apart
        asyncio.run(asyncio.wait_for(_speaks_dask(address, {"timeout": timeout, **args}), timeout + 0.5))
    except (asyncio.TimeoutError, TimeoutError):
        cause = (
            "something accepts connections there but does not answer as a Dask scheduler "
            "(a dashboard port such as 8787? a TLS scheduler reached with tcp://?)"
        )
    except Exception as exc:  # refused, unreachable, closed in the handshake, TLS refused
        text = str(exc).split("\n")[0]
        if "Timed out trying to connect" in text:
            cause = "nothing answers there (a wrong host or port, a firewall, or no scheduler running)"
        elif scheme == "tls" or "SSL" in text or "ssl" in type(exc).__name__.lower():
            cause = f"the TLS handshake failed ({type(exc).__name__}: {text}); check the certificates and tls://"
        else:
            cause = f"{type(exc).__name__}: {text}; is it a Dask scheduler's port (8786), or a TLS one (tls://)?"
    else:
        return
    raise CTMError(f"no Dask scheduler answered at {address} within {timeout:g} s: {cause}")


def connect(address: str, timeout: float = CONNECT_TIMEOUT, security=None) -> Client:
    """A client of the scheduler at ``address``, or a one-line CTMError within ``timeout`` s.

    A lost scheduler cancels the client's futures at once, and the client gives up
    reconnecting after ``timeout`` s.

    Parameters
    ----------
    address : str
        The scheduler, e.g. ``tcp://10.0.0.5:8786`` or ``tls://...``.
    timeout : float
        Seconds to wait for the scheduler (``probe``), and to reconnect later.
    security : distributed.security.Security, optional
        The TLS files, for tls:// addresses.

    Returns
    -------
    distributed.Client
        The connected client.

    Raises
    ------
    CTMError
        As ``probe``, or a scheduler that answered but refused the client.
    """
    probe(address, timeout, security)
    try:
        return Client(address, timeout=timeout, security=security)
    except Exception as exc:  # refused, timed out, malformed, or not a scheduler at all
        raise CTMError(
            f"cannot reach a Dask scheduler at {address!r} within {timeout:g} s ({type(exc).__name__}); "
            f"start one with `dask scheduler`, or leave out --scheduler to use a local cluster"
        ) from None
