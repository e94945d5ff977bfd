"""sentinel-anomaly-lookup: ranked anomalies for every entity of a Sentinel incident."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from lookup.engine import run_lookup

__all__ = ["__version__", "run_lookup"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that `import lookup.scoring` (or the function app's HTTP trigger)
    # does not pay for the whole engine.
    if name == "run_lookup":
        from lookup.engine import run_lookup

        return run_lookup
    raise AttributeError(f"module 'lookup' has no attribute {name!r}")
