"""What a run says while it runs: parts left, rate and estimated finish, and its JSON report."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from pipeline.runlog import EVERY, Pace, left_line, write_report

START = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc).timestamp()


def test_the_first_line_says_what_is_left():
    assert (
        left_line(3, 24, 40, 0.6)
        == "left: 3 parts (24 of 40 partials, about 60 % of the expected work); 16 valid partials reused"
    )
    assert left_line(1, 1, 1, None) == "left: 1 part (1 of 1 partials); 0 valid partials reused"


def test_rate_and_finish_from_the_parts_counted_so_far():
    pace = Pace(total=40, began=START)
    assert pace.rate(START + 60) is None and pace.postfix(START + 60) == "" and pace.line(START + EVERY) is None
    for _ in range(10):
        pace.tick()
    # 10 parts in 30 minutes: 20 parts/h, the other 30 in 90 minutes more
    assert pace.rate(START + 1800) == 20.0
    assert pace.finish(START + 1800) == datetime(2025, 3, 1, 14, 0, tzinfo=timezone.utc)
    assert pace.postfix(START + 1800) == "20.0 parts/h, finish ~14:00 UTC"
    assert pace.line(START + 1800) == "counted 10 of 40 parts, 20.0 parts/h, finish ~14:00 UTC"
    assert pace.line(START + 1800 + EVERY / 2) is None, "one line every EVERY seconds"
    slow = Pace(total=1000, began=START, done=1)
    assert slow.postfix(START + 3600) == "1.0 parts/h, finish ~2025-04-12 04:00 UTC"


def test_the_report_is_written_atomically_under_runs(tmp_path):
    path = write_report(tmp_path, "0123456789abcdef", {"computed": [1, 2], "workers": {"tcp://b", "tcp://a"}}, START)
    assert path == tmp_path / "runs" / "0123456789abcdef" / "20250301T120000.000000Z.json"
    assert json.loads(path.read_text()) == {"computed": [1, 2], "workers": ["tcp://a", "tcp://b"]}
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary left"
