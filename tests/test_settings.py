from __future__ import annotations

import pytest

from lookup.errors import SettingsError
from lookup.functionapp.settings import AppSettings
from lookup.settings import Settings, is_guid


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


def test_app_settings_hold_the_deployment_and_the_lookup_settings() -> None:
    environ = {
        "ANOMALY_LOOKUP_THRESHOLD": "3",
        "ANOMALY_LOOKUP_WORKSPACE_ID": "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f",
        "ANOMALY_LOOKUP_LOGS_ENDPOINT": "",
        "ANOMALY_LOOKUP_QUEUE_NAME": "lookups",
    }
    app = AppSettings.from_env(environ)
    assert app.workspace_id == "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f"
    assert app.logs_endpoint == "https://api.loganalytics.io"
    assert app.queue_name == "lookups"
    assert app.lookup == Settings.from_env(environ) == Settings(threshold=3.0)
    assert AppSettings.from_env({}) == AppSettings()


def test_is_guid_takes_nothing_before_or_after() -> None:
    guid = "5e3b2d4c-7a1f-4e8b-9c6d-0a1b2c3d4e5f"
    assert is_guid(guid) and is_guid(guid.upper())
    assert not any(is_guid(text) for text in (guid + "\n", " " + guid, guid[:-1], ""))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ANOMALY_LOOKUP_LOOKBACK_DAYS", "two", "cannot parse"),
        ("ANOMALY_LOOKUP_LOOKBACK_DAYS", "1", "outside"),
        ("ANOMALY_LOOKUP_STEP", "5m", "not one of"),
        ("ANOMALY_LOOKUP_TABLES", "Signin Logs", "not a valid table name"),
        ("ANOMALY_LOOKUP_TABLES", "T | take 1", "not a valid table name"),
        ("ANOMALY_LOOKUP_MAX_CONCURRENT_QUERIES", "9", "outside"),
    ],
)
def test_invalid_settings_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env({name: value})
    assert caught.value.name == name
    with pytest.raises(SettingsError, match=message) as caught:
        AppSettings.from_env({name: value})
    assert caught.value.name == name


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ANOMALY_LOOKUP_WORKSPACE_ID", "my-workspace", "GUID"),
        ("ANOMALY_LOOKUP_LOGS_ENDPOINT", "http://api.loganalytics.io", "https"),
        ("ANOMALY_LOOKUP_ARM_ENDPOINT", "http://management.azure.com", "https"),
        ("ANOMALY_LOOKUP_SENTINEL_API_VERSION", "latest", "2025-09-01"),
        ("ANOMALY_LOOKUP_QUEUE_NAME", "Bad_Queue", "queue name"),
        ("AZURE_CLIENT_ID", "not-a-guid", "GUID"),
    ],
)
def test_invalid_app_settings_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        AppSettings.from_env({name: value})
    assert caught.value.name == name
    # The lookup alone (the CLI) does not read the deployment settings.
    assert Settings.from_env({name: value}) == Settings()


def test_overrides_are_validated() -> None:
    assert Settings().with_overrides(threshold=None).threshold == 1.5
    with pytest.raises(SettingsError):
        Settings().with_overrides(threshold=-1.0)
