"""The plot of a finding: its series as bars, the baseline it was scored against, the test
bin marked; drawn with the Agg backend and checked in the figure and in the PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib import colors as mcolors
from matplotlib import dates as mdates
from matplotlib import image as mimage
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from notebook_support import Demo

from lookup.models import Anomaly
from lookup.notebook import plot_finding
from lookup.notebook.plot import finding_baseline

TEST_RED = mcolors.to_rgba("#c0392b")


def finding(demo: Demo, *, hourly: bool) -> Anomaly:
    step = 3600 if hourly else 86400
    return next(a for a in demo.local_report.anomalies if a.step.total_seconds() == step)


def bars(ax: Axes) -> list[Rectangle]:
    """The bars of the series (the test bin's span is a patch too, but no bar)."""
    (container,) = ax.containers
    return list(container)


@pytest.mark.parametrize("hourly", [False, True], ids=["daily", "hourly"])
def test_plot_shows_series_baseline_and_the_test_bin(
    demo: Demo, tmp_path: Path, hourly: bool
) -> None:
    anomaly = finding(demo, hourly=hourly)
    figure = plot_finding(demo.local_report, anomaly.rank)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes

    # One bar per bin with its count; the last one, the test bin, in red.
    series = list(anomaly.series)
    assert [p.get_height() for p in bars(ax)] == series
    test_bar = bars(ax)[-1]
    assert test_bar.get_height() == anomaly.actual
    assert test_bar.get_facecolor() == TEST_RED
    assert mdates.num2date(test_bar.get_x()) == anomaly.bin_start

    # The baseline is the scoring's own: its last point is the finding's expected count.
    starts, counts, baseline, _flags = finding_baseline(demo.local_report, anomaly.rank)
    assert list(counts) == series and starts[-1] == anomaly.bin_start
    assert baseline[-1] == pytest.approx(anomaly.expected, abs=1e-9)
    line = next(line for line in ax.lines if line.get_label().startswith("baseline"))
    assert np.allclose(np.asarray(line.get_ydata(), dtype=float), baseline)

    # Titles name who, where and what; the annotation says actual vs expected and score.
    title = ax.get_title(loc="left")
    assert anomaly.entity in title and anomaly.table in title and anomaly.column in title
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "score" in texts and "vs ~" in texts
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("test hour" if hourly else "test day") for t in legend)

    # The PNG has the red test bar at the right, low in the picture (the legend's red
    # patch is high up on the left).
    png = tmp_path / f"finding-{anomaly.rank}.png"
    figure.savefig(png, dpi=80)
    pixels = mimage.imread(png)[..., :3]
    pixels = pixels[int(pixels.shape[0] * 0.6) : int(pixels.shape[0] * 0.8)]
    red = np.all(np.abs(pixels - np.asarray(TEST_RED[:3])) < 0.02, axis=-1)
    columns = np.flatnonzero(red.any(axis=0))
    assert columns.size and columns.min() > pixels.shape[1] * 0.6


def test_plot_into_given_axes_and_unknown_rank(demo: Demo) -> None:
    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert plot_finding(demo.local_report, 1, ax=left) is figure
    assert plot_finding(demo.local_report, 2, ax=right) is figure
    assert left.get_title(loc="left").startswith("#1 ")
    with pytest.raises(ValueError, match="no finding ranked 999"):
        plot_finding(demo.local_report, 999)
