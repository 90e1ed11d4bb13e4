"""Which machine produces a string (pipeline.producer, ``ctm producer``): the kernel's target
lists the classes halting with an output and changes no count; the producer finds the
part whose partial holds a form of the string, walks it again and names a class that the
brute-force simulator, run from the stated blank, sees halt with exactly that string."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.brute import simulate_one
from pipeline.cli import main
from pipeline.errors import CTMError
from pipeline.kernel import SettingsError, count_range, sample_space
from pipeline.partials import open_shard
from pipeline.plan import ShardPlan
from pipeline.producer import Producer, producer, swap_blank
from pipeline.reduce import blank_symbol_sum
from pipeline.settings import KernelSettings
from pipeline.space import Space
from pipeline.spec import JobSpec
from pipeline.tasks import count_here, count_part, partial_files, shard_task

GROUPED = JobSpec(3, 2, 21, shard_depth=2, parts=2)
"""Shards counted in shared walks cut into 2 parts, mirror images and closed units derived."""
WHOLE = JobSpec(3, 2, 21, shard_depth=0)
"""One walk of the whole space: the mirror images are the root's left moves (fold_mirror)."""
UPTO = JobSpec(3, 2, 10, shard_depth=2, exact_upto=6)
"""Outputs of at most 6 symbols exact with no cutoff: some only from the continuation."""
UPTO_WHOLE = JobSpec(3, 2, 10, shard_depth=0, exact_upto=6)
"""The same in one walk, whose continuation counts the root's right moves mirrored too."""
TERNARY = JobSpec(2, 3, 38, shard_depth=2)
"""Three symbols: a string may come from blank 1 or blank 2."""


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """A data root holding the partials of the three jobs, counted here by the pipeline."""
    root = tmp_path_factory.mktemp("producer")
    for spec in (GROUPED, WHOLE, UPTO, UPTO_WHOLE, TERNARY):
        plan = ShardPlan(spec)
        count_here(plan, root, plan.computed())
    return root


def _brute(space: Space, machine: str, blank: int, steps: int) -> tuple[bool, str, int]:
    """The reference simulator's run of a class (its free entries filled with any digit:
    0) from a tape of ``blank`` symbols, for ``steps`` steps."""
    digits = [0 if d is None else d for d in space.parse_text(machine)]
    return simulate_one(space.states, space.symbols, steps, space.number(digits), blank=blank)


def _checked(spec: JobSpec, root: Path, string: str) -> Producer:
    """producer's answer for a string the job produces, checked against brute force: the
    machine from its blank and the walked class from blank 0 halt on the stated step
    with the string and the stated output."""
    space, found = spec.space, producer(spec, root, string)
    assert found is not None, string
    assert found.string == string
    assert _brute(space, found.machine, found.blank, found.steps) == (True, string, found.steps), found
    assert _brute(space, found.walked, 0, found.steps) == (True, found.output, found.steps), found
    swapped = swap_blank(string, found.blank)
    assert found.output == (swapped[::-1] if found.mirrored else swapped)
    assert found.machines == space.base ** found.machine.count("---")
    return found


def _held(spec: JobSpec, root: Path) -> set[str]:
    """Every output in the job's partials (blank 0, counted units only)."""
    plan, held = ShardPlan(spec), set()
    for shard in plan.computed():
        for part in open_shard(plan, root, shard):
            held.update(part.rows["string"].to_pylist())
            if part.upto_rows is not None:
                held.update(part.upto_rows["string"].to_pylist())
    return held


def _complement(string: str) -> str:
    return swap_blank(string, 1)


def _blank0(spec: JobSpec) -> dict[str, int]:
    """count_0(s), every machine from blank 0, from one count of the whole space."""
    counts = count_range(spec.space, 0, spec.space.size, spec.kernel_settings)
    return {**counts.outputs, **counts.upto.get("outputs", {})}


def _whole(spec: JobSpec) -> dict[str, int]:
    """count(s) of the full table (every blank)."""
    return blank_symbol_sum(_blank0(spec), spec.symbols)


@pytest.mark.parametrize("spec", [GROUPED, WHOLE, UPTO, TERNARY], ids=["grouped", "whole", "upto", "ternary"])
def test_every_string_of_the_table_gets_a_machine_that_writes_it(spec, root):
    blank0, counts = _blank0(spec), _whole(spec)
    produced = sorted(counts, key=lambda s: (-counts[s], s))
    chosen = [s for s in produced if len(s) >= 4][:3] + [max(produced, key=lambda s: (len(s), s)), "1", "01"]
    for string in chosen:
        _checked(spec, root, string)
    for blank in range(1, spec.symbols):
        # a string the machines write from this blank only: its answer must start there
        only = [s for s in produced if [c for c in range(spec.symbols) if swap_blank(s, c) in blank0] == [blank]]
        assert _checked(spec, root, only[0]).blank == blank


