"""The incident payload the real-sample-data tests look up (shared by both backends' tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def sample_incident(entities: list[dict[str, Any]], alert: datetime) -> dict[str, Any]:
    """A minimal incident trigger body holding ``entities``, created at ``alert``."""
    return {
        "workspaceId": "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f",
        "object": {
            "name": "sample",
            "properties": {
                "title": "sample data",
                "createdTimeUtc": alert.isoformat(),
                "relatedEntities": entities,
            },
        },
    }
