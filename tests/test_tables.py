"""Table knowledge: bundled schemas, entity column mapping, name guessing, candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookup.backends.base import ColumnInfo
from lookup.entity_columns import COLUMNS, split_columns
from lookup.entity_kinds import SEARCHED, SKIPPED
from lookup.entity_table import BEGIN, END, entity_kinds_markdown, readme_section
from lookup.identifier_rules import RULES
from lookup.models import EntityKind
from lookup.tables import (
    BOOKKEEPING_COLUMNS,
    ENTITY_COLUMNS,
    KNOWN_TABLES,
    bundled_tables,
    categorical_candidates,
    entity_columns,
    guess_entity_columns,
    load_bundled_schema,
    normalize_kql_type,
)

REQUIRED_TABLES = {
    "SigninLogs",
    "AADNonInteractiveUserSignInLogs",
    "AuditLogs",
    "SecurityEvent",
    "Syslog",
    "CommonSecurityLog",
    "OfficeActivity",
    "AzureActivity",
    "DeviceEvents",
    "DeviceProcessEvents",
    "DeviceNetworkEvents",
    "DeviceLogonEvents",
    "IdentityLogonEvents",
    "CloudAppEvents",
    "EmailEvents",
    "DnsEvents",
    "W3CIISLog",
    "BehaviorAnalytics",
    "SecurityAlert",
}

# --- bundled schemas ----------------------------------------------------------------------


def test_bundled_tables_match_the_schema_folder(schemas_dir: Path) -> None:
    tables = bundled_tables()
    assert tables == sorted(tables)
    assert set(tables) >= REQUIRED_TABLES
    reference = {p.stem for p in schemas_dir.glob("*.json")}
    assert set(tables) == reference


def test_load_bundled_schema_normalises_and_caches() -> None:
    schema = load_bundled_schema("SecurityEvent")
    assert schema is not None
    assert ColumnInfo("EventID", "int") in schema
    assert ColumnInfo("TimeGenerated", "datetime") in schema
    assert load_bundled_schema("SecurityEvent") is schema
    assert load_bundled_schema("securityevent") is schema
    assert load_bundled_schema("NoSuchTable_CL") is None
    assert load_bundled_schema("../pyproject") is None


def test_bundled_schema_matches_the_reference_copy(schemas_dir: Path) -> None:
    for table in bundled_tables():
        raw = json.loads((schemas_dir / f"{table}.json").read_text(encoding="utf-8"))
        schema = load_bundled_schema(table)
        assert schema is not None
        assert [c.name for c in schema] == [p["Name"] for p in raw["Properties"]]
        assert {c.kql_type for c in schema} <= {
            "string", "int", "long", "real", "bool", "datetime", "dynamic", "guid", "timespan",
        }  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("String", "string"),
        ("BigInt", "long"),
        ("bigint", "long"),
        ("Float", "real"),
        ("Double", "real"),
        ("Int", "int"),
        ("Boolean", "bool"),
        ("DateTime", "datetime"),
        ("Dynamic", "dynamic"),
        ("System.String", "string"),
        ("System.Int64", "long"),
        ("System.SByte", "bool"),
        ("System.Object", "dynamic"),
        (" Guid ", "guid"),
    ],
)
def test_normalize_kql_type(raw: str, expected: str) -> None:
    assert normalize_kql_type(raw) == expected


def test_validator_copies_with_mixed_case_types_normalise(schemas_dir: Path) -> None:
    folder = schemas_dir / "azure-sentinel-customtables"
    paths = sorted(folder.glob("*.json"))
    assert len(paths) == 11  # every validator file upstream has for these tables
    seen = set()
    for path in paths:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        columns = document.get("Properties") or document.get("properties")
        for column in columns:
            seen.add(normalize_kql_type(column.get("Type") or column.get("type")))
    assert seen <= {"string", "int", "long", "real", "bool", "datetime", "dynamic", "guid"}


# --- ENTITY_COLUMNS -----------------------------------------------------------------------


def test_every_mapped_column_exists_in_the_bundled_schema() -> None:
    problems = []
    for kind, by_table in ENTITY_COLUMNS.items():
        for table, columns in by_table.items():
            schema = load_bundled_schema(table)
            if schema is None:
                problems.append(f"{kind}: {table} has no bundled schema")
                continue
            names = {c.name for c in schema}
            types = {c.name: c.kql_type for c in schema}
            problems.extend(f"{kind}: {table}.{c} missing" for c in columns if c not in names)
            problems.extend(
                f"{kind}: {table}.{c} is {types[c]}"
                for c in columns
                if c in types and types[c] not in {"string", "dynamic", "int", "long"}
            )
            if len(set(columns)) != len(columns):
                problems.append(f"{kind}: {table} lists a column twice")
    assert problems == []


def test_mapping_covers_the_required_tables_and_every_kind() -> None:
    mapped = {table for by_table in ENTITY_COLUMNS.values() for table in by_table}
    assert mapped >= REQUIRED_TABLES
    assert set(ENTITY_COLUMNS) == set(EntityKind)
    assert all(ENTITY_COLUMNS[kind] for kind in EntityKind)
    assert mapped <= KNOWN_TABLES


def test_dynamic_columns_are_mapped_where_entities_live_inside_json() -> None:
    assert ENTITY_COLUMNS[EntityKind.ACCOUNT]["AuditLogs"] == ("InitiatedBy", "TargetResources")
    assert "DeviceDetail" in ENTITY_COLUMNS[EntityKind.HOST]["SigninLogs"]
    assert "InitiatedBy" in ENTITY_COLUMNS[EntityKind.IP]["AuditLogs"]


def test_no_bookkeeping_column_is_mapped_except_resource_ids() -> None:
    for kind, by_table in ENTITY_COLUMNS.items():
        for columns in by_table.values():
            leaked = set(columns) & BOOKKEEPING_COLUMNS
            if kind is EntityKind.AZURE_RESOURCE:
                leaked -= {"_ResourceId"}
            assert not leaked, (kind, leaked)


def test_entity_columns_of_a_known_table_keep_mapping_order() -> None:
    schema = load_bundled_schema("SigninLogs")
    assert schema is not None
    assert entity_columns(EntityKind.ACCOUNT, "SigninLogs", schema) == (
        "UserPrincipalName",
        "UserId",
        "AlternateSignInName",
        "SignInIdentifier",
    )
    assert entity_columns(EntityKind.URL, "SigninLogs", schema) == ()
    assert entity_columns(EntityKind.IP, "signinlogs", schema) == ("IPAddress",)


def test_entity_columns_of_a_known_table_only_returns_present_columns() -> None:
    projected = [
        ColumnInfo("TimeGenerated", "datetime"),
        ColumnInfo("Computer", "string"),
        ColumnInfo("Account", "string"),
        ColumnInfo("EventID", "long"),
        # Not in the SecurityEvent schema: added by the exporting query, guessed by name.
        ColumnInfo("SourceIP", "string"),
    ]
    assert entity_columns(EntityKind.ACCOUNT, "SecurityEvent", projected) == ("Account",)
    assert entity_columns(EntityKind.HOST, "SecurityEvent", projected) == ("Computer",)
    assert entity_columns(EntityKind.IP, "SecurityEvent", projected) == ("SourceIP",)
    assert entity_columns(EntityKind.URL, "SecurityEvent", projected) == ()


def test_sample_export_columns(sample_data_dir: Path) -> None:
    path = sample_data_dir / "SecurityEvent_4624.msticnb_win_host_logons.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    columns = [ColumnInfo(name.strip(), "string") for name in header.split(",") if name.strip()]
    assert "TargetUserName" in entity_columns(EntityKind.ACCOUNT, "SecurityEvent", columns)
    assert "IpAddress" in entity_columns(EntityKind.IP, "SecurityEvent", columns)


# --- guessing for unknown tables ----------------------------------------------------------

MYAPP_CL = (
    ColumnInfo("TimeGenerated", "datetime"),
    ColumnInfo("TenantId", "string"),
    ColumnInfo("Type", "string"),
    ColumnInfo("_ResourceId", "string"),
    ColumnInfo("_BilledSize", "real"),
    ColumnInfo("SourceUserName_s", "string"),
    ColumnInfo("user_agent_s", "string"),
    ColumnInfo("AccountType_s", "string"),
    ColumnInfo("CallerUpn_s", "string"),
    ColumnInfo("TargetSid_s", "string"),
    ColumnInfo("Computer", "string"),
    ColumnInfo("DeviceVendor_s", "string"),
    ColumnInfo("DeviceCustomString1", "string"),
    ColumnInfo("host_name_s", "string"),
    ColumnInfo("SrcIP_s", "string"),
    ColumnInfo("dst_ip_s", "string"),
    ColumnInfo("ClientIPAddress", "string"),
    ColumnInfo("RemoteIPCountry_s", "string"),
    ColumnInfo("IsIPv4", "bool"),
    ColumnInfo("SenderIPv6", "string"),
    ColumnInfo("MacAddress_s", "string"),
    ColumnInfo("RecipientEmailAddress", "string"),
    ColumnInfo("RequestUrl_s", "string"),
    ColumnInfo("csUriStem", "string"),
    ColumnInfo("QueryDomain_s", "string"),
    ColumnInfo("FileSHA256_s", "string"),
    ColumnInfo("md5", "string"),
    ColumnInfo("HashAlgorithm_s", "string"),
    ColumnInfo("ProcessCommandLine_s", "string"),
    ColumnInfo("ParentImage", "string"),
    ColumnInfo("ProcessId_d", "real"),
    ColumnInfo("ProcessId_s", "string"),
    ColumnInfo("EventCount_d", "real"),
    ColumnInfo("Details", "dynamic"),
    ColumnInfo("UserObject", "dynamic"),
    ColumnInfo("AppName_s", "string"),
    ColumnInfo("ClientAppUsed_s", "string"),
    ColumnInfo("TargetResourceId_s", "string"),
    ColumnInfo("ResourceGroup_s", "string"),
    ColumnInfo("Mailbox_s", "string"),
    ColumnInfo("Message", "string"),
)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (EntityKind.ACCOUNT, ("SourceUserName_s", "CallerUpn_s", "TargetSid_s", "UserObject")),
        (EntityKind.HOST, ("Computer", "host_name_s")),
        (
            EntityKind.IP,
            ("SrcIP_s", "dst_ip_s", "ClientIPAddress", "SenderIPv6"),
        ),
        # URLs and hashes are also searched in the free text of a custom table (Message).
        (EntityKind.URL, ("RequestUrl_s", "csUriStem", "QueryDomain_s", "Message")),
        (EntityKind.FILE_HASH, ("FileSHA256_s", "md5", "Message")),
        (EntityKind.PROCESS, ("ProcessCommandLine_s", "ParentImage")),
        (EntityKind.MAILBOX, ("CallerUpn_s", "RecipientEmailAddress", "Mailbox_s")),
        (EntityKind.CLOUD_APPLICATION, ("AppName_s",)),
        (EntityKind.AZURE_RESOURCE, ("_ResourceId", "TargetResourceId_s")),
    ],
)
def test_generic_guess_on_a_custom_table(kind: EntityKind, expected: tuple[str, ...]) -> None:
    assert entity_columns(kind, "MyApp_CL", MYAPP_CL) == expected
    assert guess_entity_columns(kind, MYAPP_CL) == expected


def test_generic_guess_never_returns_bookkeeping_or_non_text_columns() -> None:
    for kind in EntityKind:
        guessed = set(entity_columns(kind, "MyApp_CL", MYAPP_CL))
        assert not guessed & (BOOKKEEPING_COLUMNS - {"_ResourceId"})
        assert not guessed & {"IsIPv4", "ProcessId_d", "EventCount_d", "_BilledSize"}


# --- categorical candidates ---------------------------------------------------------------


def test_categorical_candidates_on_security_event() -> None:
    schema = load_bundled_schema("SecurityEvent")
    assert schema is not None
    own = entity_columns(EntityKind.ACCOUNT, "SecurityEvent", schema) + entity_columns(
        EntityKind.HOST, "SecurityEvent", schema
    )
    candidates = categorical_candidates(schema, exclude=own)
    assert "EventID" in candidates
    kept = {"Activity", "LogonType", "LogonProcessName", "AuthenticationPackageName", "IpAddress"}
    assert kept <= set(candidates)
    bookkeeping = {"TenantId", "Type", "SourceSystem", "MG", "ManagementGroupName", "_ResourceId"}
    bookkeeping |= {"_SubscriptionId", "EventOriginId", "_IsBillable", "TimeCollected"}
    assert not bookkeeping & set(candidates)
    assert not set(own) & set(candidates)
    assert "Computer" not in candidates and "Account" not in candidates
    # Time-typed, real-typed, unique ids and serialised documents are never candidates.
    assert not {"TimeGenerated", "TimeCollected", "_BilledSize"} & set(candidates)
    assert not {"EventRecordId", "EventData"} & set(candidates)
    # Schema order is kept.
    order = [c.name for c in schema]
    assert list(candidates) == sorted(candidates, key=order.index)


def test_categorical_candidates_types() -> None:
    columns = [
        ColumnInfo("Flag", "bool"),
        ColumnInfo("Score", "real"),
        ColumnInfo("When", "datetime"),
        ColumnInfo("Bag", "dynamic"),
        ColumnInfo("Code", "int"),
        ColumnInfo("Bytes", "BigInt"),
        ColumnInfo("Name", "String"),
        ColumnInfo("CorrelationId", "string"),
        ColumnInfo("UniqueTokenIdentifier", "string"),
        ColumnInfo("_ItemId", "string"),
        ColumnInfo("EventID", "int"),
    ]
    assert categorical_candidates(columns) == ("Code", "Bytes", "Name", "EventID")
    assert categorical_candidates(columns, exclude=["name"]) == ("Code", "Bytes", "EventID")


def test_categorical_candidates_on_signin_logs_exclude_unique_ids() -> None:
    schema = load_bundled_schema("SigninLogs")
    assert schema is not None
    candidates = categorical_candidates(schema)
    assert {"AppDisplayName", "ResultType", "ClientAppUsed", "IPAddress"} <= set(candidates)
    assert not {"Id", "CorrelationId", "OriginalRequestId", "UniqueTokenIdentifier",
                "AADTenantId", "TenantId", "DeviceDetail", "IsRisky"} & set(candidates)  # fmt: skip


# --- the mapping as data, and the README table generated from it --------------------------

#: Sentinel's EntityKind enum (azure-rest-api-specs common/EntityTypes.json, SDK enum).
SENTINEL_KINDS = (
    "Account Host File AzureResource CloudApplication DnsResolution FileHash Ip Malware "
    "Process RegistryKey RegistryValue SecurityGroup Url IoTDevice SecurityAlert Bookmark "
    "MailCluster MailMessage Mailbox SubmissionMail Nic"
).split()


def test_every_sentinel_kind_is_searched_or_skipped_with_its_reason() -> None:
    searched = {spec.name for spec in SEARCHED.values()}
    assert searched == {str(kind) for kind in EntityKind}
    for name in SENTINEL_KINDS:
        assert (name in searched) != (name in SKIPPED), name
    assert all(len(reason) > 20 for reason in SKIPPED.values())
    # Only kinds with nothing to search of their own are skipped.
    assert set(SKIPPED) & set(SENTINEL_KINDS) == {"SecurityAlert", "Bookmark", "MailCluster"}


def test_every_searched_kind_says_how_and_where() -> None:
    for kind, spec in SEARCHED.items():
        assert spec.identifiers, kind
        assert (spec.rule is None) != (not spec.properties), kind
        assert spec.rule is None or spec.rule in RULES, kind
        assert COLUMNS[kind], kind
        for table, text in COLUMNS[kind].items():
            named, free = split_columns(text)
            assert named or free, (kind, table)
            assert ENTITY_COLUMNS[kind][table] == (*named, *free)


def test_free_text_columns_of_urls_domains_and_hashes() -> None:
    for kind in (EntityKind.URL, EntityKind.DNS_RESOLUTION, EntityKind.FILE_HASH):
        assert split_columns(COLUMNS[kind]["Syslog"])[1] == ("SyslogMessage",)
        assert "AdditionalExtensions" in split_columns(COLUMNS[kind]["CommonSecurityLog"])[1]
    assert split_columns(COLUMNS[EntityKind.URL]["SecurityEvent"])[1] == ("CommandLine",)
    columns = [ColumnInfo("TimeGenerated", "datetime"), ColumnInfo("RawData", "string")]
    assert entity_columns(EntityKind.URL, "Proxy_CL", columns) == ("RawData",)
    assert entity_columns(EntityKind.ACCOUNT, "Proxy_CL", columns) == ()


def test_a_custom_log_copy_of_an_entity_column_is_an_entity_column() -> None:
    # The training lab's OfficeActivity export carries ClientIP_ and UserId_ beside ClientIP
    # and UserId (tests/fixtures/real): they restate the entity, they are not findings.
    schema = load_bundled_schema("OfficeActivity")
    assert schema is not None
    ip_columns = entity_columns(EntityKind.IP, "OfficeActivity", schema)
    assert ip_columns[:2] == ("ClientIP", "ClientIP_")
    assert "UserId_" in entity_columns(EntityKind.ACCOUNT, "OfficeActivity", schema)
    assert "ClientIP_" not in entity_columns(EntityKind.ACCOUNT, "OfficeActivity", schema)


def test_readme_table_of_entity_kinds_matches_the_data() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start, end = readme.index(BEGIN), readme.index(END) + len(END)
    assert readme[start:end] == readme_section(), "run: python -m lookup.entity_table"
    for kind in EntityKind:
        assert f"\n| {kind} | " in entity_kinds_markdown()
