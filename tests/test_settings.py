from __future__ import annotations

import pytest

from lookup.errors import SettingsError
from lookup.settings import Settings


def test_defaults_are_the_notebooks() -> None:
    s = Settings.from_env({})
    assert (s.lookback_days, s.threshold, s.max_flagged_points, s.step) == (14, 1.5, 5, "auto")
    assert (s.max_distinct, s.max_distinct_ratio) == (1000, 0.01)
    assert s.forced_step is None
    assert s.echo()["tables"] == "auto"


def test_environment_overrides() -> None:
    s = Settings.from_env(
        {
            "ANOMALY_LOOKUP_TABLES": "SigninLogs, SecurityEvent",
            "ANOMALY_LOOKUP_LOOKBACK_DAYS": "21",
            "ANOMALY_LOOKUP_STEP": "1H",
            "ANOMALY_LOOKUP_THRESHOLD": "3",
            "ANOMALY_LOOKUP_WORKSPACE_ID": "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f",
            "ANOMALY_LOOKUP_LOGS_ENDPOINT": "",
        }
    )
    assert s.tables == ("SigninLogs", "SecurityEvent")
    assert (s.lookback_days, s.step, s.threshold) == (21, "1h", 3.0)
    assert s.echo()["tables"] == "SigninLogs,SecurityEvent"
    assert s.logs_endpoint == "https://api.loganalytics.io"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ANOMALY_LOOKUP_LOOKBACK_DAYS", "two", "cannot parse"),
        ("ANOMALY_LOOKUP_LOOKBACK_DAYS", "1", "outside"),
        ("ANOMALY_LOOKUP_STEP", "5m", "not one of"),
        ("ANOMALY_LOOKUP_TABLES", "Signin Logs", "not a valid table name"),
        ("ANOMALY_LOOKUP_TABLES", "T | take 1", "not a valid table name"),
        ("ANOMALY_LOOKUP_WORKSPACE_ID", "my-workspace", "GUID"),
        ("ANOMALY_LOOKUP_LOGS_ENDPOINT", "http://api.loganalytics.io", "https"),
        ("ANOMALY_LOOKUP_MAX_CONCURRENT_QUERIES", "9", "outside"),
        ("ANOMALY_LOOKUP_QUEUE_NAME", "Bad_Queue", "queue name"),
        ("AZURE_CLIENT_ID", "not-a-guid", "GUID"),
    ],
)
def test_invalid_settings_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env({name: value})
    assert caught.value.name == name


def test_overrides_are_validated() -> None:
    assert Settings().with_overrides(threshold=None).threshold == 1.5
    with pytest.raises(SettingsError):
        Settings().with_overrides(threshold=-1.0)
