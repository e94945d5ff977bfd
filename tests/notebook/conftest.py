"""Fixtures of the notebook tests (helpers are in ``notebook_support``)."""

from __future__ import annotations

import pytest
from notebook_support import Demo, build_demo


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """The demo workspace as Parquet files and as DataFrames, and the DuckDB report."""
    return build_demo(tmp_path_factory.mktemp("notebook-demo"))
