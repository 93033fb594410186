"""The CRM's creating requests under an Idempotency-Key over HTTP, on real PostgreSQL: contacts,
pipelines and an order's lines. A repeat answers what the first one made, with the same status,
and nothing is made twice; the key with another body is the one 422 and makes nothing."""

import uuid

import pytest
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text

STAGES = [{"name": "Lead"}, {"name": "Won", "on_full_payment": True}, {"name": "Lost", "on_cancel": True}]
PYTHON, SQL = uuid.UUID(int=100), uuid.UUID(int=101)  # in every new school's catalog (conftest)


@pytest.fixture(scope="module")
async def crm(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings, clock_interval_seconds=0) as running_service:
        yield running_service


def who(account, key=None):
    return {**as_account(account, user="manager-1"), **({"Idempotency-Key": key} if key else {})}


async def rows(app, sql, **values):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text(sql), values)


def reused(answer) -> bool:
    return (answer.status_code == 422 and answer.json()["title"] == "Idempotency-Key reused"
            and answer.json()["errors"][0]["field"] == "Idempotency-Key")


async def test_a_repeated_contact_answers_the_first_one(crm, new_school):
    client, app = crm[:2]
    account = await new_school(app)
    body = {"name": "Taras", "email": "taras@example.com"}
    first = await client.post("/contacts", json=body, headers=who(account, "contact-1"))
    assert first.status_code == 201, first.text
    again = await client.post("/contacts", json=body, headers=who(account, "contact-1"))
    assert again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["Location"] == first.headers["Location"]
    other = await client.post("/contacts", json={"name": "Ivan", "email": "ivan@example.com"},
                              headers=who(account, "contact-1"))
    assert reused(other)
    assert await rows(app, "SELECT count(*) FROM contacts WHERE account_id = :a", a=account) == 1
    # Without the key, the same body is the email the school has.
    assert (await client.post("/contacts", json=body, headers=who(account))).status_code == 409
    # The key on another route is another request: refused there too.
    assert reused(await client.post("/pipelines", json={"name": "B2B", "stages": STAGES},
                                    headers=who(account, "contact-1")))


async def test_a_repeated_pipeline_is_made_once(crm, new_school):
    client, app = crm[:2]
    account = await new_school(app)
    body = {"name": "B2B", "stages": STAGES}
    first = await client.post("/pipelines", json=body, headers=who(account, "pipeline-1"))
    assert first.status_code == 201, first.text
    again = await client.post("/pipelines", json=body, headers=who(account, "pipeline-1"))
    assert again.status_code == 201 and again.json() == first.json()
    assert reused(await client.post("/pipelines", json={**body, "name": "B2C"}, headers=who(account, "pipeline-1")))
    assert await rows(app, "SELECT count(*) FROM pipelines WHERE account_id = :a AND name IN ('B2B', 'B2C')",
                      a=account) == 1
    # Another school's same key is its own request.
    stranger = await new_school(app)
    theirs = await client.post("/pipelines", json=body, headers=who(stranger, "pipeline-1"))
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


async def test_a_repeated_line_on_the_version_it_was_sent_on_answers_the_first_result(crm, new_school):
    client, app = crm[:2]
    account = await new_school(app)
    order = await client.post("/orders", headers=who(account), json={
        "contact": {"name": "Iryna", "email": "iryna@example.com"}, "currency": "UAH",
        "lines": [{"product_id": str(PYTHON), "product_title": "Python", "price": "1000.00"}]})
    assert order.status_code == 201, order.text
    path = f"/orders/{order.json()['id']}/lines"
    line = {"product_id": str(SQL), "product_title": "SQL", "price": "250.00"}
    first = await client.post(path, json=line, headers={**who(account, "line-1"), "If-Match": '"1"'})
    assert first.status_code == 201 and first.headers["ETag"] == '"2"', first.text
    # The answer was lost; the retry sends the same version, which the first one moved on.
    again = await client.post(path, json=line, headers={**who(account, "line-1"), "If-Match": '"1"'})
    assert again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["ETag"] == '"2"'
    assert [line["product_title"] for line in again.json()["lines"]] == ["Python", "SQL"]
    # The version in the body is the same request as If-Match; another version or body is not.
    assert (await client.post(path, json={**line, "version": 1}, headers=who(account, "line-1"))).status_code == 201
    assert reused(await client.post(path, json=line, headers={**who(account, "line-1"), "If-Match": '"2"'}))
    assert reused(await client.post(path, json={**line, "price": "300.00"},
                                    headers={**who(account, "line-1"), "If-Match": '"1"'}))
    assert await rows(app, "SELECT count(*) FROM order_lines WHERE order_id = :o",
                      o=uuid.UUID(order.json()["id"])) == 2
    # Without a key, the same retry is told the order moved on.
    stale = await client.post(path, json=line, headers={**who(account), "If-Match": '"1"'})
    assert stale.status_code == 409
