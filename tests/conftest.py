"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Data the tests read, kept in the repository (each folder's README gives its provenance).
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """Path of ``tests/fixtures`` (payloads, sample data, schemas, Kusto vectors)."""
    return FIXTURES_DIR


@pytest.fixture(scope="session")
def schemas_dir(fixtures_dir: Path) -> Path:
    """Path of the real Sentinel table schemas in ``tests/fixtures/schemas``."""
    return fixtures_dir / "schemas"


@pytest.fixture(scope="session")
def sample_data_dir(fixtures_dir: Path) -> Path:
    """Path of the real log samples in ``tests/fixtures/sample-data``."""
    return fixtures_dir / "sample-data"
