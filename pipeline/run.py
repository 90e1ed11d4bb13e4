"""Count a job's shards on Dask: pending = planned counted shards minus valid partials.

``run`` makes its own LocalCluster; ``run_with_client`` reuses any client. Resume is a
set difference: a rerun counts only the shards without a valid partial. While tasks run,
the driver watches the cluster: a cluster with no worker is reported (and given up on
after a timeout), and a lost scheduler ends the run with one line.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from pathlib import Path

from dask.distributed import Client, Future, LocalCluster, wait
from tqdm import tqdm

from pipeline.batches import BatchPlan
from pipeline.certs import CONNECT_TIMEOUT
from pipeline.errors import CTMError
from pipeline.flow import flow_of, plan_of  # noqa: F401 (plan_of: its old home, pipeline.run, still names it)
from pipeline.partials import InvalidPartial, count_part, present_shards, write_counts
from pipeline.plan import ShardPlan
from pipeline.spec import JobSpec

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
class Survey:
    """Where each shard of a range stands."""

    done: list[int] = field(default_factory=list)
    derived: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    invalid: dict[int, str] = field(default_factory=dict)
    """Shard -> why its partial fails validation."""


def survey(plan: ShardPlan | BatchPlan, root: Path, shards: range | None = None) -> Survey:
    """Sort the shards (default all) into done, derived, missing and invalid."""
    out, present = Survey(), present_shards(root, plan.spec.job_id)
    opener = flow_of(plan.spec).open
    for shard in range(plan.shards) if shards is None else shards:
        if plan.is_derived(shard):
            out.derived.append(shard)
            continue
        if shard not in present:
            out.missing.append(shard)
            continue
        try:
            opener(plan, root, shard)
            out.done.append(shard)
        except FileNotFoundError:
            out.missing.append(shard)
        except InvalidPartial as exc:
            out.invalid[shard] = str(exc)
    return out


@dataclass
class RunReport:
    """What a run did with each requested shard."""

    requested: range
    computed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    """Shards that already had a valid partial."""
    derived: list[int] = field(default_factory=list)
    invalid: dict[int, str] = field(default_factory=dict)
    """Shards whose partial failed validation before the run (recomputed), with why."""
    failed: dict[int, str] = field(default_factory=dict)
    """Shards whose task raised, with the error."""
    kernel_seconds: float = 0.0
    wall_seconds: float = 0.0
    threads: int = 0
    """Worker threads in the cluster (the most seen at the run's start or end)."""


def task_key(spec: JobSpec, tag: str, what: str, group: list[int]) -> str:
    """A task's Dask key, shown on the dashboard: ``ctm-<job>-<root>-<what>-<shards>``,
    the shards as 6-digit numbers joined by ``+`` (the last ``-`` field)."""
    return f"ctm-{spec.job_id}-{tag}-{what}-{'+'.join(f'{s:06d}' for s in group)}"


def submit_tasks(
    plan: ShardPlan | BatchPlan, client: Client, data_root: Path, tag: str, pending: list[int]
) -> tuple[dict, dict]:
    """Submit the tasks that count ``pending``: per group, one walk that also writes, or
    parts and a write that adds them up. Heaviest counts get the highest priority.

    Returns (part future -> group, write future -> group).
    """
    spec, counts = plan.spec, []
    flow = flow_of(spec)
    for group in plan.groups(pending):
        task = flow.task(plan, data_root, group)
        for i, part in enumerate(plan.tasks(group)):
            counts.append((plan.expected_cost(group, part), group, task, i, part))
    counts.sort(key=lambda c: tuple(-x for x in c[0]) + (c[1][0], c[3]))
    parts, writes, of_group = {}, {}, {}
    for rank, (_, group, task, i, part) in enumerate(counts):
        priority = len(counts) - rank
        if part is None:
            writes[client.submit(flow.count, task, key=task_key(spec, tag, "count", group), priority=priority)] = group
            continue
        future = client.submit(count_part, task, part, key=task_key(spec, tag, f"part{i}", group), priority=priority)
        parts[future] = group
        of_group.setdefault(group[0], (task, group, []))[2].append(future)
    for task, group, futures in of_group.values():
        writes[client.submit(write_counts, task, *futures, key=task_key(spec, tag, "write", group))] = group
    return parts, writes


class _Stopped(Exception):
    """The cluster cannot finish the run: the scheduler is gone, or no worker came in time."""

    def __init__(self, what: str, advice: str) -> None:
        super().__init__(what)
        self.advice = advice


def _say(message: str) -> None:
    """A line on stderr that leaves the progress bar intact."""
    tqdm.write(message, file=sys.stderr)


def _finished(
    client: Client, futures: list[Future], timeout: float | None = None, grace: float = NO_WORKER_GRACE
) -> Iterator[Future]:
    """Yield ``futures`` as they finish, watching the cluster in between: say so once it has
    had no worker for ``grace`` s (and keep waiting), stop after ``timeout`` s without one
    (None: wait for workers as long as it takes), stop at once if the scheduler is lost.

    Stopping raises _Stopped, whose message names the scheduler's address.
    """
    address = client.scheduler.address
    lost = _Stopped(f"lost the Dask scheduler at {address}", SCHEDULER_BACK)
    pending, idle_since, said, next_look = set(futures), None, False, 0.0
    while pending:
        try:
            done, pending = wait(pending, timeout=LOOK_EVERY, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        except CancelledError:  # the client cancels every future when the scheduler goes
            raise lost from None
        yield from done
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
) -> RunReport:
    """Count the pending shards of ``shards`` (default all) on ``client``'s cluster.

    With no worker in the cluster it says so after ``grace`` s and gives up after
    ``timeout`` s (None: waits); losing the scheduler ends the run. Either is a one-line
    CTMError; the partials written so far are kept, so a rerun counts only the rest.
    """
    plan = plan_of(spec)
    requested = range(plan.shards) if shards is None else shards
    before = survey(plan, data_root, requested)
    report = RunReport(requested, skipped=before.done, derived=before.derived, invalid=before.invalid)
    pending = before.missing + list(before.invalid)
    report.threads = sum(client.nthreads().values())
    began = time.perf_counter()
    tag = hashlib.sha256(str(Path(data_root).resolve()).encode()).hexdigest()[:8]
    parts, writes = submit_tasks(plan, client, data_root, tag, pending)
    grouped = {group[0] for group in parts.values()}
    bar = tqdm(total=len(parts) + len(writes) - len(grouped), desc=f"{'count':<8}", unit="task", disable=not progress)
    try:
        with bar:
            _collect(_finished(client, [*parts, *writes], timeout, grace), parts, writes, grouped, report, bar)
    except _Stopped as stop:
        raise CTMError(
            f"{stop}; {len(report.computed)} of {len(pending)} shards were counted and are kept: "
            f"{stop.advice}, run the same command again (it counts only the missing shards)"
        ) from None
    report.wall_seconds = time.perf_counter() - began
    # a cluster that was just started may have had no workers when the run began
    report.threads = max(report.threads, sum(client.nthreads().values()))
    report.computed.sort()
    return report


def _collect(futures: Iterator[Future], parts: dict, writes: dict, grouped: set, report: RunReport, bar) -> None:
    """Record each finished task in ``report``: a write's shards as computed or failed."""
    for future in futures:
        if future in parts:
            bar.update()
            future.release()
            continue
        group = writes[future]
        try:
            done = future.result()
        except Exception as exc:  # a failed task is reported with its shards, never raised
            for shard in group:
                report.failed[shard] = f"{type(exc).__name__}: {exc}"
        else:
            report.computed.extend(group)
            report.kernel_seconds += done.kernel_seconds
        if group[0] not in grouped:  # a one-walk task: its write is its count
            bar.update()
        future.release()


def run(
    spec: JobSpec,
    data_root: Path,
    workers: int | None = None,
    processes: bool = False,
    shards: range | None = None,
    progress: bool = True,
) -> RunReport:
    """Count the job's pending shards on a new LocalCluster of ``workers`` one-thread workers."""
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
        return run_with_client(spec, client, data_root, shards, progress)


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
    after it, so a port that accepts and then stays silent (the dashboard's) would hang."""
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

    ``security`` (a ``distributed.security.Security``) for tls:// addresses. A lost
    scheduler cancels the client's futures at once, and the client gives up reconnecting
    after ``timeout`` s.
    """
    probe(address, timeout, security)
    try:
        return Client(address, timeout=timeout, security=security)
    except Exception as exc:  # refused, timed out, malformed, or not a scheduler at all
        raise CTMError(
            f"cannot reach a Dask scheduler at {address!r} within {timeout:g} s ({type(exc).__name__}); "
            f"start one with `dask scheduler`, or leave out --scheduler to use a local cluster"
        ) from None
