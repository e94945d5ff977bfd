"""The picture of one finding: its count series, the baseline, the test bin marked.

:func:`plot_finding` draws what an analyst wants to see before running the drill-down KQL:
rows per bin for the entity and the value, the baseline the score was measured against
(Kusto's ``series_decompose_anomalies`` baseline, recomputed from the series exactly as the
engine scored it), the test bin highlighted with its count against the expected one, and
any earlier bin that was flagged too. matplotlib is imported on call (the ``[notebook]``
extra); the figure is a plain :class:`matplotlib.figure.Figure`, shown by Jupyter when it
is a cell's value and saved with ``fig.savefig(...)``.
"""

from __future__ import annotations

import math
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from lookup.models import Anomaly, timespan_label
from lookup.render._common import actual_vs_expected, display_text, fmt_count, fmt_score
from lookup.report import Report
from lookup.scoring import series_decompose_anomalies

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["finding_baseline", "plot_finding"]

_BAR = "#9db4cc"
_TEST = "#c0392b"
_BASELINE = "#e67e22"
_FLAGGED = "#7d3c98"
_TITLE_CHARS = 90


def _finding(report: Report, rank: int) -> Anomaly:
    for anomaly in report.anomalies:
        if anomaly.rank == rank:
            return anomaly
    ranks = sorted(a.rank for a in report.anomalies)
    held = f"ranks {ranks[0]} to {ranks[-1]}" if ranks else "no findings"
    raise ValueError(f"no finding ranked {rank} in this report ({held})")


def _threshold(report: Report) -> float:
    try:
        value = float(report.settings.get("threshold", "1.5"))
    except ValueError:
        return 1.5
    return value if math.isfinite(value) else 1.5


def finding_baseline(
    report: Report, rank: int
) -> tuple[list[datetime], np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, Any], Any]:
    """Bin starts, counts, baseline and flags of a finding's series, as the engine scored it.

    Raises:
        ValueError: the report holds no finding of that rank.
    """
    anomaly = _finding(report, rank)
    counts = np.asarray(anomaly.series, dtype=np.float64)
    flags, _scores, baseline = series_decompose_anomalies(counts, _threshold(report), -1, "avg", 1)
    last = len(counts) - 1
    starts = [anomaly.bin_start - anomaly.step * (last - i) for i in range(len(counts))]
    return starts, counts, np.asarray(baseline, dtype=np.float64), np.asarray(flags)


def _step_name(step: timedelta) -> str:
    try:
        return {"1d": "day", "1h": "hour"}.get(timespan_label(step), timespan_label(step))
    except ValueError:
        return str(step)


def _history_text(history: np.ndarray[Any, np.dtype[np.float64]], name: str) -> str:
    """What the bins before the test bin held, in one line."""
    if not history.any():
        return f"{len(history)} earlier {name}s: never seen"
    low, high = fmt_count(float(history.min())), fmt_count(float(history.max()))
    return f"{len(history)} earlier {name}s: {low} to {high} rows, mean {history.mean():.2g}"


def _titles(anomaly: Anomaly) -> tuple[str, str]:
    head = f"#{anomaly.rank}  {anomaly.entity}  ·  {anomaly.table}"
    what = f"{anomaly.column} = {anomaly.value}"
    if anomaly.related:
        same = "; ".join(f"{c} = {v}" for c, v in anomaly.related)
        what += f"  (same rows: {same})"
    return display_text(head, _TITLE_CHARS), display_text(what, _TITLE_CHARS + 20)


def _show_in_jupyter() -> None:
    """In IPython, load matplotlib's backend, which sets up how IPython shows a figure.

    The figure is made without pyplot, so Jupyter shows it once, as the cell's value; but
    the inline backend registers its figure display only when pyplot loads it.
    """
    shell = sys.modules.get("IPython")
    if shell is None or shell.get_ipython() is None:
        return
    import matplotlib
    from matplotlib import pyplot

    pyplot.switch_backend(matplotlib.get_backend())


def plot_finding(report: Report, rank: int = 1, *, ax: Axes | None = None) -> Figure:
    """Draw the finding ranked ``rank``: its series, baseline and test bin.

    Args:
        report: a lookup's report.
        rank: the finding's rank (1 is the top finding).
        ax: draw into these axes (a grid of findings) instead of a new figure.

    Returns:
        The figure drawn on.

    Raises:
        ValueError: the report holds no finding of that rank.
        ImportError: matplotlib is not installed (the ``[notebook]`` extra).
    """
    try:
        from matplotlib import dates as mdates
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError as exc:  # pragma: no cover - depends on the install extras
        raise ImportError(
            "plots need matplotlib: pip install 'sentinel-anomaly-lookup[notebook]'"
        ) from exc
    anomaly = _finding(report, rank)
    starts, counts, baseline, flags = finding_baseline(report, rank)
    _show_in_jupyter()
    if ax is None:
        figure = Figure(figsize=(9.0, 3.8), layout="constrained")
        ax = figure.add_subplot()
    # x in matplotlib's date numbers (days), so widths and spans are plain floats.
    left = np.asarray(mdates.date2num(starts), dtype=np.float64)  # type: ignore[no-untyped-call]
    width = anomaly.step / timedelta(days=1)
    centres = left + width / 2
    colours = [_BAR] * (len(counts) - 1) + [_TEST]
    ax.bar(left, counts, width=width * 0.85, align="edge", color=colours, zorder=2)
    ax.plot(centres, baseline, color=_BASELINE, linestyle="--", linewidth=1.6, zorder=3,
            label="baseline (what the score expects)")  # fmt: skip
    ax.plot([centres[-1]], [anomaly.expected], marker="_", markersize=22, mew=2.5,
            color=_BASELINE, linestyle="none", zorder=4)  # fmt: skip
    earlier = [i for i in range(len(counts) - 1) if flags[i]]
    if earlier:
        ax.plot(centres[earlier], counts[earlier], marker="v", color=_FLAGGED,
                linestyle="none", zorder=4, label="earlier flagged bins")  # fmt: skip
    ax.axvspan(float(left[-1]), float(left[-1] + width), color=_TEST, alpha=0.08, zorder=1)
    name = _step_name(anomaly.step)
    top = max(float(counts.max()), float(baseline.max()), anomaly.expected, 1.0)
    ax.set_ylim(0, top * 1.28)
    ax.annotate(
        f"{actual_vs_expected(anomaly)}\nscore {fmt_score(anomaly.score)}",
        xy=(float(centres[-1]), float(counts[-1])),
        xytext=(-8, 6),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=9,
        color=_TEST,
        fontweight="bold",
    )
    ax.text(0.01, 0.74, _history_text(counts[:-1], name), transform=ax.transAxes,
            fontsize=8, color="#555555")  # fmt: skip
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.set_ylabel(f"rows per {name}")
    ax.grid(axis="y", alpha=0.3, zorder=0)
    ax.spines[["top", "right"]].set_visible(False)
    head, what = _titles(anomaly)
    ax.set_title(f"{head}\n{what}", loc="left", fontsize=10)
    handles, _labels = ax.get_legend_handles_labels()
    handles.append(Patch(color=_TEST, label=f"test {name} (ends at the alert)"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    ax.set_xlabel("UTC")
    figure_of: Figure = ax.get_figure()  # type: ignore[assignment]
    return figure_of
