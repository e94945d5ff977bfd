r"""Incident entities → the strings they can appear as in log data.

One payload entity (``{"kind": ..., "properties": {...}}`` as Sentinel's incident trigger and
list-entities API send it, or the flat PascalCase form of alert entities,
``{"$id": "5", "Type": "account", "Name": ..., "UPNSuffix": ...}``) becomes an
:class:`~lookup.models.Entity` with its search identifiers, or a
:class:`~lookup.models.SkippedEntity` with the reason it is not searched.

Identifier rules (most specific first; the first one is the display ``value``):

* **Account**: UPN, ``NTDOMAIN\name``, SID, AAD object id, objectGuid, PUID, bare account
  name. UPN = coalesce(userPrincipalName, accountName when it is a full UPN,
  accountName + "@" + upnSuffix). The bare name is accountName without its domain part,
  or the UPN prefix, so payloads from before and after Sentinel's 2026 account-naming change
  yield the same identifiers. A local account (no domain, no UPN) on a known host also gets
  ``HOST\name``, the form Windows logs use.
* **Host**: FQDN (hostName + "." + dnsDomain, or hostName when it already is one), host
  name, NetBIOS name, and the Defender device id from ``additionalData.MdatpDeviceId``
  (the ``DeviceId`` column of the Device* tables). ``azureID`` is not used: host columns
  hold names, not ARM ids, and Azure-side activity belongs to AzureResource entities.
* **Ip**: the address as sent, plus its canonical form (IPv6 compressed) and the IPv4 of
  an IPv4-mapped IPv6 address. An address ``ipaddress`` rejects makes the entity skipped.
* **Url**: the URL, the URL without its scheme (proxy logs often drop it) and its host
  name (DNS and firewall logs only see the host).
* **FileHash**: ``hashValue`` only, never ``friendlyName`` (Sentinel writes
  ``"<hash>(SHA1)"`` there).
* **Process**: command line, then the image file's full path and file name when
  ``imageFileEntityId`` (or the alert form's ``ImageFile`` reference) resolves to a File
  entity of the same payload.
* **Mailbox**: primary SMTP address, UPN, external directory object id.
* **CloudApplication**: app name, app id, instance name.
* **AzureResource**: the resource id only. The last segment (the resource name) is not
  used: names such as ``default`` or ``master`` repeat across resource groups and types,
  while the tables that log Azure resources carry the full id.

Every identifier is stripped; identifiers shorter than :data:`MIN_IDENTIFIER_LENGTH`
characters or without any letter or digit are dropped (a Kusto term search for ``a`` or
``-`` matches nearly every row and costs a full scan). Duplicates are removed
case-insensitively. Otherwise strings pass through unchanged, whatever quotes, backslashes,
newlines or KQL keywords they hold: escaping is :mod:`lookup.kql`'s job.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from lookup.errors import PayloadError
from lookup.models import Entity, EntityKind, SkippedEntity

#: Identifiers shorter than this are dropped: too short to be a useful term search.
MIN_IDENTIFIER_LENGTH = 3

_KIND_ORDER = {kind: index for index, kind in enumerate(EntityKind)}

# Entity kinds of the Sentinel API (SDK ``EntityKind`` enum) and of alert entities
# (``Type`` values such as ``host-logon-session``), keyed by their normalised spelling.
_KIND_NAMES = (
    "Account", "Host", "File", "AzureResource", "CloudApplication", "DnsResolution",
    "FileHash", "Ip", "Malware", "Process", "RegistryKey", "RegistryValue", "SecurityGroup",
    "Url", "IoTDevice", "SecurityAlert", "Bookmark", "MailCluster", "MailMessage", "Mailbox",
    "SubmissionMail", "Nic", "HostLogonSession", "NetworkConnection", "CloudLogonSession",
)  # fmt: skip
_CANONICAL_KIND = {name.casefold(): name for name in _KIND_NAMES} | {"dns": "DnsResolution"}

_SKIP_REASONS = {
    "File": "file names are not searched (too common); FileHash entities are",
    "DnsResolution": "DNS resolution entities are not searched; Url and Ip entities are",
    "HostLogonSession": "logon sessions are not searched; their Account and Host are",
}

# A scheme-less URL that starts with a host name: "evil.example/path", "10.0.0.1:8080/x".
_SCHEMELESS_URL = re.compile(r"^[A-Za-z0-9.-]+(?:[/?#:]|$)")
_SEARCHABLE_KINDS = {kind.value: kind for kind in EntityKind}


def _kind_key(kind: str) -> str:
    return re.sub(r"[\s_-]", "", kind).casefold()


def canonical_kind(kind: str) -> str:
    """Sentinel's spelling of an entity kind: ``ip``/``IP`` → ``Ip``, ``file-hash`` → ``FileHash``.

    Unknown kinds are returned stripped but otherwise unchanged.
    """
    return _CANONICAL_KIND.get(_kind_key(kind), kind.strip())


def entity_kind(kind: str) -> EntityKind | None:
    """The searchable :class:`EntityKind` for a payload ``kind``, case-insensitively, or None."""
    name = _CANONICAL_KIND.get(_kind_key(kind))
    return _SEARCHABLE_KINDS.get(name) if name else None


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def usable_identifier(text: str) -> bool:
    """Whether a (stripped) string is worth a term search: 3+ characters, some alphanumeric."""
    return len(text) >= MIN_IDENTIFIER_LENGTH and _has_alnum(text)


def clean_identifiers(candidates: Iterable[str | None]) -> tuple[str, ...]:
    """Strip, drop unusable ones and dedupe case-insensitively, keeping the first spelling."""
    out: list[str] = []
    seen: set[str] = set()
    for candidate in candidates:
        if candidate is None:
            continue
        text = candidate.strip()
        key = text.casefold()
        if usable_identifier(text) and key not in seen:
            seen.add(key)
            out.append(text)
    return tuple(out)


def json_type(value: object) -> str:
    """How an error message names a JSON value's type ("a string", "an array", "null")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return type(value).__name__


