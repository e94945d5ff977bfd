"""The benchmark harness end to end at its smallest sizes: every part runs and writes sane results.

No wall-clock limits are asserted (the machine is shared): only results that do not depend on
speed, and ratios measured in the same run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.harness import SECTIONS, run
from bench.profiles import MINI

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench-out")
    cache = tmp_path_factory.mktemp("bench-cache")
    run(MINI, list(SECTIONS), out=out, cache=cache, command="test", log=lambda _: None)
    written: dict[str, Any] = json.loads((out / "results-mini.json").read_text())
    written["_out"] = str(out)
    return written


def test_every_section_and_file_is_written(results: dict[str, Any]) -> None:
    out = Path(results["_out"])
    for section in SECTIONS:
        assert section in results
    markdown = (out / "RESULTS-mini.md").read_text()
    for heading in ("## Targets", "## 1. Scale", "## 2. Scoring", "## 3. Query", "## 4. Detection"):
        assert heading in markdown
    assert (out / "scale-mini.png").stat().st_size > 1000
    assert results["machine"]["cores"] >= 1
    assert all(
        t["met"] in (True, None) for t in results["targets"] if "wall time" not in t["target"]
    )


def test_scale_points_measure_a_real_lookup(results: dict[str, Any]) -> None:
    for point in results["scale"]["points"]:
        assert point["seconds"] > 0
        assert point["peak_rss_mib"] > point["rss_after_imports_mib"] > 0
        assert 0 < point["queries"] <= 2 * point["tables"]
        assert point["anomalies"] > 0
        assert point["parquet_mib"] > 0


def test_vectorised_scoring_matches_the_loop_and_kusto(results: dict[str, Any]) -> None:
    for key in ("daily_15", "hourly_73"):
        block = results["scoring"][key]
        check = block["cross_check"]
        assert check["flag_mismatches"] == 0
        assert check["kept_series_mismatches"] == 0
        assert check["max_abs_score_difference"] <= 1e-9
        assert check["max_abs_baseline_difference"] <= 1e-9
        # Same run, same series: vectorising must pay off by a wide margin.
        assert block["speedup_vs_loop"] > 5
    kusto = results["scoring"]["kusto"]
    assert kusto["TV1_series_outliers"]["bit_identical"]
    tv2 = kusto["TV2_series_decompose_anomalies"]["autodetect"]
    assert tv2["flag_mismatches"] == 0
    assert tv2["baseline_mismatches_after_truncation"] == 0
    assert tv2["max_rel_score_deviation"] < 1e-9


def test_ours_needs_far_fewer_queries_than_the_notebook(results: dict[str, Any]) -> None:
    queries = results["queries"]
    assert queries["ours_within_2_per_table"]
    for point in queries["points"]:
        assert point["ours_queries"] <= 2 * point["tables"]
        assert point["notebook_fixed_queries"] > 5 * point["ours_queries"]


def test_detection_recall_without_traps(results: dict[str, Any]) -> None:
    detection = results["detection"]
    ours = detection["summary"]["ours"]
    assert ours["injected"] >= 20
    assert ours["recall"] >= 0.95
    assert ours["traps_reported"] == 0
    assert ours["precision"] >= 0.5
    assert detection["rebuilt_series_match_engine"]
    for method in ("notebook", "notebook_fixed", "msticpy_stl", "stl_no_sign_rule"):
        assert 0.0 <= detection["summary"][method]["recall"] <= 1.0
    for incident in detection["incidents"]:
        for miss in incident["ours_misses"]:
            assert miss["why"]
