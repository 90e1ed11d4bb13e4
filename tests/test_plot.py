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
    result = CliRunner().invoke(main, ["plot", "--table", NAME, "--version", "1", "--out", str(out), "--data-dir", str(root)])
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
