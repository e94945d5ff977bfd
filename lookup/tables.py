"""What the lookup knows about Sentinel tables: schemas, entity columns, candidate columns.

Pure data and functions, no I/O besides reading the bundled schema files once:

* :func:`load_bundled_schema` / :func:`bundled_tables`: column lists of well-known tables,
  shipped in ``lookup/schemas/`` (from the Azure Monitor table reference; see
  ``tests/fixtures/schemas/README.md`` for their provenance).
* :data:`ENTITY_COLUMNS`: for each entity kind, the columns of each known table that hold
  it, including dynamic/JSON columns where the entity sits inside a document (for example
  ``AuditLogs.InitiatedBy.user.userPrincipalName``), matched against the column's text.
* :func:`entity_columns`: the mapped columns present in an actual schema, or a name-based
  guess for tables nobody mapped (custom ``_CL`` tables, new connectors).
* :func:`categorical_candidates`: the notebook's type filter for categorical columns; the
  distinct-count test on data happens later, in the engine.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources

from lookup.models import ColumnInfo, EntityKind

_SCHEMA_PACKAGE = "lookup"
_SCHEMA_DIR = "schemas"

# Spellings seen in schema files (Azure-Sentinel validator copies use "BigInt", "Float",
# .NET names appear in getschema's DataType column) → KQL type names.
_TYPE_ALIASES = {
    "bigint": "long",
    "int64": "long",
    "system.int64": "long",
    "int32": "int",
    "integer": "int",
    "system.int32": "int",
    "float": "real",
    "double": "real",
    "system.double": "real",
    "system.single": "real",
    "boolean": "bool",
    "system.boolean": "bool",
    "system.sbyte": "bool",  # how Kusto's getschema reports bool columns
    "date": "datetime",
    "system.datetime": "datetime",
    "time": "timespan",
    "system.timespan": "timespan",
    "system.string": "string",
    "system.object": "dynamic",
    "object": "dynamic",
    "system.guid": "guid",
    "uniqueid": "guid",
    "system.data.sqltypes.sqldecimal": "decimal",
}

#: Columns every Log Analytics table has (or that describe ingestion, not the event):
#: never entity columns, never categorical candidates.
BOOKKEEPING_COLUMNS: frozenset[str] = frozenset(
    {
        "TenantId",
        "Type",
        "SourceSystem",
        "MG",
        "ManagementGroupName",
        "_ResourceId",
        "_SubscriptionId",
        "_ItemId",
        "_BilledSize",
        "_IsBillable",
        "_TimeReceived",
        "_Internal_WorkspaceResourceId",
        "TimeGenerated",
        "TimeCollected",
        "EventOriginId",
        "AADTenantId",
        "WorkspaceId",
        "WorkspaceSubscriptionId",
        "WorkspaceResourceGroup",
        "$table",
    }
)
_BOOKKEEPING_FOLDED = frozenset(name.casefold() for name in BOOKKEEPING_COLUMNS)

#: Columns that are unique (or nearly) per row, so never categorical. Only exact names that
#: are known to be ids of an event: ``EventID`` (an event *type*) must stay a candidate.
UNIQUE_ID_COLUMNS: frozenset[str] = frozenset(
    {
        "Id",
        "CorrelationId",
        "OriginalId",
        "OriginalRequestId",
        "SourceRecordId",
        "UniqueTokenIdentifier",
        "EventRecordId",
        "EventDataId",
        "OperationId",
        "ReportId",
        "SystemAlertId",
        "ProviderAlertId",
        "VendorOriginalId",
        "NetworkMessageId",
        "InternetMessageId",
    }
)
_UNIQUE_FOLDED = frozenset(name.casefold() for name in UNIQUE_ID_COLUMNS)

# Serialised documents (XML event data, JSON blobs in string columns): a "value" of these is
# unreadable in a report and never a category, and their distinct count is costly to compute.
_BLOB_COLUMNS = frozenset(
    name.casefold()
    for name in (
        "EventData",
        "Entities",
        "ExtendedProperties",
        "ExtendedLinks",
        "AdditionalExtensions",
        "Authorization",
        "Claims",
        "HTTPRequest",
        "Properties",
    )
)

#: The notebook's categorical types (``getschema`` types int, long and string).
CATEGORICAL_TYPES = frozenset({"int", "long", "string"})
_GUESSABLE_TYPES = frozenset({"string", "dynamic"})

_DEVICE_ACCOUNT = (
    "InitiatingProcessAccountUpn",
    "InitiatingProcessAccountName",
    "InitiatingProcessAccountSid",
    "InitiatingProcessAccountObjectId",
)
_DEVICE_INITIATING_HASHES = (
    "InitiatingProcessSHA256",
    "InitiatingProcessSHA1",
    "InitiatingProcessMD5",
)
_DEVICE_INITIATING_PROCESS = (
    "InitiatingProcessCommandLine",
    "InitiatingProcessFolderPath",
    "InitiatingProcessFileName",
    "InitiatingProcessParentFileName",
)

#: Entity kind → table → the columns of that table that hold entities of the kind.
ENTITY_COLUMNS: dict[EntityKind, dict[str, tuple[str, ...]]] = {
    EntityKind.ACCOUNT: {
        "SigninLogs": ("UserPrincipalName", "UserId", "AlternateSignInName", "SignInIdentifier"),
        "AADNonInteractiveUserSignInLogs": ("UserPrincipalName", "UserId", "AlternateSignInName"),
        # InitiatedBy.user.{userPrincipalName,id}; TargetResources[].{userPrincipalName,id}
        "AuditLogs": ("InitiatedBy", "TargetResources"),
        "SecurityEvent": (
            "Account",
            "TargetAccount",
            "SubjectAccount",
            "TargetUserName",
            "SubjectUserName",
            "TargetUserSid",
            "SubjectUserSid",
            "TargetSid",
            "UserPrincipalName",
            "AccountName",
            "SamAccountName",
            "MemberName",
            "MemberSid",
        ),
        # No structured user field; sshd/sudo/su lines name the user in the message.
        "Syslog": ("SyslogMessage",),
        "CommonSecurityLog": (
            "SourceUserName",
            "DestinationUserName",
            "SourceUserID",
            "DestinationUserID",
        ),
        "OfficeActivity": (
            "UserId",
            "UserKey",
            "MailboxOwnerUPN",
            "MailboxOwnerSid",
            "LogonUserSid",
            "TargetUserOrGroupName",
            "DestMailboxOwnerUPN",
            "Actor",
        ),
        "AzureActivity": ("Caller",),
        "DeviceEvents": ("AccountName", "AccountSid", *_DEVICE_ACCOUNT),
        "DeviceProcessEvents": (
            "AccountUpn",
            "AccountName",
            "AccountSid",
            "AccountObjectId",
            *_DEVICE_ACCOUNT,
        ),
        "DeviceLogonEvents": ("AccountName", "AccountSid", *_DEVICE_ACCOUNT),
        "DeviceNetworkEvents": _DEVICE_ACCOUNT,
        "IdentityLogonEvents": ("AccountUpn", "AccountName", "AccountSid", "AccountObjectId"),
        "CloudAppEvents": ("AccountId", "AccountObjectId"),
        # A user's UPN is usually also their SMTP address.
        "EmailEvents": (
            "RecipientEmailAddress",
            "RecipientObjectId",
            "SenderFromAddress",
            "SenderMailFromAddress",
            "SenderObjectId",
        ),
        "W3CIISLog": ("csUserName",),
        "BehaviorAnalytics": (
            "UserPrincipalName",
            "UserName",
            "ActorPrincipalName",
            "ActorName",
            "TargetPrincipalName",
        ),
        "SecurityAlert": ("CompromisedEntity", "Entities"),
        "Anomalies": ("UserPrincipalName", "UserName", "Entities"),
    },
    EntityKind.HOST: {
        "SigninLogs": ("DeviceDetail",),  # DeviceDetail.displayName / deviceId
        "AADNonInteractiveUserSignInLogs": ("DeviceDetail",),
        "SecurityEvent": (
            "Computer",
            "WorkstationName",
            "Workstation",
            "TargetServerName",
            "SubjectMachineName",
            "FullyQualifiedSubjectMachineName",
        ),
        "Syslog": ("Computer", "HostName"),
        "CommonSecurityLog": ("DeviceName", "SourceHostName", "DestinationHostName", "Computer"),
        "OfficeActivity": ("ClientMachineName",),
        "DeviceEvents": ("DeviceName", "DeviceId", "RemoteDeviceName"),
        "DeviceProcessEvents": ("DeviceName", "DeviceId"),
        "DeviceLogonEvents": ("DeviceName", "DeviceId", "RemoteDeviceName"),
        "DeviceNetworkEvents": ("DeviceName", "DeviceId"),
        "IdentityLogonEvents": ("DeviceName", "DestinationDeviceName", "TargetDeviceName"),
        "DnsEvents": ("Computer", "Name"),
        "W3CIISLog": ("Computer", "csHost"),
        "BehaviorAnalytics": ("SourceDevice", "DestinationDevice", "Device"),
        "SecurityAlert": ("CompromisedEntity", "Entities"),
        "Anomalies": ("SourceDevice", "DestinationDevice", "Entities"),
    },
    EntityKind.IP: {
        "SigninLogs": ("IPAddress",),
        "AADNonInteractiveUserSignInLogs": ("IPAddress",),
        "AuditLogs": ("InitiatedBy",),  # InitiatedBy.user.ipAddress
        "SecurityEvent": ("IpAddress", "ClientIPAddress", "ClientAddress", "RemoteIpAddress"),
        "Syslog": ("HostIP", "SyslogMessage"),
        "CommonSecurityLog": (
            "SourceIP",
            "DestinationIP",
            "SourceTranslatedAddress",
            "DestinationTranslatedAddress",
            "DeviceAddress",
            "RemoteIP",
            "MaliciousIP",
        ),
        "OfficeActivity": ("ClientIP", "ActorIpAddress", "Client_IPAddress"),
        "AzureActivity": ("CallerIpAddress",),
        "DeviceEvents": ("RemoteIP", "LocalIP", "FileOriginIP"),
        "DeviceLogonEvents": ("RemoteIP",),
        "DeviceNetworkEvents": ("RemoteIP", "LocalIP"),
        "IdentityLogonEvents": ("IPAddress", "DestinationIPAddress"),
        "CloudAppEvents": ("IPAddress",),
        "EmailEvents": ("SenderIPv4", "SenderIPv6"),
        "DnsEvents": ("ClientIP", "IPAddresses", "MaliciousIP"),
        "W3CIISLog": ("cIP", "sIP"),
        "BehaviorAnalytics": ("SourceIPAddress", "DestinationIPAddress"),
        "SecurityAlert": ("Entities",),
        "Anomalies": ("SourceIpAddress", "DestinationIpAddress", "Entities"),
    },
    EntityKind.URL: {
        "CommonSecurityLog": ("RequestURL", "DestinationHostName"),
        "OfficeActivity": ("Site_Url", "OfficeObjectId"),
        "DeviceEvents": ("RemoteUrl", "FileOriginUrl"),
        "DeviceNetworkEvents": ("RemoteUrl",),
        "DnsEvents": ("Name",),
        "W3CIISLog": ("csHost", "csReferer"),
        "SecurityAlert": ("Entities",),
        "Anomalies": ("Entities",),
    },
    EntityKind.FILE_HASH: {
        "SecurityEvent": ("FileHash",),
        "CommonSecurityLog": ("FileHash", "OldFileHash"),
        "DeviceEvents": ("SHA256", "SHA1", "MD5", *_DEVICE_INITIATING_HASHES),
        "DeviceProcessEvents": ("SHA256", "SHA1", "MD5", *_DEVICE_INITIATING_HASHES),
        "DeviceLogonEvents": _DEVICE_INITIATING_HASHES,
        "DeviceNetworkEvents": _DEVICE_INITIATING_HASHES,
        "SecurityAlert": ("Entities",),
    },
    EntityKind.PROCESS: {
        "SecurityEvent": (
            "CommandLine",
            "NewProcessName",
            "ParentProcessName",
            "Process",
            "ProcessName",
            "CallerProcessName",
        ),
        "Syslog": ("ProcessName",),
        "CommonSecurityLog": ("SourceProcessName", "DestinationProcessName"),
        "DeviceEvents": ("ProcessCommandLine", *_DEVICE_INITIATING_PROCESS),
        "DeviceProcessEvents": (
            "ProcessCommandLine",
            "FolderPath",
            "FileName",
            *_DEVICE_INITIATING_PROCESS,
        ),
        "DeviceLogonEvents": _DEVICE_INITIATING_PROCESS,
        "DeviceNetworkEvents": _DEVICE_INITIATING_PROCESS,
        "SecurityAlert": ("Entities",),
    },
    EntityKind.MAILBOX: {
        "SigninLogs": ("UserPrincipalName", "UserId"),
        "AADNonInteractiveUserSignInLogs": ("UserPrincipalName", "UserId"),
        "AuditLogs": ("InitiatedBy", "TargetResources"),
        "OfficeActivity": (
            "MailboxOwnerUPN",
            "UserId",
            "DestMailboxOwnerUPN",
            "SendAsUserSmtp",
            "SendOnBehalfOfUserSmtp",
        ),
        "CloudAppEvents": ("AccountId", "AccountObjectId"),
        "EmailEvents": (
            "RecipientEmailAddress",
            "SenderFromAddress",
            "SenderMailFromAddress",
            "RecipientObjectId",
            "SenderObjectId",
        ),
        "SecurityAlert": ("Entities",),
    },
    EntityKind.CLOUD_APPLICATION: {
        "SigninLogs": ("AppDisplayName", "AppId", "ResourceDisplayName", "ResourceIdentity"),
        "AADNonInteractiveUserSignInLogs": (
            "AppDisplayName",
            "AppId",
            "ResourceDisplayName",
            "ResourceIdentity",
        ),
        "AuditLogs": ("InitiatedBy", "TargetResources"),  # InitiatedBy.app.{displayName,appId}
        "OfficeActivity": ("AppId", "ClientAppId", "AzureADAppId", "Application"),
        "CloudAppEvents": ("Application", "ApplicationId", "OAuthAppId"),
        "SecurityAlert": ("Entities",),
    },
    EntityKind.AZURE_RESOURCE: {
        # _ResourceId is bookkeeping for every other purpose, but for a resource entity it
        # is exactly "rows this resource emitted".
        "AzureActivity": ("ResourceId", "_ResourceId"),
        "SecurityAlert": ("ResourceId", "Entities"),
        "SecurityEvent": ("_ResourceId",),
        "Syslog": ("_ResourceId",),
        "CommonSecurityLog": ("_ResourceId",),
        "DnsEvents": ("_ResourceId",),
        "W3CIISLog": ("_ResourceId",),
    },
}

#: Tables whose columns are curated: their schema columns never get a name-based guess.
KNOWN_TABLES: frozenset[str] = frozenset(
    {table for by_table in ENTITY_COLUMNS.values() for table in by_table} | {"SecurityIncident"}
)
_KNOWN_FOLDED = {table.casefold(): table for table in KNOWN_TABLES}


def normalize_kql_type(type_name: str) -> str:
    """A column type as KQL names it, lower case: ``BigInt`` → ``long``, ``Float`` → ``real``."""
    folded = type_name.strip().casefold()
    return _TYPE_ALIASES.get(folded, folded)


def bundled_tables() -> list[str]:
    """Names of the tables whose schema ships with the package, sorted."""
    return sorted(_bundled_files())


@functools.cache
def _bundled_files() -> dict[str, str]:
    folder = resources.files(_SCHEMA_PACKAGE).joinpath(_SCHEMA_DIR)
    return {
        entry.name[: -len(".json")]: entry.name
        for entry in folder.iterdir()
        if entry.name.endswith(".json") and entry.is_file()
    }


def load_bundled_schema(table: str) -> tuple[ColumnInfo, ...] | None:
    """The bundled column list of ``table`` (types normalised, cached), or None if not bundled.

    The table name is matched exactly, then case-insensitively.
    """
    files = _bundled_files()
    if table not in files:
        matches = [name for name in files if name.casefold() == table.casefold()]
        if not matches:
            return None
        table = matches[0]
    return _load_schema(table)


@functools.cache
def _load_schema(table: str) -> tuple[ColumnInfo, ...]:
    filename = _bundled_files()[table]
    text = resources.files(_SCHEMA_PACKAGE).joinpath(_SCHEMA_DIR, filename).read_text("utf-8")
    document = json.loads(text)
    properties = _any_key(document, "Properties") if isinstance(document, Mapping) else None
    if not isinstance(properties, list):
        raise ValueError(f"bundled schema {filename} has no Properties list")
    columns = []
    for entry in properties:
        name = _any_key(entry, "Name") if isinstance(entry, Mapping) else None
        kql_type = _any_key(entry, "Type") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not isinstance(kql_type, str):
            raise ValueError(f"bundled schema {filename} has a malformed column: {entry!r}")
        columns.append(ColumnInfo(name, normalize_kql_type(kql_type)))
    return tuple(columns)


def _any_key(mapping: Mapping[str, object], key: str) -> object:
    # Upstream validator files spell the keys "Name"/"Type" or "name"/"type".
    return mapping.get(key, mapping.get(key.lower()))


def is_bookkeeping(column: str) -> bool:
    """Whether a column is one of :data:`BOOKKEEPING_COLUMNS` or another ``_`` system column."""
    return column.startswith("_") or column.casefold() in _BOOKKEEPING_FOLDED


def entity_columns(kind: EntityKind, table: str, columns: Iterable[ColumnInfo]) -> tuple[str, ...]:
    """Columns of ``table`` (with the given actual schema) that may hold entities of ``kind``.

    For a known table: the mapped columns present in ``columns``, in mapping order, plus a
    name-based guess over columns the bundled schema of that table does not list (tables gain
    columns; exports add some). For any other table: the name-based guess over string and
    dynamic columns, bookkeeping excluded (see :func:`guess_entity_columns`).
    """
    columns = tuple(columns)
    known = _KNOWN_FOLDED.get(table.casefold())
    if known is None:
        return guess_entity_columns(kind, columns)
    present = {column.name: column.name for column in columns}
    folded = {column.name.casefold(): column.name for column in columns}
    mapped: list[str] = []
    for name in ENTITY_COLUMNS.get(kind, {}).get(known, ()):
        actual = present.get(name) or folded.get(name.casefold())
        if actual is not None and actual not in mapped:
            mapped.append(actual)
    schema = load_bundled_schema(known)
    if schema is not None:
        listed = {column.name.casefold() for column in schema}
        extra = [column for column in columns if column.name.casefold() not in listed]
        mapped.extend(name for name in guess_entity_columns(kind, extra) if name not in mapped)
    return tuple(mapped)


# Column-name tokens: "SourceUserName_s" → source, user, name, s; "IPAddress" → ip, address;
# "SenderIPv4" → sender, ipv4; "cIP" → c, ip; "SHA256" → sha, 256.
_CAMEL_TOKEN = re.compile(r"IPv[46]|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _tokens(name: str) -> list[str]:
    return [token.lower() for token in _CAMEL_TOKEN.findall(name)]


# Per kind: tokens (or adjacent token pairs, joined) that make a column a candidate, and
# tokens that rule it out (UserAgent is not an account, DeviceVendor is not a host, ...).
_GUESS_RULES: dict[EntityKind, tuple[frozenset[str], frozenset[str]]] = {
    EntityKind.ACCOUNT: (
        frozenset(
            "user users username account accounts upn caller principal sid actor login "
            "samaccountname".split()
        ),
        frozenset("agent type types count domain display group kind role tenant".split()),
    ),
    EntityKind.HOST: (
        frozenset("host hostname computer device machine workstation server".split()),
        frozenset(
            "ip ips address addr mac type vendor product version action event custom category "
            "facility interface zone payload domain group os platform translated port "
            "count".split()
        ),
    ),
    EntityKind.IP: (
        frozenset("ip ips ipv4 ipv6 ipaddress ipaddr srcip dstip address addresses addr".split()),
        frozenset(
            "mac mail email smtp from type country location city latitude longitude category "
            "tags tag count geo asn isp port".split()
        ),
    ),
    EntityKind.URL: (
        frozenset("url urls uri domain referer referrer link links".split()),
        frozenset("account user nt sid version policy behavior controller count category".split()),
    ),
    EntityKind.FILE_HASH: (
        frozenset("hash hashes sha1 sha256 sha384 sha512 md5 imphash ssdeep".split()),
        frozenset("algorithm type count".split()),
    ),
    EntityKind.PROCESS: (
        frozenset(
            "process processname commandline cmdline cmd image executable parentprocess".split()
        ),
        frozenset(
            "id guid integrity level token elevation creation time version info company "
            "description signature signer size count account sha1 sha256 md5 hash loaded".split()
        ),
    ),
    EntityKind.MAILBOX: (
        frozenset("mailbox mail email smtp recipient recipients sender upn".split()),
        frozenset(
            "domain display ip ipv4 ipv6 count action policy language direction cluster size "
            "type location".split()
        ),
    ),
    EntityKind.CLOUD_APPLICATION: (
        frozenset("app apps application applications appid appname".split()),
        frozenset(
            "used guard container pool protocol mode owner tenant version type count".split()
        ),
    ),
    EntityKind.AZURE_RESOURCE: (
        frozenset("resource resources resourceid azureid".split()),
        frozenset(
            "group provider type display tenant owner location service principal name "
            "identity".split()
        ),
    ),
}


def _guess_matches(kind: EntityKind, name: str) -> bool:
    include, exclude = _GUESS_RULES[kind]
    tokens = _tokens(name)
    words = set(tokens) | {a + b for a, b in itertools.pairwise(tokens)}
    return bool(words & include) and not (words & exclude)


def guess_entity_columns(kind: EntityKind, columns: Iterable[ColumnInfo]) -> tuple[str, ...]:
    """Guess from column names which string/dynamic columns may hold entities of ``kind``.

    Names are split into words (``SourceUserName_s`` → source, user, name, s; ``cIP`` →
    c, ip) and matched against per-kind words (Account: user, account, upn, caller,
    principal, sid, ...; Host: host, computer, device, machine, workstation; Ip: ip,
    address; Url: url, uri, domain; FileHash: hash, sha1, sha256, md5; Process: process,
    commandline, image; ...), minus words that rule a column out (``UserAgent``,
    ``DeviceVendor``, ``RemoteIPCountry``). Bookkeeping columns are never guessed, except
    ``_ResourceId`` for Azure resources.
    """
    out: list[str] = []
    for column in columns:
        if normalize_kql_type(column.kql_type) not in _GUESSABLE_TYPES:
            continue
        if kind is EntityKind.AZURE_RESOURCE and column.name == "_ResourceId":
            out.append(column.name)
            continue
        if is_bookkeeping(column.name):
            continue
        if _guess_matches(kind, column.name):
            out.append(column.name)
    return tuple(out)


def categorical_candidates(
    columns: Iterable[ColumnInfo], exclude: Iterable[str] = ()
) -> tuple[str, ...]:
    """Columns that may be categorical, before the distinct-count test on data.

    The notebook's type filter: int, long and string columns only (bool is left out as the
    notebook did; a two-valued flag rarely explains an anomaly), minus bookkeeping columns,
    the ``exclude`` columns (the entity's own columns), columns known to be unique per
    event (:data:`UNIQUE_ID_COLUMNS`, by exact name: ``EventID`` stays) and serialised
    XML/JSON documents. Schema order is kept.
    """
    excluded = {name.casefold() for name in exclude}
    out: list[str] = []
    for column in columns:
        folded = column.name.casefold()
        if (
            normalize_kql_type(column.kql_type) in CATEGORICAL_TYPES
            and not is_bookkeeping(column.name)
            and folded not in excluded
            and folded not in _UNIQUE_FOLDED
            and folded not in _BLOB_COLUMNS
        ):
            out.append(column.name)
    return tuple(out)
