"""Reading one payload entity: its kind, its properties in either spelling, its references.

Sentinel sends entities in two forms: the incident trigger and the REST API use
``{"kind": ..., "properties": {...camelCase...}}``, alerts (``SecurityAlert.Entities``, the
alert trigger) a flat PascalCase object naming its kind in ``Type`` and referring to other
entities by ``{"$ref": "<$id>"}``. :class:`Props` reads a property whatever its casing,
:func:`parse_shape` splits an entity into kind and properties, and :class:`RefIndex`
resolves ``*EntityId`` / ``$ref`` references within one payload.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lookup.entity_kinds import ALIASES, known_kind_names
from lookup.errors import PayloadError

_CANONICAL_KIND = {name.casefold(): name for name in known_kind_names()} | ALIASES


def kind_key(kind: str) -> str:
    """A kind spelling folded for comparison: ``host-logon-session`` → ``hostlogonsession``."""
    return re.sub(r"[\s_-]", "", kind).casefold()


def canonical_kind(kind: str) -> str:
    """Sentinel's spelling of an entity kind: ``ip``/``IP`` → ``Ip``, ``file-hash`` → ``FileHash``.

    Unknown kinds are returned stripped but otherwise unchanged.
    """
    return _CANONICAL_KIND.get(kind_key(kind), kind.strip())


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


class Props:
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

    def texts(self, *names: str) -> list[str]:
        """A string property as a one-item list, or every string of a list-valued one.

        Raises :class:`PayloadError` when the property (or an item) has another JSON type.
        """
        found = self.raw(*names)
        if found is None:
            return []
        key, value = found
        if not isinstance(value, list | tuple):
            text = self.text(key)
            return [text] if text else []
        out: list[str] = []
        for i, item in enumerate(value):
            if item is None:
                continue
            if not isinstance(item, str):
                raise PayloadError(
                    f"{self.path}.{key}[{i}]", f"expected a string, got {json_type(item)}"
                )
            if item.strip():
                out.append(item.strip())
        return out

    def reference(self, *names: str) -> object:
        """The raw value of a reference property (``imageFileEntityId``, ``Host``), or None."""
        found = self.raw(*names)
        return None if found is None else found[1]

    def sub(self, name: str) -> Props | None:
        """A nested object property, or None when absent or not an object."""
        found = self.raw(name)
        if found is None or not isinstance(found[1], Mapping):
            return None
        return Props(found[1], f"{self.path}.{found[0]}")


@dataclass(frozen=True)
class Shape:
    """One payload entity split into its kind (as sent) and its properties."""

    kind: str
    props: Props


def parse_shape(raw: object, path: str) -> Shape:
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
        return Shape(kind.strip(), Props(properties, f"{path}.properties"))
    alert_type = raw.get("Type")
    # Alert entities (SecurityAlert.Entities, the alert trigger) are flat and name their kind
    # in ``Type``; an ARM ``type`` such as "Microsoft.SecurityInsights/Entities" is not a kind.
    if isinstance(alert_type, str) and alert_type.strip() and "/" not in alert_type:
        return Shape(alert_type.strip(), Props(raw, path))
    raise PayloadError(f"{path}.kind", "missing: every entity needs a kind")


class RefIndex:
    """Entities of one payload, for resolving ``*EntityId`` and ``{"$ref": ...}`` references."""

    def __init__(self, raws: Sequence[object]) -> None:
        self._by_id: dict[str, list[Shape]] = {}
        self._by_ref: dict[str, Shape] = {}
        for raw in raws:
            if not isinstance(raw, Mapping):
                continue
            entity_id = raw.get("id")
            if isinstance(entity_id, str) and "kind" in raw:
                try:
                    shape = parse_shape(raw, "entity")
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
                    self._by_ref.setdefault(str(ref_id), parse_shape(value, "entity"))
            for item in value.values():
                self._collect_refs(item, depth + 1)
        elif isinstance(value, list):
            for item in value:
                self._collect_refs(item, depth + 1)

    def resolve(self, reference: object, kind: str) -> Props | None:
        """Properties of the referenced entity of ``kind`` (canonical name), if found."""
        candidates: list[Shape] = []
        if isinstance(reference, str):
            candidates = self._by_id.get(reference.casefold(), [])
        elif isinstance(reference, Mapping):
            ref = reference.get("$ref")
            if isinstance(ref, str | int) and not isinstance(ref, bool):
                target = self._by_ref.get(str(ref))
                candidates = [target] if target else []
            elif "Type" in reference:
                try:
                    candidates = [parse_shape(reference, "entity")]
                except PayloadError:
                    candidates = []
        for shape in candidates:
            if canonical_kind(shape.kind) == kind:
                return shape.props
        return None
