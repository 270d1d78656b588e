"""Say what applying a configuration document would change.

Documents are compared in their canonical form (every default filled in),
so leaving out a default is no change. Lists of configurations, object
mappings and attribute mappings are matched by name, object and Regal
attribute rather than by position: inserting one mapping reports one
addition, not a shifted list.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from mapping_service.domain.document import child_path
from mapping_service.domain.values import JsonObject, JsonValue

# Key that identifies an element, per list name.
_IDENTITY = {"configurations": "name", "object_mappings": "object", "attributes": "regal"}


@dataclass(frozen=True)
class Change:
    """One value added, removed or changed, at its document path."""

    path: str
    kind: str  # added | removed | changed
    before: JsonValue = None
    after: JsonValue = None

    def before_json(self) -> str:
        """Return the old value as JSON, empty when it was absent."""
        return "" if self.kind == "added" else json.dumps(self.before, sort_keys=True)

    def after_json(self) -> str:
        """Return the new value as JSON, empty when it is removed."""
        return "" if self.kind == "removed" else json.dumps(self.after, sort_keys=True)


def diff_documents(before: JsonObject | None, after: JsonObject) -> list[Change]:
    """List every change from ``before`` (None: a new tenant) to ``after``."""
    if before is None:
        return [Change("", "added", None, after)]
    return list(_diff_values("", before, after))


def _diff_values(path: str, before: JsonValue, after: JsonValue) -> Iterator[Change]:
    if isinstance(before, dict) and isinstance(after, dict):
        yield from _diff_mappings(path, before, after)
    elif isinstance(before, list) and isinstance(after, list):
        yield from _diff_lists(path, before, after)
    elif before != after:
        yield Change(path, "changed", before, after)


def _diff_mappings(
    path: str, before: Mapping[str, JsonValue], after: Mapping[str, JsonValue]
) -> Iterator[Change]:
    for key in after:
        if key not in before:
            yield Change(child_path(path, key), "added", None, after[key])
        else:
            yield from _diff_values(child_path(path, key), before[key], after[key])
    for key in before:
        if key not in after:
            yield Change(child_path(path, key), "removed", before[key], None)


def _diff_lists(
    path: str, before: Sequence[JsonValue], after: Sequence[JsonValue]
) -> Iterator[Change]:
    key = _IDENTITY.get(path.rsplit(".", 1)[-1].split("[")[0])
    if key is None or not _keyed(before, key) or not _keyed(after, key):
        if before != after:
            yield Change(path, "changed", list(before), list(after))
        return
    old = {_identity(item, key): item for item in before}
    new_keys = {_identity(item, key) for item in after}
    for index, item in enumerate(after):
        item_path = f"{path}[{index}]"
        previous = old.get(_identity(item, key))
        if previous is None:
            yield Change(item_path, "added", None, item)
        else:
            yield from _diff_values(item_path, previous, item)
    for index, item in enumerate(before):
        if _identity(item, key) not in new_keys:
            yield Change(f"{path}[{index}]", "removed", item, None)


def _keyed(items: Sequence[JsonValue], key: str) -> bool:
    identities = [_identity(i, key) for i in items]
    return all(i is not None for i in identities) and len(set(identities)) == len(identities)


def _identity(item: JsonValue, key: str) -> str | None:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, str) else None
