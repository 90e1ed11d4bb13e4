"""Kernel settings: one self-validating object, defaults written once, carried whole from
the job spec through the plan and the task to the kernel, and counts that do not depend
on whether it came as an object or by name."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from pipeline.batches import batch_task
from pipeline.flow import FLOWS, flow_of, plan_of
from pipeline.kernel import count_range, count_shared_top, sample_space
from pipeline.plan import ShardPlan
from pipeline.settings import DEFAULTS, WALK_STEPS, KernelSettings, SettingsError
from pipeline.space import Space, SpaceError
from pipeline.spec import JobSpec, SpecError
from pipeline.tasks import count_part, shard_task


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"cps_history": 13}, "cps_history should be an integer from 0 (plain windows) to 12, got 13"),
        ({"cps_radius": -1}, "cps_radius should be an integer from 0 (off) to 8, got -1"),
        ({"cps_radius": 2.0}, "cps_radius should be an integer from 0 (off) to 8, got 2.0"),
        ({"long_from": 0}, "long_from should be a positive integer (or None: every class stays in the walk), got 0"),
        ({"max_length": True}, "max_length should be a positive integer (or None: list every output), got True"),
        ({"witness_after": -3}, "witness_after should be an integer from 0 (or None: list no late halts), got -3"),
        ({"symmetry": 1}, "symmetry should be true or false, got 1"),
        ({"proofs": "cycle"}, "proofs should be a list of proof names (or None: all of them), got 'cycle'"),
        ({"proofs": 3}, "proofs should be a list of proof names (or None: all of them), got 3"),
    ],
)
def test_each_rule_names_the_field(fields, message):
    with pytest.raises(SettingsError, match="^" + re.escape(message) + "$"):
        KernelSettings(**fields)


@pytest.mark.parametrize(
    "space, fields, message",
    [
        (Space(3, 2, 21), {"long_from": 21}, "long_from should be an integer from 1 to max_steps - 1 = 20, got 21"),
        (
            Space(3, 2, 21),
            {"witness_after": 21},
            "witness_after should be an integer from 0 to max_steps - 1 = 20, got 21",
        ),
        (
            Space(2, 2, WALK_STEPS + 1),
            {},
            f"max_steps {WALK_STEPS + 1} is more than a walk holds ({WALK_STEPS}): set long_from",
        ),
        (Space(2, 2, 3 * WALK_STEPS), {"long_from": WALK_STEPS + 1}, f"long_from should be at most {WALK_STEPS}"),
        (Space(2, 2, 10, dims=2), {"long_from": 5}, "long_from is for 1-D machines"),
        (Space(2, 2, 6000, dims=2), {}, "max_steps should be at most 5000 for a 2-D space, got 6000"),
    ],
)
def test_the_rules_that_need_the_space(space, fields, message):
    settings = KernelSettings(**fields)
    with pytest.raises(SpaceError, match=re.escape(message)):
        settings.check(space)


def test_defaults_are_written_once():
    """A job spec's kernel fields default to KernelSettings' own defaults."""
    spec_defaults = {f.name: f.default for f in dataclasses.fields(JobSpec)}
    for field in dataclasses.fields(KernelSettings):
        if field.name in spec_defaults:
            assert spec_defaults[field.name] == field.default == getattr(DEFAULTS, field.name)
    assert JobSpec(3, 2, 21, 1).kernel_settings == DEFAULTS
    with pytest.raises(SpecError, match="cps_history should be an integer from 0 \\(plain windows\\) to 12, got 13"):
        JobSpec(3, 2, 21, 1, cps_history=13)


def test_one_object_travels_from_spec_to_kernel():
    spec = JobSpec(3, 2, 21, 2, long_from=6, cps_radius=2, cps_history=3, witness_after=10, max_length=4)
    plan = plan_of(spec)
    assert isinstance(plan, ShardPlan) and plan.settings == spec.kernel_settings
    task = shard_task(plan, [s for s in plan.computed()][:1])
    assert task.settings is plan.settings
    counted = count_part(task).counts[0]
    start, stop = plan.range(task.shards[0])
    by_name = count_range(
        spec.space, start, stop, long_from=6, cps_radius=2, cps_history=3, witness_after=10, max_length=4
    )
    as_object = count_range(spec.space, start, stop, plan.settings)
    for got in (by_name, as_object):
        assert (got.outputs, got.halting, got.limit, got.proven) == (
            counted.outputs,
            counted.halting,
            counted.limit,
            counted.proven,
        )
    assert by_name.late == as_object.late and by_name.long == as_object.long
    assert as_object.late and all(steps > 10 for _, steps, _ in as_object.late)
    assert max(map(len, as_object.outputs)) <= 4 and as_object.long["from"] == 6


def test_names_replace_the_objects_fields():
    space = Space(2, 2, 6)
    plain = count_range(space, 0, space.size, KernelSettings(proofs=()), proofs=("cycle",))
    assert plain.proven_by["cycle"] > 0 and sum(plain.proven_by.values()) == plain.proven_by["cycle"]
    with pytest.raises(TypeError, match="unknown kernel setting 'cps_radus'"):
        count_range(space, 0, space.size, cps_radus=3)
    with pytest.raises(TypeError, match="settings should be a KernelSettings, got dict"):
        count_range(space, 0, space.size, {"long_from": 3})
    shared = count_shared_top(space, [(0, space.size // space.base)], KernelSettings(max_length=2))
    assert max(map(len, shared.counts[0].outputs)) <= 2


def test_sampling_refuses_the_exact_only_settings():
    space = Space(2, 2, 6)
    with pytest.raises(SettingsError, match="long_from is for exact counts, not for sampling; got long_from = 3"):
        sample_space(space, 1, 0, sample_depth=1, draws=1, long_from=3)
    got = sample_space(space, 1, 0, KernelSettings(max_length=1), sample_depth=1, draws=1)
    assert got.outputs and all(len(key) <= 1 for key in got.outputs)


def test_the_mode_picks_the_flow_once():
    exact = JobSpec(2, 2, 6, 1)
    sampled = JobSpec(2, 2, 6, mode="sample", seed=7)
    assert flow_of(exact) is FLOWS["exact"] and flow_of(sampled) is FLOWS["sample"]
    assert set(FLOWS) == {"exact", "sample"} and {f.mode for f in FLOWS.values()} == set(FLOWS)
    plan = plan_of(sampled)
    assert plan.shards == 1 and batch_task(plan, [0]).settings == sampled.kernel_settings


def _docstrings_follow(body: list, kind: type) -> list[str]:
    """Names of ``kind`` statements (fields, constants) in ``body`` not followed by their
    own docstring, and of strings that follow another string (a docstring misplaced)."""
    wrong = []
    for i, node in enumerate(body):
        after = body[i + 1] if i + 1 < len(body) else None
        is_text = (
            isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)
        )
        target = getattr(node, "target", None) or (node.targets[0] if isinstance(node, ast.Assign) else None)
        if isinstance(node, kind) and target.id != "__all__" and not is_text:
            wrong.append(target.id)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and is_text and i:
            wrong.append(f"a second string after line {node.lineno}")
    return wrong


def test_every_setting_and_limit_has_its_own_docstring():
    """A field's docstring follows it (spec.py once had cps_history's after witness_after)."""
    root = Path(__file__).resolve().parent.parent / "pipeline"
    classes = {
        "settings.py": "KernelSettings",
        "spec.py": "JobSpec",
    }
    for name, cls in classes.items():
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        (body,) = [n.body for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls]
        assert _docstrings_follow(body[1:], ast.AnnAssign) == [], f"{name}: {cls}"
    settings = ast.parse((root / "settings.py").read_text(encoding="utf-8"))
    limits = [
        n
        for n in settings.body
        if isinstance(n, ast.Assign) and n.targets[0].id.isupper() and n.targets[0].id != "DEFAULTS"
    ]
    assert {n.targets[0].id for n in limits} >= {"MAX_RANGE", "MAX_STEPS", "MAX_STEPS_2D", "WALK_STEPS"}
    assert _docstrings_follow(settings.body, ast.Assign) == []
