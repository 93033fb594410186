"""The gateway's contract for a provider's settings: PUT takes them whole, PATCH any of the same fields."""

import json
from typing import Any

from gateway.contract import COMMITTED

PATH = "/api/v1/providers/{provider}"


def _document() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


def _models(document: dict[str, Any], method: str) -> list[dict[str, Any]]:
    schema = document["paths"][PATH][method]["requestBody"]["content"]["application/json"]["schema"]
    names = [ref["$ref"].rsplit("/", 1)[-1] for ref in schema["oneOf"]]
    return [document["components"]["schemas"][name] for name in names]


def test_patch_takes_each_providers_settings_none_of_them_required() -> None:
    document = _document()
    whole, changes = _models(document, "put"), _models(document, "patch")
    assert len(whole) == len(changes) >= 2
    for full, partial in zip(whole, changes, strict=True):
        assert full.get("required"), "PUT wants the provider's secrets every time"
        assert not partial.get("required")
        assert set(partial["properties"]) == set(full["properties"])
        assert partial["additionalProperties"] is False
        for name, prop in full["properties"].items():
            # The same rules on every field sent (a pattern, a length), null allowed to clear it.
            kinds = partial["properties"][name]["anyOf"]
            assert {"type": "null"} in kinds
            checked = prop.get("anyOf", [prop])[0]
            assert any(all(k.get(rule) == value for rule, value in checked.items() if rule != "title") for k in kinds)


def test_patch_is_the_owners_and_says_when_there_is_nothing_to_change() -> None:
    responses = _document()["paths"][PATH]["patch"]["responses"]
    for status in ("200", "403", "404", "409", "422"):
        assert status in responses
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ProviderSettingsView")
    for status in ("403", "409"):
        assert responses[status]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
