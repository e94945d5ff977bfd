r"""Incident entities → the strings they can appear as in log data.

One payload entity (``{"kind": ..., "properties": {...}}`` as Sentinel's incident trigger and
list-entities API send it, or the flat PascalCase form of alert entities,
``{"$id": "5", "Type": "account", "Name": ..., "UPNSuffix": ...}``) becomes an
:class:`~lookup.models.Entity` with its search identifiers, or a
:class:`~lookup.models.SkippedEntity` with the reason it is not searched.

What each kind is searched by is data, in :mod:`lookup.entity_kinds` (the properties read,
or the derivation in :mod:`lookup.identifier_rules`: UPN and ``DOMAIN\name`` for accounts,
FQDN and the machine name of an ARM id for hosts, the forms of an IP or a URL, a file's
full path...). Kinds with nothing to search (SecurityAlert, MailCluster, ...) are skipped
with their reason, and so are kinds the lookup does not know; neither is ever fatal.

Every identifier is stripped; identifiers shorter than :data:`MIN_IDENTIFIER_LENGTH`
characters or without any letter or digit are dropped (a Kusto term search for ``a`` or
``-`` matches nearly every row and costs a full scan). Duplicates are removed
case-insensitively. Otherwise strings pass through unchanged, whatever quotes, backslashes,
newlines or KQL keywords they hold: escaping is :mod:`lookup.kql`'s job.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from lookup.entity_kinds import SEARCHED, SKIPPED, KindSpec
from lookup.entity_props import (
    Props,
    RefIndex,
    canonical_kind,
    json_type,
    kind_key,
    parse_shape,
)
from lookup.errors import PayloadError
from lookup.identifier_rules import NOTHING_FOUND, RULES, has_alnum
from lookup.models import Entity, EntityKind, SkippedEntity

__all__ = [
    "MIN_IDENTIFIER_LENGTH",
    "canonical_kind",
    "clean_identifiers",
    "entities_from_payload",
    "entity_from_payload",
    "entity_kind",
    "json_type",
    "usable_identifier",
]

#: Identifiers shorter than this are dropped: too short to be a useful term search.
MIN_IDENTIFIER_LENGTH = 3

_KIND_ORDER = {kind: index for index, kind in enumerate(EntityKind)}
_SEARCHABLE_KINDS = {kind_key(kind.value): kind for kind in EntityKind}
_TOO_SHORT = f"(or all shorter than {MIN_IDENTIFIER_LENGTH} characters)"


def entity_kind(kind: str) -> EntityKind | None:
    """The searchable :class:`EntityKind` for a payload ``kind``, case-insensitively, or None."""
    return _SEARCHABLE_KINDS.get(kind_key(canonical_kind(kind)))


def usable_identifier(text: str) -> bool:
    """Whether a (stripped) string is worth a term search: 3+ characters, some alphanumeric."""
    return len(text) >= MIN_IDENTIFIER_LENGTH and has_alnum(text)


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


def entity_from_payload(
    raw: object, related: Sequence[object] = (), *, path: str = "entity"
) -> Entity | SkippedEntity:
    """Turn one payload entity into an :class:`Entity`, or a :class:`SkippedEntity`.

    ``related`` is the payload's whole entity list, used to resolve references such as a
    Process's ``imageFileEntityId``. ``path`` is the entity's JSON path for error messages.

    Raises :class:`PayloadError` (with the field's path) when the entity is not an object,
    has no kind, or a property used for identifiers has the wrong JSON type.
    """
    return _convert(raw, RefIndex(related), path)


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
    index = RefIndex(raws)
    found: list[Entity] = []
    skipped: set[SkippedEntity] = set()
    for raw, path in zip(raws, paths, strict=True):
        result = _convert(raw, index, path)
        if isinstance(result, Entity):
            found.append(result)
        else:
            skipped.add(result)
    found = _image_hosts(found, raws, index)
    return _merge(found), tuple(
        sorted(skipped, key=lambda s: (s.kind.casefold(), s.name or "", s.reason))
    )


#: Kinds whose rows are scoped to their host when the payload names one.
_HOST_SCOPED = frozenset({EntityKind.PROCESS, EntityKind.FILE})


def _host_scope(props: Props, index: RefIndex) -> tuple[str, ...]:
    """Identifiers of the host an entity's ``hostEntityId`` names (none when it names none)."""
    host = index.resolve(props.reference("hostEntityId", "Host"), "Host")
    return clean_identifiers(RULES["host"](host, index)) if host is not None else ()


def _image_hosts(entities: list[Entity], raws: Sequence[object], index: RefIndex) -> list[Entity]:
    """A File without a host of its own lives on the host of the Process that runs it."""
    hosts: dict[str, tuple[str, ...]] = {}
    for raw in raws:
        try:
            shape = parse_shape(raw, "entity")
        except PayloadError:
            continue
        if entity_kind(shape.kind) is not EntityKind.PROCESS:
            continue
        scope = _host_scope(shape.props, index)
        image = index.resolve(shape.props.reference("imageFileEntityId", "ImageFile"), "File")
        if scope and image is not None:
            for identifier in clean_identifiers(RULES["file"](image, index)):
                hosts.setdefault(identifier.casefold(), scope)
    return [
        replace(e, scope=hosts.get(e.value.casefold(), ()))
        if e.kind is EntityKind.FILE and not e.scope
        else e
        for e in entities
    ]


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
            scope = clean_identifiers([*previous.scope, *entity.scope])
            merged[key] = Entity(previous.kind, previous.value, identifiers, scope)
    return tuple(merged.values())


def _convert(raw: object, index: RefIndex, path: str) -> Entity | SkippedEntity:
    shape = parse_shape(raw, path)
    kind = entity_kind(shape.kind)
    props = shape.props
    if kind is None:
        name = canonical_kind(shape.kind)
        reason = SKIPPED.get(name, f"{name} entities are not searched")
        return SkippedEntity(kind=name, reason=reason, name=_display_name(props))
    spec = SEARCHED[kind]
    identifiers = clean_identifiers(_candidates(spec, props, index))
    if identifiers:
        scope = _host_scope(props, index) if kind in _HOST_SCOPED else ()
        return Entity(kind=kind, value=identifiers[0], identifiers=identifiers, scope=scope)
    reason = f"{_nothing_found(spec)} {_TOO_SHORT}"
    address = props.text("address") if kind is EntityKind.IP else None
    if address:
        reason = f"address {address!r} is not a valid IPv4 or IPv6 address"
    elif kind is EntityKind.IP:
        reason = NOTHING_FOUND["ip"]
    return SkippedEntity(kind=str(kind), reason=reason, name=_display_name(props))


def _candidates(spec: KindSpec, props: Props, index: RefIndex) -> Iterator[str | None]:
    if spec.rule is not None:
        yield from RULES[spec.rule](props, index)
        return
    found = False
    for names in spec.properties:
        for text in props.texts(*names.split("|")):
            found = True
            yield text
    if spec.friendly and not found:
        yield props.text("friendlyName")


def _nothing_found(spec: KindSpec) -> str:
    if spec.rule is not None:
        return NOTHING_FOUND[spec.rule]
    names = [names.split("|")[0] for names in spec.properties]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"no {listed}"


_DISPLAY_FIELDS = (
    "friendlyName", "fileName", "domainName", "accountName", "hostName", "address", "url",
    "malwareName", "Name",
)  # fmt: skip


def _display_name(props: Props) -> str | None:
    for name in _DISPLAY_FIELDS:
        found = props.raw(name)
        if found is not None and isinstance(found[1], str) and found[1].strip():
            return found[1].strip()
    return None
