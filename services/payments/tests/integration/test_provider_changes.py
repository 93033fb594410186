"""PATCH /providers/{provider}: some settings changed, the rest (secrets above all) kept, still sealed."""

import asyncio
import json
import uuid

import asyncpg
import pytest
from localstack.provider_standin import STRIPE_KEY, STRIPE_WEBHOOK_SECRET, WFP_DOMAIN, WFP_MERCHANT, WFP_SECRET
from payments.adapters import repository as repo
from servicekit.testing import as_account
from sqlalchemy import text


async def _stored(app, account: uuid.UUID, provider: str) -> dict | None:
    async with app.state.engine.connect() as conn:
        return await repo.provider_settings(conn, app.state.sealer, account, provider)


async def _raw(app, account: uuid.UUID) -> list[str]:
    url = app.state.engine.url.render_as_string(hide_password=False).replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        return [r["settings"] for r in await conn.fetch(
            "SELECT settings::text FROM provider_accounts WHERE account_id = $1", account)]
    finally:
        await conn.close()


async def _announcements(app, account: uuid.UUID) -> int:
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text(
            "SELECT count(*) FROM outbox WHERE topic = 'PaymentProvidersUpdated' AND payload->>'account_id' = :a"),
            {"a": str(account)})


async def test_a_setting_changed_without_its_secrets_keeps_them_sealed(client_app, configure) -> None:
    client, app = client_app
    account = uuid.uuid4()
    await configure(account, "wayforpay")
    changed = await client.patch("/providers/wayforpay", json={"merchant_domain_name": "school.example.org"},
                                 headers=as_account(account))
    assert changed.status_code == 200, changed.text
    shown = changed.json()
    assert shown["settings"] == {"merchant_account": WFP_MERCHANT, "merchant_domain_name": "school.example.org"}
    assert shown["secrets_set"] == ["secret_key"] and shown["configured"] is True
    assert WFP_SECRET not in changed.text
    assert await _stored(app, account, "wayforpay") == {
        "merchant_account": WFP_MERCHANT, "secret_key": WFP_SECRET, "merchant_domain_name": "school.example.org"}
    [row] = await _raw(app, account)
    assert WFP_SECRET not in row and json.loads(row)["sealed"] == 1
    assert (await client.get("/providers/wayforpay", headers=as_account(account))).json() == shown
    assert await _announcements(app, account) == 2  # the set up, then the change


async def test_a_secret_sent_replaces_the_stored_one_and_null_clears_an_optional_setting(client_app) -> None:
    client, app = client_app
    account = uuid.uuid4()
    first = {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET, "success_url": "https://school.example/ok"}
    assert (await client.put("/providers/stripe", json=first, headers=as_account(account))).status_code == 200
    changed = await client.patch("/providers/stripe", json={"webhook_secret": "whsec_rotated_1", "success_url": None},
                                 headers=as_account(account))
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"] == {} and changed.json()["secrets_set"] == ["secret_key", "webhook_secret"]
    assert await _stored(app, account, "stripe") == {"secret_key": STRIPE_KEY, "webhook_secret": "whsec_rotated_1"}
    assert not any("whsec_rotated_1" in r for r in await _raw(app, account))


async def test_a_change_to_a_provider_never_set_up_is_a_conflict_that_stores_nothing(client_app) -> None:
    client, app = client_app
    account = uuid.uuid4()
    refused = await client.patch("/providers/stripe", json={"success_url": "https://school.example/ok"},
                                 headers=as_account(account))
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Provider not set up"
    assert "PUT /api/v1/providers/stripe" in refused.json()["detail"]
    assert await _stored(app, account, "stripe") is None
    assert await _announcements(app, account) == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"secret_key": "not-a-key"}, "secret_key"),  # a value the settings refuse
    ({"webhook_secret": None}, "webhook_secret"),  # a setting the provider needs cleared
    ({"publishable_key": "pk_test_1"}, "publishable_key"),  # no such setting
])
async def test_a_refused_change_names_its_field_and_keeps_the_settings(client_app, configure, body, field) -> None:
    client, app = client_app
    account = uuid.uuid4()
    await configure(account, "stripe")
    refused = await client.patch("/providers/stripe", json=body, headers=as_account(account))
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == [field]
    assert await _stored(app, account, "stripe") == {"secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET}
    assert await _announcements(app, account) == 1


async def test_only_the_owner_changes_provider_settings(client_app, configure) -> None:
    client, app = client_app
    account = uuid.uuid4()
    await configure(account, "wayforpay")
    for role in ("manager", "viewer"):
        refused = await client.patch("/providers/wayforpay", json={"merchant_domain_name": "x.example"},
                                     headers=as_account(account, role=role))
        assert refused.status_code == 403, refused.text
    assert (await _stored(app, account, "wayforpay"))["merchant_domain_name"] == WFP_DOMAIN


async def test_an_unknown_provider_and_a_body_not_json_are_refused_clearly(client_app, configure) -> None:
    client, _ = client_app
    account = uuid.uuid4()
    await configure(account, "stripe")
    assert (await client.patch("/providers/nope", json={}, headers=as_account(account))).status_code == 404
    broken = await client.patch("/providers/stripe", content=b"{not json", headers={
        **as_account(account), "Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "body"


async def test_two_changes_made_at_once_each_keep_the_others(client_app, configure) -> None:
    client, app = client_app
    account = uuid.uuid4()
    await configure(account, "stripe")
    first, second = await asyncio.gather(
        client.patch("/providers/stripe", json={"success_url": "https://school.example/ok"}, headers=as_account(account)),
        client.patch("/providers/stripe", json={"cancel_url": "https://school.example/back"}, headers=as_account(account)),
    )
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert await _stored(app, account, "stripe") == {
        "secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WEBHOOK_SECRET,
        "success_url": "https://school.example/ok", "cancel_url": "https://school.example/back"}