class _Props:
    """Property lookup tolerant of camelCase (payload) and PascalCase (alert) spellings."""

    def __init__(self, data: Mapping[str, object], path: str) -> None:
        self._data = data
        self._folded: dict[str, str] = {}
        for key in data:
            self._folded.setdefault(key.casefold(), key)
        self.path = path

    def raw(self, *names: str) -> tuple[str, object] | None:
        """The first of ``names`` present with a non-null value (exact key, then any case)."""
        for name in names:
            for key in (name, self._folded.get(name.casefold())):
                if key is not None and key in self._data and self._data[key] is not None:
                    return key, self._data[key]
        return None

    def text(self, *names: str) -> str | None:
        """A string property, stripped; empty → None; integers are accepted as text.

        Raises :class:`PayloadError` naming the property when it has another JSON type.
        """
        found = self.raw(*names)
        if found is None:
            return None
        key, value = found
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise PayloadError(f"{self.path}.{key}", f"expected a string, got {json_type(value)}")

    def loose_text(self, *names: str) -> str | None:
        """Like :meth:`text` for loosely typed bags (``additionalData``): other types → None."""
        found = self.raw(*names)
        if found is None or not isinstance(found[1], str):
            return None
        return found[1].strip() or None

    def sub(self, name: str) -> _Props | None:
        """A nested object property, or None when absent or not an object."""
        found = self.raw(name)
        if found is None or not isinstance(found[1], Mapping):
            return None
        return _Props(found[1], f"{self.path}.{found[0]}")


@dataclass(frozen=True)
class _Shape:
    kind: str
    props: _Props


def _shape(raw: object, path: str) -> _Shape:
    """Validate one raw entity and split it into its kind and properties."""
    if not isinstance(raw, Mapping):
        raise PayloadError(path, f"expected an entity object, got {json_type(raw)}")
    if "kind" in raw:
        kind = raw["kind"]
        if not isinstance(kind, str) or not kind.strip():
            raise PayloadError(f"{path}.kind", "expected a non-empty string")
        properties = raw.get("properties")
        if properties is None:
            properties = {}
        if not isinstance(properties, Mapping):
            raise PayloadError(
                f"{path}.properties", f"expected an object, got {json_type(properties)}"
            )
        return _Shape(kind.strip(), _Props(properties, f"{path}.properties"))
    alert_type = raw.get("Type")
    # Alert entities (SecurityAlert.Entities, the alert trigger) are flat and name their kind
    # in ``Type``; an ARM ``type`` such as "Microsoft.SecurityInsights/Entities" is not a kind.
    if isinstance(alert_type, str) and alert_type.strip() and "/" not in alert_type:
        return _Shape(alert_type.strip(), _Props(raw, path))
    raise PayloadError(f"{path}.kind", "missing: every entity needs a kind")


