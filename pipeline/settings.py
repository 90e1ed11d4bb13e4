"""What the kernel can hold and how it is asked to count, without the compiled kernel.

The limits (``MAX_STEPS``, ``WALK_STEPS``, ...) and ``KernelSettings``, the one object
that carries a count's settings from the job spec through the plan and the partials to
the kernel's Python face (``pipeline.kernel``). Job specs and plans import this module,
so they never load a compiled kernel; every default of a setting is written here once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from pipeline.space import Space, SpaceError

MAX_RANGE = 2**127
"""Counts are 128-bit inside the kernel; a range this large or larger is refused."""

MAX_STEPS = 100_000_000
"""The kernel keeps a tape and a journal of S cells; beyond this it would not fit."""

MAX_STEPS_2D = 5_000
"""The 2-D kernel keeps a grid of (2S+3)**2 cells (and a 4-byte mark per cell)."""

WALK_STEPS = 100_000
"""A 1-D walk keeps a tape, journal and records of S cells and a halting-time histogram of
S counters per accumulator; a longer limit needs ``long_from``."""

MAX_CPS_RADIUS = 8
"""The widest window the 'cps' proof tries is MAX_CPS_RADIUS + 1 cells."""

MAX_CPS_HISTORY = 12
"""The most updates per cell the 'cps' proof remembers."""

MAX_EXACT_UPTO = 32
"""The longest outputs ``exact_upto`` makes exact."""

MAX_UPTO_BOUND = 2**40
"""The most steps n*L*m**L the continuation of ``exact_upto`` may need (the pigeonhole bound)."""


class SettingsError(SpaceError):
    """A kernel setting that breaks its rule; the message names the setting."""


def check_steps(space: Space) -> None:
    """Refuse a step limit the space's kernel cannot hold (SpaceError)."""
    limit = MAX_STEPS if space.dims == 1 else MAX_STEPS_2D
    if space.max_steps > limit:
        grid = "" if space.dims == 1 else " for a 2-D space"
        raise SpaceError(f"max_steps should be at most {limit}{grid}, got {space.max_steps}")


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class KernelSettings:
    """How the kernel counts a space. None of these changes a count: max_length only
    leaves long outputs unlisted, witness_after adds a list of late halts, target a list
    of the classes producing one output.

    Built once (from a job spec: ``JobSpec.kernel_settings``, or with keywords) and passed
    whole to ``count_range``, ``count_shared_top`` and ``sample_space``. Each field is
    checked when the object is made (SettingsError names the field and its rule); the
    rules that need the space (``long_from`` below max_steps, ...) are ``check(space)``.
    """

    proofs: tuple[str, ...] | None = None
    """Names of the non-halting proofs to try (``kernel.PROOFS``); None: all, (): none."""
    symmetry: bool = True
    """Rename free states inside blocks (and use the tape's or grid's symmetries)."""
    max_length: int | None = None
    """Outputs longer than this (2-D: more rows or columns) count in the totals only; None: list all."""
    long_from: int | None = None
    """1-D: classes still running after this many steps leave the walk and run on; None: none do."""
    cps_radius: int = 4
    """1-D long runs: the 'cps' proof tries windows of 2 up to cps_radius + 1 cells (0: off)."""
    cps_history: int = 12
    """1-D long runs: then windows remembering each cell's last 1, 2, 3, 4, 6, 8, 10, 12 updates up to this (0: none)."""
    cps_after: int | None = None
    """1-D exact: a class still running this many steps into its run (and 16 steps after
    its last branch) tries the 'cps' proof's plain windows then, once, instead of only
    at the step limit; a class it proves counts in ``proven`` instead of ``limit``.
    Outputs, halting counts and times never change; None: off."""
    witness_after: int | None = None
    """1-D: list the classes that halt after this many steps (machine, steps, output); None: none."""
    exact_upto: int | None = None
    """1-D, no long_from: classes still running at max_steps and at most this many cells wide
    run on until they halt, widen past it or are proven never to halt (the pigeonhole
    bound n*w*m**w at width w among the proofs), so every output of at most this many
    symbols is counted exactly with no cutoff (``RangeCounts.upto``); None: off. The
    plain counts are unchanged."""
    settle_wide: bool = True
    """exact_upto: let the closed graph and 'cps' try classes wider than exact_upto at
    max_steps (they are not followed): each one proven narrows H_high; no count changes."""
    target: str | None = None
    """1-D, exact: list in ``late`` instead of the late halts the classes that halt with
    exactly this output (digits, blank 0), at any step (``pipeline.producer``); never
    part of a job or its id, and no count changes; None: off."""

    def __post_init__(self) -> None:
        """Check every setting, raising SettingsError naming it and its rule."""
        proofs = self.proofs
        if proofs is not None:
            if isinstance(proofs, str) or not all(isinstance(p, str) for p in _iterable(proofs, "proofs")):
                raise SettingsError(f"proofs should be a list of proof names (or None: all of them), got {proofs!r}")
            object.__setattr__(self, "proofs", tuple(proofs))
        for name in ("symmetry", "settle_wide"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name} should be true or false, got {getattr(self, name)!r}")
        for name, low, rule in (
            ("max_length", 1, "a positive integer (or None: list every output)"),
            ("long_from", 1, "a positive integer (or None: every class stays in the walk)"),
            ("witness_after", 0, "an integer from 0 (or None: list no late halts)"),
            ("cps_after", 1, "a positive integer (or None: 'cps' only at the step limit)"),
            ("exact_upto", 1, f"an integer from 1 to {MAX_EXACT_UPTO} (or None: no continuation)"),
        ):
            value = getattr(self, name)
            if value is not None and (not _integer(value) or value < low):
                raise SettingsError(f"{name} should be {rule}, got {value!r}")
        if self.exact_upto is not None:
            if self.exact_upto > MAX_EXACT_UPTO:
                raise SettingsError(
                    f"exact_upto should be an integer from 1 to {MAX_EXACT_UPTO} (or None: no continuation), "
                    f"got {self.exact_upto!r}"
                )
            if self.long_from is not None:
                raise SettingsError(
                    f"exact_upto takes no long_from: its continuation starts at max_steps, got long_from = {self.long_from}"
                )
            if self.max_length is not None and self.max_length < self.exact_upto:
                raise SettingsError(
                    f"max_length should be at least exact_upto ({self.exact_upto}) or None, got {self.max_length}"
                )
        target = self.target
        if target is not None and (
            not isinstance(target, str) or not target or not target.isascii() or not target.isdigit()
        ):
            raise SettingsError(f"target should be a non-empty string of digits (an output, blank 0), got {target!r}")
        for name, top, zero in (
            ("cps_radius", MAX_CPS_RADIUS, "off"),
            ("cps_history", MAX_CPS_HISTORY, "plain windows"),
        ):
            value = getattr(self, name)
            if not _integer(value) or not 0 <= value <= top:
                raise SettingsError(f"{name} should be an integer from 0 ({zero}) to {top}, got {value!r}")

    def but(self, **changes) -> KernelSettings:
        """These settings with ``changes`` (field name -> value), checked again."""
        known = {f.name for f in fields(self)}
        for name in changes:
            if name not in known:
                raise TypeError(f"unknown kernel setting {name!r}; settings are {', '.join(sorted(known))}")
        return replace(self, **changes) if changes else self

    def check(self, space: Space) -> None:
        """The rules that need the space: its step limit, long_from and witness_after below
        max_steps and only in 1-D, long_from where a walk would outgrow WALK_STEPS, and a
        target of the space's symbols."""
        check_steps(space)
        if space.dims != 1:
            for name in ("long_from", "witness_after", "exact_upto", "target", "cps_after"):
                if getattr(self, name) is not None:
                    raise SettingsError(
                        f"{name} is for 1-D machines, got {name} = {getattr(self, name)} for {space.label}"
                    )
            return
        if self.long_from is None:
            if space.max_steps > WALK_STEPS:
                raise SettingsError(
                    f"max_steps {space.max_steps} is more than a walk holds ({WALK_STEPS}): set long_from "
                    f"(e.g. 4100) so that long runs leave the walk"
                )
        elif not self.long_from < space.max_steps:
            raise SettingsError(
                f"long_from should be an integer from 1 to max_steps - 1 = {space.max_steps - 1}, got {self.long_from}"
            )
        elif self.long_from > WALK_STEPS:
            raise SettingsError(
                f"long_from should be at most {WALK_STEPS} (the walk keeps that many steps), got {self.long_from}"
            )
        if self.exact_upto is not None:
            bound = space.states * self.exact_upto * space.symbols**self.exact_upto
            if bound > MAX_UPTO_BOUND:
                raise SettingsError(
                    f"exact_upto = {self.exact_upto} lets a run of {space.label} go on for n*L*m**L = {bound} steps, "
                    f"more than {MAX_UPTO_BOUND}: choose a smaller exact_upto"
                )
        if self.target is not None and max(map(int, self.target)) >= space.symbols:
            raise SettingsError(
                f"target should use the symbols 0..{space.symbols - 1} of {space.label}, got {self.target!r}"
            )
        if self.witness_after is not None and not self.witness_after < space.max_steps:
            raise SettingsError(
                f"witness_after should be an integer from 0 to max_steps - 1 = {space.max_steps - 1}, got {self.witness_after}"
            )


def _iterable(value: object, name: str) -> tuple:
    try:
        return tuple(value)
    except TypeError:
        raise SettingsError(f"{name} should be a list of proof names (or None: all of them), got {value!r}") from None


def settings_of(settings: KernelSettings | None, changes: dict) -> KernelSettings:
    """``settings`` (default: the defaults) with keyword ``changes``: how the kernel's
    functions take either one object or single settings by name."""
    if settings is not None and not isinstance(settings, KernelSettings):
        raise TypeError(f"settings should be a KernelSettings, got {type(settings).__name__}")
    return (settings or DEFAULTS).but(**changes)


DEFAULTS = KernelSettings()
"""Every setting at its default."""

__all__ = [
    "DEFAULTS",
    "KernelSettings",
    "MAX_EXACT_UPTO",
    "MAX_RANGE",
    "MAX_STEPS",
    "MAX_STEPS_2D",
    "SettingsError",
    "WALK_STEPS",
    "check_steps",
    "settings_of",
]
