"""What a run says while it runs and leaves behind: how much is left, the rate and
estimated finish, and a JSON report under the data root.

A long job is stopped and started again with the same command; each start says how
much is left (parts, and a share of the work by ``plan.expected_cost``), each run shows
its rate (parts per hour) and estimated finish, and each writes
``<root>/runs/<job_id>/<UTC time>.json`` when it ends.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeline.payload import commit, temporary

EVERY = 300.0
"""Seconds between rate lines when there is no progress bar."""


def utc(seconds: float) -> datetime:
    """A ``time.time()`` value as an aware UTC datetime."""
    return datetime.fromtimestamp(seconds, timezone.utc)


def left_line(parts: int, files: int, total_files: int, share: float | None) -> str:
    """The line a run starts with: the parts (tasks) to count, the partials they write
    and their share of the expected work, and the partials reused."""
    work = "" if share is None else f", about {100 * share:.0f} % of the expected work"
    noun = "part" if parts == 1 else "parts"
    return (
        f"left: {parts} {noun} ({files} of {total_files} partials{work}); {total_files - files} valid partials reused"
    )


@dataclass
class Pace:
    """Parts counted so far against the clock: the rate and the estimated finish."""

    total: int
    """Parts this run counts."""
    began: float
    """``time.time()`` at the run's start."""
    done: int = 0
    said: float = 0.0
    """When a rate line was last due (``time.time()``)."""

    def tick(self) -> None:
        """One more part counted (or given up)."""
        self.done += 1

    def rate(self, now: float) -> float | None:
        """Parts per hour so far; None before the first part."""
        return 3600 * self.done / (now - self.began) if self.done and now > self.began else None

    def finish(self, now: float) -> datetime | None:
        """The estimated finish at the rate so far; None before the first part."""
        rate = self.rate(now)
        return None if rate is None else utc(now) + timedelta(hours=(self.total - self.done) / rate)

    def postfix(self, now: float) -> str:
        """The progress bar's postfix: ``12.0 parts/h, finish ~14:05 UTC`` (or the day too)."""
        rate, finish = self.rate(now), self.finish(now)
        if rate is None:
            return ""
        shown = finish.strftime("%H:%M" if finish.date() == utc(now).date() else "%Y-%m-%d %H:%M")
        return f"{rate:.1f} parts/h, finish ~{shown} UTC"

    def line(self, now: float) -> str | None:
        """A rate line when one is due (EVERY seconds since the last), else None."""
        if now - max(self.said, self.began) < EVERY or not self.done:
            return None
        self.said = now
        return f"counted {self.done} of {self.total} parts, {self.postfix(now)}"


def write_report(root: Path, job_id: str, report: dict, finished: float | None = None) -> Path:
    """Write a run's report as JSON, atomically, to ``<root>/runs/<job_id>/<UTC time>.json``.

    Parameters
    ----------
    root : Path
        The data root.
    job_id : str
        The job's id (``JobSpec.job_id``).
    report : dict
        What to write (``run.RunReport.as_dict``); sets and tuples become lists.
    finished : float, optional
        ``time.time()`` of the run's end (names the file); default now.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    OSError
        The file or its folder cannot be written.
    """
    stamp = utc(time.time() if finished is None else finished).strftime("%Y%m%dT%H%M%S.%fZ")
    path = Path(root) / "runs" / job_id / f"{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary(path)
    try:
        tmp.write_text(json.dumps(report, sort_keys=True, default=sorted) + "\n")
        commit(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
