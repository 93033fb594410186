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
            rules = {rule: value for rule, value in checked.items() if rule not in ("title", "writeOnly")}
            assert any(all(k.get(rule) == value for rule, value in rules.items()) for k in kinds)


def test_patch_is_the_owners_and_says_when_there_is_nothing_to_change() -> None:
    responses = _document()["paths"][PATH]["patch"]["responses"]
    for status in ("200", "403", "404", "409", "422"):
        assert status in responses
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/ProviderSettingsView")
    for status in ("403", "409"):
        assert responses[status]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem")


def test_each_providers_settings_name_it_and_its_secrets_are_write_only() -> None:
    # What the console builds a provider's form from: which provider, its name, which fields never come back.
    document = _document()
    secrets = {"stripe": {"secret_key", "webhook_secret"}, "wayforpay": {"secret_key"}}
    for method in ("put", "patch"):
        models = _models(document, method)
        assert {m["x-provider"] for m in models} >= set(secrets)
        for model in models:
            written_only = {name for name, prop in model["properties"].items() if prop.get("writeOnly")}
            assert written_only == secrets.get(model["x-provider"], written_only)
            assert model["title"] and not model["title"].endswith("Settings")
    names = {m["x-provider"]: m["title"] for m in _models(document, "put")}
    assert names["stripe"] == "Stripe" and names["wayforpay"] == "WayForPay"
