"""The school, products and offers through the gateway, in front of the real offers service."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
from contracts import ALL_TOPICS, OfferCopyLine, OfferCopyRequested, PaymentProvidersUpdated, dlq_topic
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from localstack.broker import create_topics
from localstack.ports import free_port
from servicekit.providers import on_providers_updated
from servicekit.testing import fresh_group_after_published, migrated_database, running

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="module")
async def gateway(infra):
    import offers.main
    from offers.settings import Settings as OffersSettings

    await create_topics(infra.kafka_bootstrap, [*ALL_TOPICS, *map(dlq_topic, ALL_TOPICS)])
    group = await fresh_group_after_published(infra.kafka_bootstrap)
    offers_app = offers.main.create_app(OffersSettings(
        database_url=await migrated_database(infra, "offers", offers.main.MIGRATIONS),
        kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, consumer_group=group))
    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(Settings(jwt_secret=SECRET, orders_url=dead, payments_url=dead, notifications_url=dead,
                              log_json=False),
                     transports={"offers": httpx.ASGITransport(app=offers_app)})
    async with running(offers_app), running(app) as client:
        client.offers_app = offers_app
        yield client


def bearer(account, role="owner"):
    token = mint(SECRET, account_id=account, user_id="u1", role=role, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


async def school_with_catalog(gw, account):
    me = bearer(account)
    product = await gw.post("/api/v1/products", headers=me, json={
        "title": "Data analysis", "modules": [{"title": "SQL", "lessons": [{"title": "SELECT"}, {"title": "JOIN"}]}]})
    assert product.status_code == 201, product.text
    product = product.json()
    offer = await gw.post("/api/v1/offers", headers=me, json={
        "title": "Tariff", "currency": "PLN",
        "items": [{"product_id": product["id"], "price": "1200.00",
                   "access": {"module_ids": [product["modules"][0]["id"]],
                              "end": {"kind": "after_period", "period": {"unit": "months", "count": 12}}}}],
        "discount": {"kind": "percent", "value": "5"},
        "payment_plan": [{"type": "prepayment", "amount": "540.00"},
                         {"type": "surcharge", "amount": "600.00", "due_at": "2027-05-01T00:00:00Z",
                          "closes_access": True}],
        "curators": ["Marta"],
    })
    assert offer.status_code == 201, offer.text
    return product, offer


async def test_the_school_profile(gateway):
    account = uuid.uuid4()
    me = bearer(account)
    assert (await gateway.get("/api/v1/school", headers=me)).status_code == 404
    put = await gateway.put("/api/v1/school", headers=me, json={"name": "Warsaw Data", "default_locale": "pl"})
    assert put.status_code == 200
    assert (await gateway.get("/api/v1/school", headers=me)).json() == {
        "name": "Warsaw Data", "default_locale": "pl", "time_zone": None, "reply_to": None}
    zoned = await gateway.put("/api/v1/school", headers=me, json={
        "name": "Warsaw Data", "default_locale": "pl", "time_zone": "Europe/Warsaw", "reply_to": "biuro@wd.example"})
    assert zoned.status_code == 200 and zoned.json()["time_zone"] == "Europe/Warsaw"
    bad = await gateway.put("/api/v1/school", headers=me, json={"name": "", "default_locale": "pl"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "name"
    viewer = await gateway.put("/api/v1/school", headers=bearer(account, "viewer"), json={"name": "X"})
    assert viewer.status_code == 403


async def test_products_through_the_gateway(gateway):
    account = uuid.uuid4()
    me = bearer(account)
    product, _ = await school_with_catalog(gateway, account)
    assert [p["id"] for p in (await gateway.get("/api/v1/products", headers=me)).json()["items"]] == [product["id"]]
    assert (await gateway.get(f"/api/v1/products/{product['id']}", headers=me)).json() == product
    module = product["modules"][0]
    patched = await gateway.patch(f"/api/v1/products/{product['id']}", headers=me, json={
        "modules": [{"id": module["id"], "title": "SQL", "lessons": [module["lessons"][1], {"title": "GROUP BY"}]}]})
    assert patched.status_code == 200, patched.text
    lessons = patched.json()["modules"][0]["lessons"]
    assert lessons[0] == module["lessons"][1] and lessons[1]["title"] == "GROUP BY"
    unknown = await gateway.patch(f"/api/v1/products/{product['id']}", headers=me, json={
        "modules": [{"title": "SQL", "lessons": [{"id": str(uuid.uuid4()), "title": "?"}]}]})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "modules.0.lessons.0.id"
    viewer = await gateway.patch(f"/api/v1/products/{product['id']}", headers=bearer(account, "viewer"),
                                 json={"title": "X"})
    assert viewer.status_code == 403


async def test_offers_versions_and_conflicts_through_the_gateway(gateway):
    account = uuid.uuid4()
    me = bearer(account)
    _, created = await school_with_catalog(gateway, account)
    offer = created.json()
    assert (offer["subtotal"], offer["discount"], offer["total"]) == ("1200.00", "60.00", "1140.00")
    assert [o["id"] for o in (await gateway.get("/api/v1/offers", headers=me)).json()["items"]] == [offer["id"]]
    url = f"/api/v1/offers/{offer['id']}"
    got = await gateway.get(url, headers=me)
    assert got.json() == offer and got.headers["ETag"] == '"1"'
    async with gateway.offers_app.state.engine.begin() as conn:  # payments announced the school's Stripe
        await on_providers_updated(conn, PaymentProvidersUpdated(
            account_id=account, correlation_id=uuid.uuid4(), providers=["stripe"]))
    edited = await gateway.patch(url, headers={**me, "If-Match": got.headers["ETag"]},
                                 json={"curators": ["Marta", "Piotr"], "provider": "stripe"})
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"' and edited.json()["curators"] == ["Marta", "Piotr"]
    stale = await gateway.patch(url, headers={**me, "If-Match": '"1"'}, json={"title": "Lost update"})
    assert stale.status_code == 409 and stale.headers["content-type"].startswith("application/problem+json")
    bad_plan = await gateway.patch(url, headers={**me, "If-Match": '"2"'}, json={"discount": "0"})
    assert bad_plan.status_code == 422 and bad_plan.json()["errors"][0]["field"] == "payment_plan"
    versions = (await gateway.get(f"{url}/versions", headers=me)).json()["items"]
    assert [(v["version"], v["provider"]) for v in versions] == [(1, "sandbox"), (2, "stripe")]
    assert (await gateway.patch(url, headers=bearer(account, "viewer"), json={"version": 2})).status_code == 403
    archived = await gateway.patch(url, headers=me, json={"version": 2, "status": "archived"})
    assert archived.json()["status"] == "archived"
    closed = await gateway.post(f"/public/v1/offers/{offer['id']}/checkouts",
                                json={"name": "Ola", "email": "ola@example.com"})
    assert closed.status_code == 409


async def test_system_copies_are_listed_only_on_request_and_never_sold(gateway):
    account = uuid.uuid4()
    me = bearer(account)
    product, created = await school_with_catalog(gateway, account)
    source = created.json()
    request = OfferCopyRequested(
        account_id=account, correlation_id=uuid.uuid4(), copy_id=uuid.uuid4(), source_offer_id=source["id"],
        order_id=uuid.uuid4(), order_number=1,
        lines=[OfferCopyLine(product_id=product["id"], price="1000.00", access={"comments": False})])
    await gateway.offers_app.state.broker.publish(request.model_dump_json().encode(), request.topic,
                                                  key=request.partition_key().encode())
    async with asyncio.timeout(30):
        while (copy := await gateway.get(f"/api/v1/offers/{request.copy_id}", headers=me)).status_code == 404:
            await asyncio.sleep(0.1)
    assert copy.json()["title"] == "Tariff (Copy system)" and copy.json()["is_system_copy"] is True
    assert [o["id"] for o in (await gateway.get("/api/v1/offers", headers=me)).json()["items"]] == [source["id"]]
    everything = await gateway.get("/api/v1/offers", headers=me, params={"include_system_copies": "true"})
    assert {o["id"] for o in everything.json()["items"]} == {source["id"], str(request.copy_id)}
    opened = await gateway.post(f"/public/v1/offers/{request.copy_id}/checkouts",
                                json={"name": "Ola", "email": "ola@example.com"})
    assert opened.status_code == 404


async def test_another_school_gets_404_for_every_product_and_offer_of_this_school(gateway):
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    product, created = await school_with_catalog(gateway, mine)
    offer = created.json()
    other = bearer(theirs)
    checks = [
        ("GET", f"/api/v1/products/{product['id']}", None),
        ("PATCH", f"/api/v1/products/{product['id']}", {"title": "Mine now"}),
        ("GET", f"/api/v1/offers/{offer['id']}", None),
        ("PATCH", f"/api/v1/offers/{offer['id']}", {"version": 1, "title": "Mine now"}),
        ("GET", f"/api/v1/offers/{offer['id']}/versions", None),
    ]
    for method, path, body in checks:
        response = await gateway.request(method, path, headers={**other, "X-Account-Id": str(mine)}, json=body)
        assert response.status_code == 404, (method, path, response.text)
    assert (await gateway.get("/api/v1/products", headers=other)).json()["items"] == []
    assert (await gateway.get("/api/v1/offers", headers=other,
                              params={"include_system_copies": "true"})).json()["items"] == []
    # Their offer cannot sell my product either.
    borrowed = await gateway.post("/api/v1/offers", headers=other, json={
        "title": "Borrowed", "currency": "PLN", "items": [{"product_id": product["id"], "price": "1.00"}]})
    assert borrowed.status_code == 422 and borrowed.json()["errors"][0]["field"] == "items.0.product_id"
    # And nothing of mine changed.
    assert (await gateway.get(f"/api/v1/offers/{offer['id']}", headers=bearer(mine))).json() == offer
    assert (await gateway.get(f"/api/v1/products/{product['id']}", headers=bearer(mine))).json() == product
