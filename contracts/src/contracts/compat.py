"""Schema snapshots of the events, and the rule that keeps changes additive.

A change is compatible when every field the snapshot has is still there with the same
type, and no new field is required. Consumers ignore fields they do not know, so new
optional fields are always safe. Anything else needs a new event version.
"""

import json
from pathlib import Path
from typing import Any

from .envelope import Event
from .events import ALL_EVENTS

SNAPSHOTS = Path(__file__).resolve().parents[2] / "schemas"
# Words in a schema that document rather than constrain.
_DOC_KEYS = {"title", "description", "examples", "default"}


def schema_of(event: type[Event]) -> dict[str, Any]:
    return event.model_json_schema(mode="serialization")


def snapshot_path(event: type[Event]) -> Path:
    version = event.model_fields["schema_version"].default
    return SNAPSHOTS / f"{event.topic}.v{version}.json"


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    _compare(old, new, old.get("$defs", {}), new.get("$defs", {}), "", problems)
    return problems


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return defs[ref.rsplit("/", 1)[-1]] if ref else schema


def _compare(old: dict[str, Any], new: dict[str, Any], old_defs: dict[str, Any], new_defs: dict[str, Any],
             path: str, problems: list[str]) -> None:
    old, new = _resolve(old, old_defs), _resolve(new, new_defs)
    if "properties" in old:
        new_props = new.get("properties", {})
        for name, old_prop in old["properties"].items():
            where = f"{path}.{name}" if path else name
            if name not in new_props:
                problems.append(f"{where} was removed")
                continue
            _compare(old_prop, new_props[name], old_defs, new_defs, where, problems)
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            problems.append(f"{f'{path}.{name}' if path else name} is newly required")
        return
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], old_defs, new_defs, f"{path}[]", problems)
        return
    if "anyOf" in old and "anyOf" in new and len(old["anyOf"]) == len(new["anyOf"]):
        for a, b in zip(old["anyOf"], new["anyOf"], strict=True):
            _compare(a, b, old_defs, new_defs, path, problems)
        return
    if _shape(old) != _shape(new):
        problems.append(f"{path} changed from {_shape(old)} to {_shape(new)}")


def _shape(schema: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in schema.items() if k not in _DOC_KEYS}, sort_keys=True)


def write_missing_snapshots() -> list[Path]:
    """Snapshot every event version that has none yet; existing snapshots are never rewritten."""
    written = []
    SNAPSHOTS.mkdir(exist_ok=True)
    for event in ALL_EVENTS:
        path = snapshot_path(event)
        if not path.exists():
            path.write_text(json.dumps(schema_of(event), indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write_missing_snapshots():
        print(f"wrote {p}")
