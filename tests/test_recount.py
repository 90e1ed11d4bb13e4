"""``ctm recount`` counts stored parts again with this build: equal partials pass, a
partial that differs in any total or row is named with its fields (exit status 1)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import CTMError
from pipeline.partials import META_KEY, part_names, partials_dir
from pipeline.plan import ShardPlan
from pipeline.recount import pick, recount, stored_parts
from pipeline.spec import JobSpec
from pipeline.tasks import count_here

SPEC = JobSpec(3, 2, 21, 2, parts=3)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("recount")
    plan = ShardPlan(SPEC)
    count_here(plan, root, plan.computed())
    (root / "job.toml").write_text("states = 3\nsymbols = 2\nmax_steps = 21\nshard_depth = 2\nparts = 3\n")
    return root


def test_every_stored_part_counts_the_same_again(root):
    plan = ShardPlan(SPEC)
    stored = stored_parts(plan, root)
    assert len(stored) == len(plan.groups(plan.computed())) * 3
    for group, part in stored:
        got = recount(plan, root, group, part)
        assert got.same and sorted(got.differ) == sorted(group), (group, part)


def test_a_partial_that_differs_is_named_with_its_fields(root, tmp_path):
    import shutil

    shutil.copytree(root, tmp_path / "r")
    plan = ShardPlan(SPEC)
    group, part = stored_parts(plan, tmp_path / "r")[1]
    path = partials_dir(tmp_path / "r", SPEC.job_id) / part_names(plan, group[0])[part]
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[META_KEY])
    meta["halting"] += 1
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, META_KEY: json.dumps(meta)}), path)
    got = recount(plan, tmp_path / "r", group, part)
    assert not got.same and got.differ[group[0]] == ["halting"]
    assert all(not keys for shard, keys in got.differ.items() if shard != group[0])
    result = CliRunner().invoke(
        main, ["recount", str(root / "job.toml"), "--data-dir", str(tmp_path / "r"), "--part", f"{group[0]}:{part}"]
    )
    assert result.exit_code == 1
    assert f"DIFFERENT, e.g. shard {group[0]}: halting" in result.output
    assert "0 of 1 parts counted again are the same" in result.output


def test_the_command_draws_stored_parts(root):
    result = CliRunner().invoke(main, ["recount", str(root / "job.toml"), "--data-dir", str(root), "--sample", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.count(": the same partials (") == 2
    assert "2 of 2 parts counted again are the same" in result.output
    plan = ShardPlan(SPEC)
    assert pick(plan, root, 2, 1) == pick(plan, root, 2, 1) and len(pick(plan, root, 99, 1)) == len(
        stored_parts(plan, root)
    )


@pytest.mark.parametrize(
    "part, message",
    [
        ("7", "--part '7' should be SHARD:PART, two numbers, e.g. 7:192"),
        ("9999:0", "--part '9999:0': shard 9999 is not one the job counts"),
    ],
)
def test_bad_parts_are_one_line(root, part, message):
    result = CliRunner().invoke(main, ["recount", str(root / "job.toml"), "--data-dir", str(root), "--part", part])
    assert result.exit_code == 2 and message in result.output and len(result.output.strip().splitlines()) == 1


def test_nothing_stored_is_an_error(tmp_path):
    with pytest.raises(CTMError, match="no part of d3x2-s21 is stored under"):
        pick(ShardPlan(SPEC), tmp_path, 2, 1)
