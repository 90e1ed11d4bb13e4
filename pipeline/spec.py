"""Job specs: one TOML file per table (``jobs/d{n}x{m}.toml``), loaded into a JobSpec.

A job is *exact* (every machine of a 1-D or 2-D space, cut into shards of machine
numbers) or *sampled* (``mode = "sample"``: replicate batches of random machines, each
a valid estimate on its own; docs/ctm.md, "Sampled tables").

A job's identity (``job_id``) is a hash of what changes its counts and the layout of its
partials: n, m, S, the geometry, shard depth and derivation (exact), seed, strata and
draws (sampled), and the schema version; never the file name, nor how a walk is cut into
tasks (``parts``, ``part_depth``), nor how many batches a sampled job has run so far (``batches``).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.errors import CTMError
from pipeline.settings import DEFAULTS, MAX_RANGE, KernelSettings, check_steps
from pipeline.space import BUSY_BEAVER_STEPS, Space

SCHEMA_VERSION = 1
"""Layout of partials and tables; part of every job id, so a change never mixes files."""

MAX_SHARDS = 1_000_000
"""More shards than this would swamp the scheduler: raise shard_depth no further."""

MAX_TABLE_MACHINES = 10**38
"""Table counts are decimal(38,0) at most; a larger space can be counted, not tabled."""

MODES = ("exact", "sample")

MAX_SAMPLE_DEPTH = 8
"""Branch points a sampled job enumerates exactly above its strata (more would be slow)."""

MAX_SEED = 2**63 - 1


class SpecError(CTMError, ValueError):
    """A job file or field that cannot make a job; the message names the file or field."""


@dataclass(frozen=True)
class JobSpec:
    """What to compute: the space (n, m, S, 1-D or 2-D), exactly in shards of machine
    numbers or by sampling in batches."""

    states: int
    """n, the number of states (e.g. 5)."""
    symbols: int
    """m, the number of symbols, 2 to 10."""
    max_steps: int
    """S, the step limit (e.g. 500)."""
    shard_depth: int | None = None
    """Exact jobs: each shard fixes the d most significant digits, so the plan has b**d shards."""
    derive: bool = True
    """Derive shards that are mirror images or state renamings of others instead of counting them."""
    parts: int = 1
    """Each walk (1-D: of the counted shards that differ only in their top digit, counted
    together; 2-D: of a shard) is cut into this many parts (tasks) at its branch points of
    depth ``part_depth``, dealt round-robin, so that several workers share it with nothing
    walked twice. Not part of the job id: a cut changes no count."""
    part_depth: int | None = None
    """The branch depth a walk is cut at into ``parts`` (None: ``plan.PART_DEPTH``, 3); a
    deeper cut has more, smaller branch points to deal, so its parts come out more even.
    Not part of the job id."""
    dims: int = 1
    """1 for machines on a tape, 2 for machines on a grid (docs/ctm.md, "Two-dimensional machines")."""
    mode: str = "exact"
    """exact: every machine; sample: random machines in replicate batches."""
    seed: int | None = None
    """Sampled jobs: the seed every draw derives from (with the batch and draw index)."""
    sample_depth: int = 3
    """Sampled jobs: branch points enumerated exactly; each lazy-tree node at this depth is
    a stratum, drawn ``draws`` times per batch (shallower classes enter exactly)."""
    draws: int = 1
    """Sampled jobs: draws per stratum per batch."""
    max_length: int | None = DEFAULTS.max_length
    """Outputs longer than this (2-D: with more rows or columns) are counted in the totals
    (H, halting times) but not listed; every listed output's D stays exact (None: all)."""
    batches: int = 1
    """Sampled jobs: batches ``ctm run`` computes (``--shards A:B`` sends others); not part
    of the job id, so any set of batches adds up to one table."""
    no_cutoff: bool = False
    """1-D exact jobs: max_steps is the space's proven busy-beaver step count
    (``space.BUSY_BEAVER_STEPS``; filled in when left out), so a machine still running
    then never halts and the table has no step cutoff at all (named ``d{n}x{m}-nocutoff``)."""
    long_from: int | None = DEFAULTS.long_from
    """1-D exact jobs: classes still running after this many steps leave the branching
    walk and run on to max_steps on a compact tape (memory grows with the tape a run
    visits, not with S), after the 'cps' proof had its try. None: every class stays in the
    walk, which allows at most 100,000 steps. Not part of the job id: it changes the work,
    never a count."""
    cps_radius: int = DEFAULTS.cps_radius
    """1-D long runs: the 'cps' proof tries windows of 2 up to cps_radius + 1 cells (0: off).
    Not part of the job id (it changes the work, never a count), except with exact_upto
    away from its default: there it changes which classes wider than exact_upto are
    proven, hence H_high, and the bracket must be reproducible from the job id."""
    cps_history: int = DEFAULTS.cps_history
    """1-D long runs: then the same windows with each cell's last k updates remembered, for
    k = 1, 2, 3, 4, 6, 8, 10, 12 up to cps_history (0: plain windows only). Not part of the
    job id, except with exact_upto away from its default (see cps_radius)."""
    witness_after: int | None = DEFAULTS.witness_after
    """1-D exact jobs: list every class that halts after this many steps (its machine,
    steps and output) beside the table, in ``late_halts.parquet``: e.g. 500 names a
    machine for each string a 500-step table lacks. Part of the job id when set."""
    exact_upto: int | None = DEFAULTS.exact_upto
    """1-D exact jobs without no_cutoff: classes still running at max_steps and at most this
    many cells wide run on until they halt, widen past it or are proven never to halt, so
    every output of at most this many symbols is exact with no cutoff and H is bracketed
    (``KernelSettings.exact_upto``; table ``d{n}x{m}-s{S}-upto{L}``). Part of the job id
    when set."""
    cps_after: int | None = DEFAULTS.cps_after
    """1-D exact jobs: a class still running this many steps into its run (and 16 steps
    after its last branch) tries the 'cps' proof's plain windows then, once, instead of
    only at max_steps (``KernelSettings.cps_after``): the classes it proves stop there,
    which saves their steps up to max_steps. Outputs, halting counts and halting times
    never change, nor (with exact_upto) H_low and H_high; the plain table's ``limit``
    shrinks and its ``proven`` grows by the same number of machines, so it is part of
    the job id when set."""

    def __post_init__(self) -> None:
        """Check every field, raising SpecError naming it and its rule."""
        for name in ("states", "symbols", "max_steps", "parts", "dims", "sample_depth", "draws", "batches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise SpecError(f"{name} should be an integer, got {value!r}")
        if self.mode not in MODES:
            raise SpecError(f"mode should be one of {', '.join(MODES)}, got {self.mode!r}")
        if not isinstance(self.derive, bool):
            raise SpecError(f"derive should be true or false, got {self.derive!r}")
        if self.parts < 1:
            raise SpecError(f"parts should be at least 1, got {self.parts}")
        if self.part_depth is not None and (
            isinstance(self.part_depth, bool) or not isinstance(self.part_depth, int) or self.part_depth < 0
        ):
            raise SpecError(f"part_depth should be an integer of at least 0 (or left out), got {self.part_depth!r}")
        self._check_long()
        try:
            space = self.space
            settings = self.kernel_settings
            if self.mode == "exact":
                settings.check(space)
            else:
                check_steps(space)
        except CTMError as exc:
            raise SpecError(str(exc)) from None
        if self.mode == "sample":
            self._check_sampled()
            return
        if self.seed is not None:
            raise SpecError('seed is for sampled jobs (mode = "sample"); an exact job counts every machine')
        if self.shard_depth is None:
            raise SpecError("shard_depth is missing (an exact job cuts its space into b**shard_depth shards)")
        if isinstance(self.shard_depth, bool) or not isinstance(self.shard_depth, int):
            raise SpecError(f"shard_depth should be an integer, got {self.shard_depth!r}")
        if space.size > MAX_TABLE_MACHINES:
            raise SpecError(
                f"the space {space.label} holds {space.size} machines, more than a table's "
                f'10**38: sample it (mode = "sample"), or count its ranges with `ctm count`'
            )
        if not 0 <= self.shard_depth <= space.entries:
            raise SpecError(f"shard_depth should be between 0 and n*m = {space.entries}, got {self.shard_depth}")
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

    def _check_long(self) -> None:
        """The rules of no_cutoff, and those of long_from and witness_after that need the
        job's mode (the settings' own rules are ``KernelSettings``')."""
        if not isinstance(self.no_cutoff, bool):
            raise SpecError(f"no_cutoff should be true or false, got {self.no_cutoff!r}")
        if self.no_cutoff:
            bound = BUSY_BEAVER_STEPS.get((self.states, self.symbols)) if self.dims == 1 else None
            if bound is None:
                known = ", ".join(f"({n},{m})" for n, m in BUSY_BEAVER_STEPS)
                raise SpecError(
                    f"no_cutoff needs a proven busy-beaver step count; it is known for the 1-D spaces {known}, "
                    f"not for {self.space.label}"
                )
            if self.max_steps != bound:
                raise SpecError(
                    f"no_cutoff: max_steps should be ({self.states},{self.symbols})'s busy-beaver step count "
                    f"{bound} (or left out), got {self.max_steps}"
                )
            if self.mode != "exact":
                raise SpecError("no_cutoff is for exact jobs: a sampled job cannot run every long class to the bound")
        if self.exact_upto is not None and self.no_cutoff:
            raise SpecError(
                f"exact_upto is for jobs with a step cutoff: a no_cutoff job is exact for every output already, "
                f"got exact_upto = {self.exact_upto!r}"
            )
        if self.exact_upto is not None and self.max_length is not None and self.max_length < self.exact_upto:
            raise SpecError(
                f"max_length should be at least exact_upto ({self.exact_upto}) or left out, got {self.max_length}"
            )
        for name in ("long_from", "witness_after", "exact_upto", "cps_after"):
            if getattr(self, name) is not None and (self.dims != 1 or self.mode != "exact"):
                raise SpecError(f"{name} is for exact 1-D jobs, got {name} = {getattr(self, name)!r}")

    def _check_sampled(self) -> None:
        if self.seed is None:
            raise SpecError("seed is missing: a sampled job draws from a seed, e.g. seed = 2014")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise SpecError(f"seed should be an integer from 0 to 2**63 - 1, got {self.seed!r}")
        if not 0 <= self.sample_depth <= MAX_SAMPLE_DEPTH:
            raise SpecError(f"sample_depth should be between 0 and {MAX_SAMPLE_DEPTH}, got {self.sample_depth}")
        if self.draws < 1:
            raise SpecError(f"draws should be at least 1 (draws per stratum per batch), got {self.draws}")
        if self.batches < 1:
            raise SpecError(f"batches should be at least 1, got {self.batches}")
        if self.shard_depth is not None:
            raise SpecError("shard_depth is for exact jobs: a sampled job's shards are its batches")

    @property
    def kernel_settings(self) -> KernelSettings:
        """How the kernel counts this job (every proof, with symmetry); SpecError names a
        setting that breaks its rule."""
        try:
            return KernelSettings(
                max_length=self.max_length,
                long_from=self.long_from,
                cps_radius=self.cps_radius,
                cps_history=self.cps_history,
                witness_after=self.witness_after,
                exact_upto=self.exact_upto,
                cps_after=self.cps_after,
            )
        except CTMError as exc:
            raise SpecError(str(exc)) from None

    @property
    def sampled(self) -> bool:
        """True for a sampled job (mode ``sample``)."""
        return self.mode == "sample"

    @property
    def enumerable(self) -> bool:
        """Whether an exact job could table this space (at most 10**38 machines)."""
        return self.space.size <= MAX_TABLE_MACHINES

    @property
    def space(self) -> Space:
        """The job's space of machines (states, symbols, max_steps, dims)."""
        return Space(self.states, self.symbols, self.max_steps, self.dims)

    @property
    def table(self) -> str:
        """Table name, e.g. ``d5x2-s500``, ``d4x2-2d-s2000`` or ``d4x4-s2000-sampled``."""
        grid = "-2d" if self.dims == 2 else ""
        sampled = "-sampled" if self.sampled else ""
        if self.no_cutoff:
            return f"d{self.states}x{self.symbols}{grid}-nocutoff"
        if self.exact_upto is not None:
            return f"d{self.states}x{self.symbols}-s{self.max_steps}-upto{self.exact_upto}"
        return f"d{self.states}x{self.symbols}{grid}-s{self.max_steps}{sampled}"

    @property
    def job_id(self) -> str:
        """First 16 hex digits of the SHA-256 of the canonical JSON of what changes counts.

        Fields at their defaults that a 1-D exact job never set are left out, so the ids
        of the first jobs (and of their shipped tables) stay as they were."""
        identity = dict(asdict(self), schema=SCHEMA_VERSION)
        for name in ("parts", "part_depth", "batches", "long_from"):
            del identity[name]
        for name in ("cps_radius", "cps_history"):
            # with exact_upto they change H_high (the classes settled), so a bracket is
            # reproducible from its job id; at their defaults the ids stay as they were
            if self.exact_upto is None or getattr(self, name) == getattr(DEFAULTS, name):
                del identity[name]
        if not self.no_cutoff:
            del identity["no_cutoff"]
        if self.witness_after is None:
            del identity["witness_after"]
        if self.cps_after is None:
            del identity["cps_after"]
        if self.exact_upto is None:
            del identity["exact_upto"]
        if self.dims == 1:
            del identity["dims"]
        if self.max_length is None:
            del identity["max_length"]
        if not self.sampled:
            for name in ("mode", "seed", "sample_depth", "draws"):
                del identity[name]
        else:
            for name in ("shard_depth", "derive"):
                del identity[name]
        text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        """The spec's fields as a dict, as the manifest stores it."""
        return asdict(self)


FIELDS = tuple(JobSpec.__dataclass_fields__)
REQUIRED = ("states", "symbols", "max_steps")
SAMPLED_ONLY = ("seed", "sample_depth", "draws", "batches")


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
    if data.get("no_cutoff") is True and "max_steps" not in data:
        bound = BUSY_BEAVER_STEPS.get((data.get("states"), data.get("symbols")))
        if bound is None or data.get("dims", 1) != 1:
            known = ", ".join(f"({n},{m})" for n, m in BUSY_BEAVER_STEPS)
            raise SpecError(
                f"job file {path}: no_cutoff needs a proven busy-beaver step count; it is known for the "
                f"1-D spaces {known}"
            )
        data["max_steps"] = bound
    missing = [f for f in REQUIRED if f not in data]
    if data.get("mode", "exact") == "exact":
        if "shard_depth" not in data:
            missing.append("shard_depth")
        for name in SAMPLED_ONLY:
            if name in data:
                raise SpecError(
                    f'job file {path}: {name} is for sampled jobs (mode = "sample"); an exact job counts every machine'
                )
    if missing:
        raise SpecError(f"job file {path}: {missing[0]} is missing")
    try:
        return JobSpec(**data)
    except CTMError as exc:
        raise SpecError(f"job file {path}: {exc}") from None
