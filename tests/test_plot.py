"""Figures of a table version: three PNG files of the documented size that are not blank."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.image import imread
from toytable import TOY, TOY_TIMES, write_table

from pipeline.cli import main
from pipeline.errors import CTMError
from pipeline.plot import SIZE, plot_table

NAME = "d3x2-s7"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def root(tmp_path):
    write_table(tmp_path, NAME, TOY, halting_times=TOY_TIMES)
    return tmp_path


def png_size(path) -> tuple[int, int]:
    """Width and height from the PNG header (signature, then the IHDR chunk)."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def assert_drawn(path) -> None:
    """The image has many colours and a fair share of non-white pixels."""
    pixels = imread(path)[..., :3]
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    inked = (pixels < 0.9).any(axis=-1).mean()
    assert len(colours) > 20 and inked > 0.01, f"{path} looks blank ({len(colours)} colours, {inked:.3%} inked)"


def test_plot_table_writes_three_pngs_of_the_documented_size(root, tmp_path):
    paths = plot_table(NAME, out=tmp_path / "figures", data_dir=root)
    assert [p.name for p in paths] == [f"{NAME}-v1-rank.png", f"{NAME}-v1-length.png", f"{NAME}-v1-halting.png"]
    for path in paths:
        assert path.is_file()
        assert png_size(path) == SIZE == (800, 500)
        assert_drawn(path)


def test_ctm_plot_prints_the_paths_it_wrote(root, tmp_path):
    out = tmp_path / "plots"
    result = CliRunner().invoke(
        main, ["plot", "--table", NAME, "--version", "1", "--out", str(out), "--data-dir", str(root)]
    )
    assert result.exit_code == 0, result.output
    written = result.output.split()
    assert len(written) == 3 and all((out / p.split("/")[-1]).is_file() for p in written)


def test_plot_of_an_unknown_version_is_a_clear_error(root, tmp_path):
    with pytest.raises(CTMError, match="version"):
        plot_table(NAME, 4, tmp_path, data_dir=root)
    result = CliRunner().invoke(main, ["plot", "--table", NAME, "--version", "4", "--data-dir", str(root)])
    assert result.exit_code == 2 and result.output.startswith("error: ")


def test_a_2d_table_also_plots_its_3x3_matrices(tmp_path, monkeypatch):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "none"))
    paths = plot_table("d4x2-2d-s2000", out=tmp_path)
    assert [p.name for p in paths][-1] == "d4x2-2d-s2000-v1-3x3.png"
    for path in paths:
        assert png_size(path) == SIZE
        assert_drawn(path)


# -- sampled and long-output tables (issue 21) --------------------------------------------


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    monkeypatch.setenv("CTM_DATA_DIR", str(tmp_path / "none"))


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_sampled_table_draws_patterns_with_standard_error_bars(shipped):
    import pandas as pd

    from pipeline.plot import SE_LABEL, draw_halting, draw_length, draw_rank
    from pipeline.query import open_table

    tab = open_table("d4x4-s2000-sampled")
    (ax,) = draw_length(tab).axes
    assert texts(ax) == [
        "patterns",
        "mean K over strings (pattern weighted by its size)",
        f"{SE_LABEL} of each pattern's K",
        f"{SE_LABEL} of the mean (upper bound)",
    ]
    rows = pd.read_parquet(tab.folder / "table.parquet")
    want = (rows.K * rows["size"]).groupby(rows.length).sum() / rows["size"].groupby(rows.length).sum()
    (mean,) = [line for line in ax.get_lines() if line.get_label().startswith("mean K")]
    assert mean.get_xdata().tolist() == want.index.tolist() and mean.get_ydata() == pytest.approx(want.to_numpy())
    assert "patterns" in ax.get_title() and ax.get_xscale() == "linear"
    (ax,) = draw_rank(tab).axes
    assert (
        texts(ax) == ["D of each string of the pattern", SE_LABEL]
        and ax.get_xlabel() == "rank (1 = most frequent pattern)"
    )
    (ax,) = draw_halting(tab).axes
    assert ax.get_ylabel() == "share of the space (estimated)" and "a share 0.3248" in ax.get_title()


def test_unreliable_rows_are_left_out_and_titles_fit(shipped):
    from pipeline.plot import TITLE_WIDTH, draw_rank
    from pipeline.query import open_table

    tab = open_table("d5x2-2d-s2000-sampled")
    (ax,) = draw_rank(tab).axes
    (line,) = [line for line in ax.get_lines() if line.get_label() == "D of each string of the pattern"]
    assert line.get_xdata().size == int(tab.reliable.sum()) < len(tab.strings)
    title = ax.get_title()
    assert f"{len(tab.strings) - int(tab.reliable.sum()):,} patterns with K_se > 0.5 bits left out" in title.replace(
        "\n", " "
    )
    assert all(len(part) <= TITLE_WIDTH for part in title.splitlines()) and "\n" in title


def test_a_no_cutoff_table_draws_lengths_on_a_log_axis(shipped):
    from pipeline.plot import draw_length
    from pipeline.query import open_table

    (ax,) = draw_length(open_table("d5x2-nocutoff")).axes
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "string length (log scale)"
    assert texts(ax) == ["strings", "mean K"]


def test_plot_out_to_a_file_or_below_one_is_a_one_line_error(root, tmp_path):
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"not a folder")
    for out, message in ((taken, "is a file, not a folder"), (taken / "sub", "cannot make the folder")):
        result = CliRunner().invoke(main, ["plot", "--table", NAME, "--out", str(out), "--data-dir", str(root)])
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1, result.output
        assert (
            result.stderr.startswith(f"error: --out {out} " if "file" in message else "error: cannot make")
            and message in result.stderr
        )
    assert taken.read_bytes() == b"not a folder"
