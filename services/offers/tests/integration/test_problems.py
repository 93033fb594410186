"""What each refusal of the offers rules answers, word for word: the service's one table of problems."""

import uuid

import pytest
from offers.main import MIGRATIONS, create_app
from offers.settings import Settings
from servicekit.testing import as_account, service_under_test

PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
async def svc(infra):
    async with service_under_test(infra, name="offers", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings) as running_service:
        yield running_service


async def course(client, account):
    response = await client.post("/products", headers=as_account(account), json={
        "title": "Python course", "modules": [{"title": "Basics", "lessons": [{"title": "Intro"}]}]})
    assert response.status_code == 201, response.text
    return response.json()


async def offer(client, account, **fields):
    product = await course(client, account)
    response = await client.post("/offers", headers=as_account(account), json={
        "title": "Standard", "currency": "UAH", "items": [{"product_id": product["id"], "price": "1500.00"}],
        **fields})
    assert response.status_code == 201, response.text
    return response.json()


def problem(response, status, title):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["title"] == title and body["status"] == status
    return body


async def test_a_product_rule_is_an_invalid_product_naming_its_field(svc):
    client, _ = svc
    account = uuid.uuid4()
    product = await course(client, account)
    made_up = str(uuid.uuid4())
    response = await client.patch(f"/products/{product['id']}", headers=as_account(account), json={
        "modules": [{"title": "M", "lessons": [{"id": made_up, "title": "Made up"}]}]})
    body = problem(response, 422, "Invalid product")
    assert body["errors"] == [{"field": "modules.0.lessons.0.id", "message": body["detail"]}]
    assert made_up in body["detail"]


async def test_an_offer_rule_is_an_invalid_offer_even_when_a_product_checks_it(svc):
    client, _ = svc
    account = uuid.uuid4()
    product = await course(client, account)
    response = await client.post("/offers", headers=as_account(account), json={
        "title": "Standard", "currency": "UAH", "items": [{
            "product_id": product["id"], "price": "10.00",
            "access": {"practice": "custom", "practice_lesson_ids": [str(uuid.uuid4())]}}]})
    body = problem(response, 422, "Invalid offer")
    assert body["errors"] == [{"field": "items.0.access.practice_lesson_ids.0", "message": body["detail"]}]


async def test_an_unknown_product_or_offer_is_not_found(svc):
    client, _ = svc
    account, missing = uuid.uuid4(), uuid.uuid4()
    body = problem(await client.patch(f"/products/{missing}", headers=as_account(account), json={"title": "X"}),
                   404, "Not found")
    assert body["detail"] == f"no product {missing}" and "errors" not in body
    body = problem(await client.patch(f"/offers/{missing}", headers=as_account(account),
                                      json={"version": 1, "title": "X"}), 404, "Not found")
    assert body["detail"] == f"no offer {missing}"


async def test_a_stale_version_names_the_current_one(svc):
    client, _ = svc
    account = uuid.uuid4()
    made = await offer(client, account)
    edited = await client.patch(f"/offers/{made['id']}", headers=as_account(account), json={"version": 1, "title": "B"})
    assert edited.status_code == 200, edited.text
    stale = await client.patch(f"/offers/{made['id']}", headers=as_account(account), json={"version": 1, "title": "C"})
    body = problem(stale, 409, "Version conflict")
    assert body["current_version"] == 2
    assert body["detail"] == "the offer is at version 2; reload it and apply the change again"
    assert body["errors"] == [{"field": "version", "message": body["detail"]}]


async def test_a_visitor_learns_only_that_an_offer_cannot_be_bought(svc):
    client, _ = svc
    visitor = {"name": "Olena", "email": "olena@example.com"}
    unknown = await client.post(f"/public/offers/{uuid.uuid4()}/checkouts", json=visitor)
    assert problem(unknown, 404, "Offer not available")["detail"] == "this offer does not exist or is no longer sold"
    archived = await offer(client, uuid.uuid4(), status="archived")
    closed = await client.post(f"/public/offers/{archived['id']}/checkouts", json=visitor)
    assert problem(closed, 409, "Offer not available")["detail"] == "this offer is archived and no longer sold"
