"""sentinel-anomaly-lookup: ranked anomalies for every entity of a Sentinel incident."""

from __future__ import annotations

__version__ = "0.1.0"
