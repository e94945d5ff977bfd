"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    """The read-only ``shared/`` folder that sits beside the checkout (also in CI)."""
    override = os.environ.get("ANOMALY_LOOKUP_SHARED_DIR")
    path = Path(override) if override else REPO_ROOT.parent / "shared"
    if not (path / "design.md").is_file():
        raise RuntimeError(
            f"shared/ reference folder not found at {path}; set ANOMALY_LOOKUP_SHARED_DIR"
        )
    return path


SHARED_DIR = _shared_dir()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Path of ``../shared`` (schemas, sample data, references)."""
    return SHARED_DIR


@pytest.fixture(scope="session")
def sample_data_dir(shared_dir: Path) -> Path:
    """Path of the real log samples in ``../shared/sample-data``."""
    return shared_dir / "sample-data"