class _Index:
    """Entities of one payload, for resolving ``*EntityId`` and ``{"$ref": ...}`` references."""

    def __init__(self, raws: Sequence[object]) -> None:
        self._by_id: dict[str, list[_Shape]] = {}
        self._by_ref: dict[str, _Shape] = {}
        for raw in raws:
            if not isinstance(raw, Mapping):
                continue
            entity_id = raw.get("id")
            if isinstance(entity_id, str) and "kind" in raw:
                try:
                    shape = _shape(raw, "entity")
                except PayloadError:
                    continue
                self._by_id.setdefault(entity_id.casefold(), []).append(shape)
            else:
                self._collect_refs(raw, depth=0)

    def _collect_refs(self, value: object, depth: int) -> None:
        # Alert entities define nested entities inline the first time they are used and
        # refer to them by "$ref" afterwards, so every "$id" at any depth is indexed.
        if depth > 8:
            return
        if isinstance(value, Mapping):
            ref_id = value.get("$id")
            if isinstance(ref_id, str | int) and not isinstance(ref_id, bool):
                with contextlib.suppress(PayloadError):
                    self._by_ref.setdefault(str(ref_id), _shape(value, "entity"))
            for item in value.values():
                self._collect_refs(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                self._collect_refs(item, depth + 1)

    def resolve(self, reference: object, kind: str) -> _Props | None:
        """Properties of the referenced entity of ``kind`` (canonical name), if found."""
        candidates: list[_Shape] = []
        if isinstance(reference, str):
            candidates = self._by_id.get(reference.casefold(), [])
        elif isinstance(reference, Mapping):
            ref = reference.get("$ref")
            if isinstance(ref, str | int) and not isinstance(ref, bool):
                target = self._by_ref.get(str(ref))
                candidates = [target] if target else []
            elif "Type" in reference:
                try:
                    candidates = [_shape(reference, "entity")]
                except PayloadError:
                    candidates = []
        for shape in candidates:
            if canonical_kind(shape.kind) == kind:
                return shape.props
        return None


def entity_from_payload(
    raw: object, related: Sequence[object] = (), *, path: str = "entity"
) -> Entity | SkippedEntity:
    """Turn one payload entity into an :class:`Entity`, or a :class:`SkippedEntity`.

    ``related`` is the payload's whole entity list, used to resolve references such as a
    Process's ``imageFileEntityId``. ``path`` is the entity's JSON path for error messages.

    Raises :class:`PayloadError` (with the field's path) when the entity is not an object,
    has no kind, or a property used for identifiers has the wrong JSON type.
    """
    return _convert(raw, _Index(related), path)


def entities_from_payload(
    raws: Sequence[object], *, paths: Sequence[str] | None = None
) -> tuple[tuple[Entity, ...], tuple[SkippedEntity, ...]]:
    """Convert every entity of a payload, merge duplicates and sort.

    The payload's order is not stable (Sentinel reorders ``relatedEntities``), so the
    result is sorted: entities by kind (in :class:`EntityKind` order) and value; entities of
    one kind with the same value (case-insensitively) are merged into one, with the union
    of their identifiers. Identical skipped entities are reported once.
    """
    if paths is None:
        paths = [f"entities[{i}]" for i in range(len(raws))]
    index = _Index(raws)
    found: list[Entity] = []
    skipped: set[SkippedEntity] = set()
    for raw, path in zip(raws, paths, strict=True):
        result = _convert(raw, index, path)
        if isinstance(result, Entity):
            found.append(result)
        else:
            skipped.add(result)
    return _merge(found), tuple(
        sorted(skipped, key=lambda s: (s.kind.casefold(), s.name or "", s.reason))
    )


def _merge(entities: Iterable[Entity]) -> tuple[Entity, ...]:
    ordered = sorted(
        entities,
        key=lambda e: (
            _KIND_ORDER[e.kind],
            e.value.casefold(),
            e.value,
            tuple(i.casefold() for i in e.identifiers),
            e.identifiers,
        ),
    )
    merged: dict[tuple[EntityKind, str], Entity] = {}
    for entity in ordered:
        key = (entity.kind, entity.value.casefold())
        previous = merged.get(key)
        if previous is None:
            merged[key] = entity
        else:
            identifiers = clean_identifiers([*previous.identifiers, *entity.identifiers])
            merged[key] = Entity(previous.kind, previous.value, identifiers)
    return tuple(merged.values())


def _convert(raw: object, index: _Index, path: str) -> Entity | SkippedEntity:
    shape = _shape(raw, path)
    kind = entity_kind(shape.kind)
    props = shape.props
    if kind is None:
        name = canonical_kind(shape.kind)
        reason = _SKIP_REASONS.get(name, f"{name} entities are not searched")
        return SkippedEntity(kind=name, reason=reason, name=_display_name(props))
    identifiers = clean_identifiers(_BUILDERS[kind](props, index))
    if identifiers:
        return Entity(kind=kind, value=identifiers[0], identifiers=identifiers)
    reason = _NO_IDENTIFIER[kind]
    address = props.text("address") if kind is EntityKind.IP else None
    if address:
        reason = f"address {address!r} is not a valid IPv4 or IPv6 address"
    return SkippedEntity(kind=str(kind), reason=reason, name=_display_name(props))


_DISPLAY_FIELDS = (
    "friendlyName", "fileName", "domainName", "accountName", "hostName", "address", "url",
    "Name",
)  # fmt: skip


def _display_name(props: _Props) -> str | None:
    for name in _DISPLAY_FIELDS:
        found = props.raw(name)
        if found is not None and isinstance(found[1], str) and found[1].strip():
            return found[1].strip()
    return None


def _split_account(text: str) -> tuple[str | None, str | None, str | None]:
    r"""``DOMAIN\name`` or ``name@suffix`` or ``name`` → (domain, name, upn)."""
    domain: str | None = None
    if "\\" in text:
        head, _, text = text.partition("\\")
        domain = head.strip() or None
        text = text.strip()
    if "@" in text:
        prefix = text.rpartition("@")[0].strip()
        return domain, prefix or None, text
    return domain, text or None, None


def _account(props: _Props, index: _Index) -> Iterator[str | None]:
    upn = props.text("userPrincipalName")
    account_name = props.text("accountName", "Name")
    suffix = props.text("upnSuffix")
    nt_domain = props.text("ntDomain")
    sid = props.text("sid")
    aad_user_id = props.text("aadUserId")
    object_guid = props.text("objectGuid")
    puid = props.text("puid")
    if not any((upn, account_name, sid, aad_user_id, object_guid, puid)):
        # Last resort, as Sentinel itself names such accounts: the friendly name.
        account_name = props.text("friendlyName")
    name: str | None = None
    if account_name:
        domain, name, name_upn = _split_account(account_name)
        nt_domain = nt_domain or domain
        upn = upn or name_upn
    # Windows logs write "-" for an absent domain; such a part must not build "-\name".
    nt_domain = nt_domain if nt_domain and _has_alnum(nt_domain) else None
    suffix = suffix if suffix and _has_alnum(suffix) else None
    if upn is None and name and suffix:
        upn = f"{name}@{suffix.lstrip('@')}"
    if name is None and upn and "@" in upn:
        name = upn.rpartition("@")[0] or None
    qualified: str | None = None
    if name and nt_domain:
        qualified = f"{nt_domain}\\{name}"
    elif name and upn is None:
        host = index.resolve(_reference(props, "hostEntityId", "Host"), "Host")
        host_name = host.text("hostName", "HostName") if host else None
        if host_name:
            qualified = f"{host_name.partition('.')[0]}\\{name}"
    yield from (upn, qualified, sid, aad_user_id, object_guid, puid, name)


def _reference(props: _Props, *names: str) -> object:
    found = props.raw(*names)
    return None if found is None else found[1]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _host(props: _Props, index: _Index) -> Iterator[str | None]:
    host_name = props.text("hostName")
    dns_domain = props.text("dnsDomain")
    netbios = props.text("netBiosName")
    extra = props.sub("additionalData")
    device_id = extra.loose_text("MdatpDeviceId") if extra else None
    if not any((host_name, netbios, device_id)):
        host_name = props.text("friendlyName")
    fqdn: str | None = None
    if host_name and "." in host_name.strip(".") and not _is_ip(host_name):
        fqdn = host_name.strip(".")
        host_name = fqdn.partition(".")[0]
    elif host_name and dns_domain and dns_domain.strip("."):
        fqdn = f"{host_name}.{dns_domain.strip('.')}"
    yield from (fqdn, host_name, netbios, device_id)


def _ip_forms(text: str) -> list[str] | None:
    candidate = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return None
    forms = [text, address.compressed]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        forms.append(str(address.ipv4_mapped))
    return forms


def _ip(props: _Props, index: _Index) -> Iterator[str | None]:
    address = props.text("address") or props.text("friendlyName")
    if address:
        yield from _ip_forms(address) or ()


def _url(props: _Props, index: _Index) -> Iterator[str | None]:
    url = props.text("url") or props.text("friendlyName")
    if not url:
        return
    yield url
    host: str | None = None
    try:
        if "://" in url:
            yield url.split("://", 1)[1].rstrip("/")
            host = urlsplit(url).hostname
        elif _SCHEMELESS_URL.match(url):
            host = urlsplit("//" + url).hostname
    except ValueError:
        host = None
    yield host


def _file_hash(props: _Props, index: _Index) -> Iterator[str | None]:
    # Never friendlyName: Sentinel writes "<hash>(SHA1)" there, which matches nothing.
    yield props.text("hashValue", "Value")


def _file_forms(file: _Props | None) -> tuple[str | None, str | None]:
    if file is None:
        return None, None
    name = file.text("fileName", "Name")
    directory = file.text("directory", "Directory")
    if not name:
        return None, None
    if not directory:
        return None, name
    separator = "/" if "/" in directory and "\\" not in directory else "\\"
    if directory.endswith(("/", "\\")):
        return directory + name, name
    return f"{directory}{separator}{name}", name


def _process(props: _Props, index: _Index) -> Iterator[str | None]:
    command_line = props.text("commandLine")
    image = index.resolve(_reference(props, "imageFileEntityId", "ImageFile"), "File")
    path, name = _file_forms(image)
    yield from (command_line, path, name)


def _mailbox(props: _Props, index: _Index) -> Iterator[str | None]:
    address = props.text("mailboxPrimaryAddress")
    upn = props.text("upn")
    object_id = props.text("externalDirectoryObjectId")
    if not any((address, upn, object_id)):
        address = props.text("friendlyName")
    yield from (address, upn, object_id)


def _cloud_application(props: _Props, index: _Index) -> Iterator[str | None]:
    name = props.text("appName", "Name")
    app_id = props.text("appId")
    instance = props.text("instanceName")
    if not any((name, app_id, instance)):
        name = props.text("friendlyName")
    yield from (name, app_id, instance)


def _azure_resource(props: _Props, index: _Index) -> Iterator[str | None]:
    yield props.text("resourceId")


_BUILDERS = {
    EntityKind.ACCOUNT: _account,
    EntityKind.HOST: _host,
    EntityKind.IP: _ip,
    EntityKind.URL: _url,
    EntityKind.FILE_HASH: _file_hash,
    EntityKind.PROCESS: _process,
    EntityKind.MAILBOX: _mailbox,
    EntityKind.CLOUD_APPLICATION: _cloud_application,
    EntityKind.AZURE_RESOURCE: _azure_resource,
}

_TOO_SHORT = f"(or all shorter than {MIN_IDENTIFIER_LENGTH} characters)"
_NO_IDENTIFIER = {
    EntityKind.ACCOUNT: "no userPrincipalName, accountName, sid, aadUserId or objectGuid "
    + _TOO_SHORT,
    EntityKind.HOST: f"no hostName, netBiosName or device id {_TOO_SHORT}",
    EntityKind.IP: "no valid IPv4 or IPv6 address",
    EntityKind.URL: f"no url {_TOO_SHORT}",
    EntityKind.FILE_HASH: f"no hashValue {_TOO_SHORT}",
    EntityKind.PROCESS: f"no command line and no resolvable image file {_TOO_SHORT}",
    EntityKind.MAILBOX: f"no mailboxPrimaryAddress, upn or object id {_TOO_SHORT}",
    EntityKind.CLOUD_APPLICATION: f"no appName, appId or instanceName {_TOO_SHORT}",
    EntityKind.AZURE_RESOURCE: f"no resourceId {_TOO_SHORT}",
}