def test_a_string_the_partials_hold_only_mirrored_or_complemented(root):
    held = _held(GROUPED, root)
    # outputs of the counted units whose other forms no counted unit writes: the string
    # reversed is written only by a derived mirror image, its complement only from blank 1
    alone = sorted(s for s in held if not {s[::-1], _complement(s), _complement(s)[::-1]} & held and s != s[::-1])
    assert alone
    out = alone[0]
    mirrored = _checked(GROUPED, root, out[::-1])
    assert (mirrored.blank, mirrored.mirrored, mirrored.output) == (0, True, out)
    complemented = _checked(GROUPED, root, _complement(out))
    assert (complemented.blank, complemented.mirrored, complemented.output) == (1, False, out)
    both = _checked(GROUPED, root, _complement(out)[::-1])
    assert (both.blank, both.mirrored, both.output) == (1, True, out)


def test_the_whole_walk_names_a_left_move_class_by_its_mirror_image(root):
    """The whole walk lists its root's right moves only: of a string and its reversal, the
    first class listed writes one of them, so one answer is its mirror image."""
    counts = _whole(WHOLE)
    string = min((s for s in counts if len(s) >= 5 and s != s[::-1]), key=lambda s: (-counts[s], s))
    answers = [_checked(WHOLE, root, string), _checked(WHOLE, root, string[::-1])]
    assert answers[0].walked == answers[1].walked
    assert sorted(a.mirrored for a in answers) == [False, True]


@pytest.mark.parametrize("spec", [UPTO, UPTO_WHOLE], ids=["grouped", "whole"])
def test_a_string_only_the_continuation_writes_halts_after_max_steps(spec, root):
    plain = count_range(spec.space, 0, spec.space.size)
    upto = count_range(spec.space, 0, spec.space.size, spec.kernel_settings).upto["outputs"]
    late = [
        s
        for s in sorted(upto, key=lambda s: (-upto[s], s))
        if not {s, s[::-1], _complement(s), _complement(s)[::-1]} & set(plain.outputs)
    ]
    assert len(late) >= 3
    for string in late[:3] + [late[0][::-1]]:
        assert _checked(spec, root, string).steps > spec.max_steps


