"""What the lookup knows about Sentinel tables: schemas, entity columns, candidate columns.

Pure data and functions, no I/O besides reading the bundled schema files once:

* :func:`load_bundled_schema` / :func:`bundled_tables`: column lists of well-known tables,
  shipped in ``lookup/schemas/`` (from the Azure Monitor table reference; see
  ``tests/fixtures/schemas/README.md`` for their provenance).
* :data:`ENTITY_COLUMNS`: for each entity kind, the columns of each known table that hold
  it (named and free-text columns, from the data in :mod:`lookup.entity_columns`),
  including dynamic/JSON columns where the entity sits inside a document (for example
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

from lookup.entity_columns import (
    COLUMNS,
    FREE_TEXT_COLUMNS,
    FREE_TEXT_KINDS,
    GUESS_RULES,
    split_columns,
)
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


def _entity_columns() -> dict[EntityKind, dict[str, tuple[str, ...]]]:
    out: dict[EntityKind, dict[str, tuple[str, ...]]] = {}
    for kind, by_table in COLUMNS.items():
        out[kind] = {}
        for table, spec in by_table.items():
            named, free = split_columns(spec)
            out[kind][table] = (*named, *free)
    return out


#: Entity kind → table → the columns of that table that hold entities of the kind, named
#: columns then free-text ones (the data and its notes: :mod:`lookup.entity_columns`).
ENTITY_COLUMNS: dict[EntityKind, dict[str, tuple[str, ...]]] = _entity_columns()

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
            # A CSV ingested as a custom log keeps a copy of some columns under the same
            # name plus "_" (the training lab's OfficeActivity: ClientIP_, UserId_): the
            # copy restates the entity just as the original does.
            copy = folded.get(name.casefold() + "_")
            if copy is not None and copy not in mapped:
                mapped.append(copy)
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


_GUESS_WORDS: dict[EntityKind, tuple[frozenset[str], frozenset[str]]] = {
    kind: (frozenset(include.split()), frozenset(exclude.split()))
    for kind, (include, exclude) in GUESS_RULES.items()
}
_FREE_TEXT_FOLDED = frozenset(name.casefold() for name in FREE_TEXT_COLUMNS)


def _guess_matches(kind: EntityKind, name: str) -> bool:
    include, exclude = _GUESS_WORDS[kind]
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
    ``DeviceVendor``, ``RemoteIPCountry``); the words are data
    (:data:`lookup.entity_columns.GUESS_RULES`). URLs, domains, hashes and malware names
    are also searched in the usual free-text columns (``SyslogMessage``, ``Message``,
    ``RawData``, command lines: :data:`lookup.entity_columns.FREE_TEXT_COLUMNS`).
    Bookkeeping columns are never guessed, except ``_ResourceId`` for Azure resources.
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
        free_text = kind in FREE_TEXT_KINDS and column.name.casefold() in _FREE_TEXT_FOLDED
        if free_text or _guess_matches(kind, column.name):
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
    XML/JSON documents, and columns named as ids or times (:func:`is_id_or_time_name`).
    Schema order is kept.
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
            and not is_id_or_time_name(column.name)
        ):
            out.append(column.name)
    return tuple(out)


_ID_OR_TIME_WORDS = frozenset({"time", "date", "timestamp", "datetime", "guid", "uuid"})
#: Things of which every occurrence has its own id: ``<thing>Id`` names one instance.
_INSTANCE_WORDS = frozenset(
    "logon session correlation request transaction operation process thread connection "
    "trace span record message activity".split()
)


def is_id_or_time_name(column: str) -> bool:
    """Whether a column is named as an id or a time, never a category (issue 12).

    A custom-log ``_g`` (guid) or ``_t`` (datetime) suffix; a last word ``Time``, ``Date``,
    ``Timestamp``, ``Guid``; or the id of one instance of something (``TargetLogonId``,
    ``SessionId``, ``ProcessId``, ``CorrelationId``): ``SessionId_g``, ``EventTime`` (text
    in a file read without types, a datetime in Log Analytics), ``CorrelationGuid``.
    ``EventID`` (an event type) and ``AppId`` (an application) are not.
    """
    if column.endswith(("_g", "_t")):
        return True
    words = _tokens(column.removesuffix("_s"))
    if not words:
        return False
    if words[-1] in _ID_OR_TIME_WORDS:
        return True
    return words[-1] == "id" and len(words) > 1 and words[-2] in _INSTANCE_WORDS
