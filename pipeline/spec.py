"""Job specs: one TOML file per table (``jobs/d{n}x{m}.toml``), loaded into a JobSpec.

A job's identity (``job_id``) is a hash of what changes its counts and the layout of its
partials: n, m, S, shard depth, derivation and the schema version; never the file name,
nor how a walk is cut into tasks (``parts``), which changes no count.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import CTMError
from pipeline.kernel import MAX_RANGE, MAX_STEPS
from pipeline.space import Space

SCHEMA_VERSION = 1
"""Layout of partials and tables; part of every job id, so a change never mixes files."""

MAX_SHARDS = 1_000_000
"""More shards than this would swamp the scheduler: raise shard_depth no further."""

MAX_TABLE_MACHINES = 10**38
"""Table counts are decimal(38,0) at most; a larger space can be counted, not tabled."""


class SpecError(CTMError, ValueError):
    """A job file or field that cannot make a job; the message names the file or field."""


@dataclass(frozen=True)
class JobSpec:
    """What to compute: the space (n, m, S) and how its numbers are cut into shards."""

    states: int
    """n, the number of states (e.g. 5)."""
    symbols: int
    """m, the number of symbols, 2 to 10."""
    max_steps: int
    """S, the step limit (e.g. 500)."""
    shard_depth: int
    """d: each shard fixes the d most significant digits, so the plan has b**d shards."""
    derive: bool = True
    """Derive shards that are mirror images or state renamings of others instead of counting them."""
    parts: int = 1
    """Counted shards that differ only in their top digit are counted in one walk of their
    common tree; that walk is cut into at most this many parts (tasks) at the second
    entry every run reads, so several workers share it with nothing walked twice."""

    def __post_init__(self) -> None:
        for name in ("states", "symbols", "max_steps", "shard_depth", "parts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"{name} should be an integer, got {value!r}")
        if not isinstance(self.derive, bool):
            raise SpecError(f"derive should be true or false, got {self.derive!r}")
        if self.parts < 1:
            raise SpecError(f"parts should be at least 1, got {self.parts}")
        space = self.space
        if space.max_steps > MAX_STEPS:
            raise SpecError(f"max_steps should be at most {MAX_STEPS}, got {space.max_steps}")
        if space.size > MAX_TABLE_MACHINES:
            raise SpecError(
                f"the space {space.label} holds {space.size} machines, more than a table's "
                f"10**38: count its ranges with `ctm count` instead"
            )
        if not 0 <= self.shard_depth <= space.entries:
            raise SpecError(
                f"shard_depth should be between 0 and n*m = {space.entries}, got {self.shard_depth}"
            )
        if space.base**self.shard_depth > MAX_SHARDS:
            raise SpecError(
                f"shard_depth {self.shard_depth} makes {space.base**self.shard_depth} shards; "
                f"keep it at most {MAX_SHARDS} shards (a smaller shard_depth)"
            )
        if space.base ** (space.entries - self.shard_depth) >= MAX_RANGE:
            raise SpecError(
                f"shard_depth {self.shard_depth} leaves shards of 2**127 machines or more, "
                f"more than the kernel counts at once: raise shard_depth"
            )

    @property
    def space(self) -> Space:
        return Space(self.states, self.symbols, self.max_steps)

    @property
    def table(self) -> str:
        """Table name, e.g. ``d5x2-s500``."""
        return f"d{self.states}x{self.symbols}-s{self.max_steps}"

    @property
    def job_id(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON of what changes counts."""
        identity = dict(asdict(self), schema=SCHEMA_VERSION)
        del identity["parts"]
        text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        return asdict(self)


FIELDS = tuple(JobSpec.__dataclass_fields__)
OPTIONAL = ("derive", "parts")


def load_spec(path: str | Path) -> JobSpec:
    """Read and validate a job file; every error names the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"job file {path} not found (jobs/ holds the shipped ones)") from None
    except IsADirectoryError:
        raise SpecError(f"job file {path} is a directory, not a TOML file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"job file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise SpecError(f"job file {path}: unknown field {unknown[0]!r}; fields are {', '.join(FIELDS)}")
    missing = [f for f in FIELDS if f not in OPTIONAL and f not in data]
    if missing:
        raise SpecError(f"job file {path}: {missing[0]} is missing")
    try:
        return JobSpec(**data)
    except CTMError as exc:
        raise SpecError(f"job file {path}: {exc}") from None