def test_a_string_no_machine_writes_is_not_produced(root):
    counts = _whole(GROUPED)
    absent = next(s for s in (format(i, "07b") for i in range(128)) if s not in counts)
    assert producer(GROUPED, root, absent) is None
    result = CliRunner().invoke(main, ["producer", _job_file(root, GROUPED), absent, "--data-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert (
        result.output
        == f"{absent}  count=0: not produced by d3x2-s21 (job {GROUPED.job_id}): no partial holds it in any form\n"
    )


def test_a_closed_unit_writes_one_symbol_at_step_one(root):
    found = _checked(GROUPED, root, "1")
    assert (found.steps, found.partial, found.machine) == (1, None, "1H----_------_------")


def test_missing_partials_are_one_line_errors(root, tmp_path):
    with pytest.raises(CTMError, match=r"^no partials of d3x2-s21 \(job [0-9a-f]{16}\) under .*: run the job first"):
        producer(GROUPED, tmp_path / "none", "0110")
    result = CliRunner().invoke(main, ["producer", _job_file(tmp_path, GROUPED), "0110", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: no partials of d3x2-s21")
    # some shards counted: a string not in them may be in the others
    plan = ShardPlan(GROUPED)
    count_here(plan, tmp_path, plan.computed()[:1])
    with pytest.raises(CTMError, match=r"is in none of the partials of d3x2-s21 .* present, but \d+ are missing"):
        producer(GROUPED, tmp_path, "111111")


def test_bad_strings_and_jobs_are_refused(root):
    for string in ("", "0120", "01a"):
        with pytest.raises(CTMError, match="should be a non-empty string of the digits 0..1 of"):
            producer(GROUPED, root, string)
    with pytest.raises(CTMError, match="exact 1-D"):
        producer(JobSpec(2, 2, 10, mode="sample", seed=1), root, "01")


def test_the_cli_names_the_machine(root):
    found = producer(GROUPED, root, "0110")
    result = CliRunner().invoke(main, ["producer", _job_file(root, GROUPED), "0110", "--data-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"0110  machine={found.machine}  blank={found.blank}  steps={found.steps}  machines={found.machines}"
    )
    assert f"part {found.part} of 2 of the walk of shards {found.shards[0]}, " in result.output
    assert "Examples:" in CliRunner().invoke(main, ["producer", "--help"]).output


def _job_file(folder: Path, spec: JobSpec) -> str:
    path = folder / f"job-{spec.job_id}.toml"
    fields = {"states": spec.states, "symbols": spec.symbols, "max_steps": spec.max_steps}
    fields.update(shard_depth=spec.shard_depth, parts=spec.parts)
    if spec.exact_upto is not None:
        fields["exact_upto"] = spec.exact_upto
    path.write_text("".join(f"{k} = {v}\n" for k, v in fields.items()))
    return str(path)


# the kernel's target


def _without_late(counts) -> dict:
    """Everything a count says but its list of late (or producing) classes."""
    fields = {k: v for k, v in vars(counts).items() if k not in ("late", "rows", "space")}
    return {**fields, "outputs": counts.outputs}


@pytest.mark.parametrize(
    ("space", "settings"),
    [
        (Space(3, 2, 21), {}),
        (Space(3, 2, 10), {"exact_upto": 6}),
        (Space(4, 2, 3000), {"long_from": 60, "witness_after": 100}),
        (Space(3, 2, 21), {"symmetry": False, "max_length": 4}),
    ],
    ids=["walk", "exact_upto", "long runs", "no symmetry"],
)
def test_a_target_changes_no_count(space, settings):
    plain = count_range(space, 0, space.size, **settings)
    popular = max(plain.outputs, key=lambda s: (plain.outputs[s], s))
    for target in (popular, popular[::-1], "0" * 7):
        aimed = count_range(space, 0, space.size, **settings, target=target)
        assert _without_late(aimed) == _without_late(plain), target
        assert all(out in (target, target[::-1]) for _, _, out in aimed.late)
        if "max_length" not in settings:  # else longer outputs are listed by the target only
            assert bool(aimed.late) == (target in {**plain.outputs, **plain.upto.get("outputs", {})})


def test_a_target_in_shared_walks_and_parts_changes_no_count():
    plan = ShardPlan(GROUPED)
    group = plan.groups(plan.computed())[0]
    for index in range(2):
        task = shard_task(plan, group, index)
        plain = count_part(task)
        target = max(plain.counts[0].outputs, key=lambda s: (plain.counts[0].outputs[s], s))
        aiming = replace(task, settings=task.settings.but(target=target))
        aimed = count_part(aiming)
        assert [_without_late(c) for c in aimed.counts] == [_without_late(c) for c in plain.counts]
        assert (aimed.classes, aimed.nodes, aimed.steps, aimed.proven_by) == (
            plain.classes,
            plain.nodes,
            plain.steps,
            plain.proven_by,
        )
        assert aimed.late and all(out == target for _, _, out in aimed.late)
        with pytest.raises(ValueError, match="makes no partials"):
            partial_files(aiming, aimed, "here")


def test_the_listed_classes_are_every_machine_writing_the_target():
    """Without symmetry a leaf stands for b**k machines (k free entries): the classes the
    target lists add up to the string's blank-0 count, and brute force runs each one."""
    space = Space(3, 2, 21)
    plain = count_range(space, 0, space.size, symmetry=False)
    for target in sorted(plain.outputs, key=lambda s: (-plain.outputs[s], s))[:2] + ["10111"]:
        late = count_range(space, 0, space.size, symmetry=False, target=target).late
        assert sum(space.base ** digits.count(-1) for digits, _, _ in late) == plain.outputs[target]
        for digits, steps, out in late:
            machine = space.text_of_digits([d if d >= 0 else None for d in digits])
            assert out == target and _brute(space, machine, 0, steps) == (True, target, steps), machine


def test_target_settings_are_checked():
    with pytest.raises(SettingsError, match="target should be a non-empty string of digits"):
        KernelSettings(target="0a1")
    with pytest.raises(SettingsError, match="target should use the symbols 0..1 of"):
        count_range(Space(2, 2, 6), 0, 10, target="012")
    with pytest.raises(SettingsError, match="target is for exact counts"):
        sample_space(Space(2, 2, 6), 1, 0, sample_depth=1, draws=1, target="01")
    with pytest.raises(SettingsError, match="target is for 1-D machines"):
        count_range(Space(2, 2, 6, 2), 0, 10, target="01")
