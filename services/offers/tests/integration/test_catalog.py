"""Products, offers with terms, versions, system copies and the school profile, on real PostgreSQL
and the real broker, through the service's HTTP API and its consumers."""

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from contracts import AccessTerms, OfferCopyLine, OfferCopyRequested, PaymentProvidersUpdated, dlq_topic
from offers import views
from offers.main import MIGRATIONS, create_app
from offers.settings import Settings
from pydantic import TypeAdapter
from servicekit.testing import as_account, fresh_group, service_under_test
from sqlalchemy import text

VISITOR = {"name": "Olena", "email": "olena@example.com"}


@pytest.fixture(scope="module")
async def svc(infra):
    async with service_under_test(infra, name="offers", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings) as running_service:
        yield running_service


async def scalar(app, sql, **params):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def sells_through(app, account, *providers):
    """Payments announces the school's providers through the broker; wait until offers has them."""
    event = PaymentProvidersUpdated(account_id=account, correlation_id=uuid.uuid4(), providers=list(providers))
    await app.state.broker.publish(event.model_dump_json().encode(), event.topic, key=event.partition_key().encode())
    async with asyncio.timeout(15):
        while await scalar(app, "SELECT providers FROM payment_providers WHERE account_id = :a", a=account) \
                != sorted(providers):
            await asyncio.sleep(0.05)


async def outbox_payloads(app, topic, key):
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(text("SELECT payload FROM outbox WHERE topic = :t AND key = :k ORDER BY id"),
                                  {"t": topic, "k": str(key)})
        return [r.payload for r in rows]


async def new_course(client, account, title="Python course"):
    response = await client.post("/products", headers=as_account(account), json={
        "title": title,
        "modules": [{"title": "Basics", "lessons": [{"title": "Intro"}, {"title": "Types"}]},
                    {"title": "Web", "lessons": [{"title": "HTTP"}]}],
        "defaults": {"checkpoints": True, "certificate": "on_completion"},
    })
    assert response.status_code == 201, response.text
    return response.json()


async def new_offer(client, account, product=None, **fields):
    product = product or await new_course(client, account)
    body = {"title": "Standard", "currency": "UAH", "items": [{"product_id": product["id"], "price": "1500.00"}],
            **fields}
    response = await client.post("/offers", headers=as_account(account), json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_every_product_change_announces_its_outline(svc):
    client, app = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    await client.patch(f"/products/{product['id']}", headers=as_account(account), json={"title": "Python II"})
    bad = await client.patch(f"/products/{product['id']}", headers=as_account(account), json={"title": ""})
    assert bad.status_code == 422
    announced = await outbox_payloads(app, "ProductUpdated", product["id"])
    assert [e["title"] for e in announced] == ["Python course", "Python II"]
    outline = announced[-1]["modules"]
    assert [(m["id"], [lesson["id"] for lesson in m["lessons"]]) for m in outline] == [
        (m["id"], [lesson["id"] for lesson in m["lessons"]]) for m in product["modules"]]
    assert announced[-1]["account_id"] == str(account) and announced[-1]["kind"] == product["kind"]
    assert announced[-1]["defaults"] == product["defaults"]  # what a line "as in the course" gets


async def test_a_product_keeps_its_structure_and_lesson_ids_across_edits(svc):
    client, _ = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    basics, web = product["modules"]
    assert [lesson["title"] for lesson in basics["lessons"]] == ["Intro", "Types"]
    assert product["defaults"]["checkpoints"] is True and product["defaults"]["certificate"] == "on_completion"
    intro, types = basics["lessons"]
    patched = await client.patch(f"/products/{product['id']}", headers=as_account(account), json={
        "title": "Python, 2nd edition",
        "modules": [{"id": web["id"], "title": "Web", "lessons": [web["lessons"][0], {"title": "REST"}]},
                    {"id": basics["id"], "title": "Basics", "lessons": [{"id": types["id"], "title": "Types"}]}],
        "defaults": {"lesson_delays": [{"lesson_id": types["id"], "days": 7}]},
    })
    assert patched.status_code == 200, patched.text
    again = (await client.get(f"/products/{product['id']}", headers=as_account(account))).json()
    assert again == patched.json()
    assert again["title"] == "Python, 2nd edition"
    assert [m["id"] for m in again["modules"]] == [web["id"], basics["id"]]
    assert again["modules"][0]["lessons"][0] == web["lessons"][0]
    assert again["modules"][1]["lessons"] == [types]
    assert intro["id"] not in json.dumps(again)
    listed = (await client.get("/products", headers=as_account(account))).json()["items"]
    assert [p["id"] for p in listed] == [product["id"]]


@pytest.mark.parametrize("body, field", [
    ({"modules": [{"title": "M", "lessons": [{"id": str(uuid.uuid4()), "title": "Made up"}]}]},
     "modules.0.lessons.0.id"),
    ({"defaults": {"practice_lesson_ids": [str(uuid.uuid4())]}}, "defaults.practice_lesson_ids.0"),
    ({"defaults": {"certificate": "conditional"}}, "defaults.certificate_conditions"),
    ({"title": ""}, "title"),
])
async def test_a_bad_product_edit_names_the_field_and_changes_nothing(svc, body, field):
    client, _ = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    response = await client.patch(f"/products/{product['id']}", headers=as_account(account), json=body)
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}
    assert (await client.get(f"/products/{product['id']}", headers=as_account(account))).json() == product


async def test_an_offer_carries_terms_discount_plan_and_curators(svc):
    client, app = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    basics = product["modules"][0]
    access = {"start": {"kind": "at_date", "at": "2027-01-10T09:00:00+00:00"},
              "end": {"kind": "after_period", "period": {"unit": "months", "count": 6}},
              "module_ids": [basics["id"]], "practice": "none", "comments": False}
    await sells_through(app, account, "stripe")
    created = await client.post("/offers", headers=as_account(account), json={
        "title": "Premium", "currency": "EUR",
        "items": [{"product_id": product["id"], "price": "999.99", "access": access}],
        "discount": {"kind": "percent", "value": "12.5"},
        "payment_plan": [
            {"type": "prepayment", "amount": "374.99"},
            {"type": "surcharge", "amount": "250.00", "due_at": "2027-02-01T00:00:00+00:00", "closes_access": True},
            {"type": "surcharge", "amount": "250.00", "due_at": "2027-03-01T00:00:00+00:00", "closes_access": True},
        ],
        "curators": ["Iryna Koval", str(uuid.uuid4())], "provider": "stripe",
    })
    assert created.status_code == 201, created.text
    offer = created.json()
    assert created.headers["ETag"] == '"1"'
    assert (offer["subtotal"], offer["discount"], offer["total"]) == ("999.99", "125.00", "874.99")
    assert offer["discount_rule"] == {"kind": "percent", "value": "12.5"}
    assert [p["amount"] for p in offer["payment_plan"]] == ["374.99", "250.00", "250.00"]
    assert AccessTerms.model_validate(offer["items"][0]["access"]) == AccessTerms.model_validate(access)
    assert offer["curators"][0] == "Iryna Koval" and offer["provider"] == "stripe"
    assert (await client.get(f"/offers/{offer['id']}", headers=as_account(account))).json() == offer
    # The declared answers wrote no byte differently from the views' own dicts (FastAPI wrote them as
    # dict[str, Any] before), versions included, whose snapshot comes back from JSONB in its order.
    async with app.state.engine.connect() as conn:
        card = views.offer_view(await views.offer(conn, account, uuid.UUID(offer["id"])))
        versions = await views.offer_versions(conn, account, uuid.UUID(offer["id"]))
    as_before = TypeAdapter(dict[str, Any]).dump_json
    assert (await client.get(f"/offers/{offer['id']}", headers=as_account(account))).content == as_before(card)
    answered = await client.get(f"/offers/{offer['id']}/versions", headers=as_account(account))
    assert answered.content == as_before({"items": versions})

    await client.put("/school", headers=as_account(account), json={"name": "Kyiv Code", "default_locale": "uk"})
    opened = await client.post(f"/public/offers/{offer['id']}/checkouts", json=VISITOR)
    assert opened.status_code == 202, opened.text
    event = (await outbox_payloads(app, "OfferOpened", opened.json()["checkout_id"]))[0]
    assert event["school_locale"] == "uk" and event["total"] == "874.99" and event["discount"] == "125.00"
    assert AccessTerms.model_validate(event["lines"][0]["access"]) == AccessTerms.model_validate(access)
    assert [(p["type"], p["amount"], p["closes_access"]) for p in event["payment_plan"]] == [
        ("prepayment", "374.99", False), ("surcharge", "250.00", True), ("surcharge", "250.00", True)]


@pytest.mark.parametrize("change, field", [
    ({"items": [{"price": "-1.00"}]}, "items.0.price"),
    ({"items": [{"price": "10.001"}]}, "items.0.price"),
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "JPY", "items": [{"price": "10.50"}]}, "items.0.price"),
    ({"discount": "1500.01"}, "discount"),
    ({"discount": {"kind": "percent", "value": "101"}}, "discount"),
    ({"items": [{"access": {"start": {"kind": "at_date", "at": "2027-02-01T00:00:00Z"},
                            "end": {"kind": "at_date", "at": "2027-01-01T00:00:00Z"}}}]}, "items.0.access.end"),
    ({"items": [{"access": {"module_ids": ["00000000-0000-0000-0000-000000000001"]}}]}, "items.0.access.module_ids.0"),
    ({"items": [{"access": {"lesson_ids": ["00000000-0000-0000-0000-000000000001"]}}]}, "items.0.access.lesson_ids.0"),
    ({"items": [{"product_id": "00000000-0000-0000-0000-000000000001"}]}, "items.0.product_id"),
    ({"payment_plan": [{"type": "prepayment", "amount": "500.00"},
                       {"type": "surcharge", "amount": "900.00", "due_at": "2027-02-01T00:00:00Z"}]}, "payment_plan"),
    ({"curators": [""]}, "curators.0"),
])
async def test_an_invalid_offer_is_a_problem_naming_the_field_and_writes_nothing(svc, change, field):
    client, app = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    item = {"product_id": product["id"], "price": "1500.00", **(change.get("items") or [{}])[0]}
    body = {"title": "Standard", "currency": "UAH", **change, "items": [item]}
    response = await client.post("/offers", headers=as_account(account), json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    assert await scalar(app, "SELECT count(*) FROM offers WHERE account_id = :a", a=account) == 0
    assert await scalar(app, "SELECT count(*) FROM outbox WHERE payload->>'account_id' = :a AND topic <> 'ProductUpdated'", a=str(account)) == 0


async def test_every_change_is_a_version_with_its_snapshot_and_an_offer_updated(svc):
    client, app = svc
    account = uuid.uuid4()
    offer = await new_offer(client, account)
    url, me = f"/offers/{offer['id']}", as_account(account)
    etag = (await client.get(url, headers=me)).headers["ETag"]
    second = await client.patch(url, headers={**me, "If-Match": etag},
                                json={"title": "Standard+", "discount": {"kind": "percent", "value": "10"}})
    assert second.status_code == 200, second.text
    assert second.json()["version"] == 2 and second.headers["ETag"] == '"2"' and second.json()["total"] == "1350.00"
    third = await client.patch(url, headers=me, json={"version": 2, "status": "archived"})
    assert third.json()["version"] == 3
    unchanged = await client.patch(url, headers=me, json={"version": 3, "status": "archived"})
    assert unchanged.status_code == 200 and unchanged.json()["version"] == 3

    versions = (await client.get(f"{url}/versions", headers=me)).json()["items"]
    assert [(v["version"], v["title"], v["status"]) for v in versions] == [
        (1, "Standard", "active"), (2, "Standard+", "active"), (3, "Standard+", "archived")]
    assert versions[0]["discount"] == {"kind": "amount", "value": "0.00"}
    assert versions[1]["discount"] == {"kind": "percent", "value": "10"}
    events = await outbox_payloads(app, "OfferUpdated", offer["id"])
    assert [(e["offer_version"], e["offer_title"], e["archived"]) for e in events] == [
        (1, "Standard", False), (2, "Standard+", False), (3, "Standard+", True)]
    assert all(e["is_system_copy"] is False and e["lines"][0]["price"] == "1500.00" for e in events)


async def test_a_stale_or_missing_version_changes_nothing(svc):
    client, app = svc
    account = uuid.uuid4()
    offer = await new_offer(client, account)
    url, me = f"/offers/{offer['id']}", as_account(account)
    assert (await client.patch(url, headers={**me, "If-Match": '"1"'}, json={"title": "A"})).status_code == 200
    stale = await client.patch(url, headers={**me, "If-Match": '"1"'}, json={"title": "B"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (await client.patch(url, headers=me, json={"version": 1, "title": "B"})).status_code == 409
    missing = await client.patch(url, headers=me, json={"title": "B"})
    assert missing.status_code == 428 and missing.json()["errors"][0]["field"] == "version"
    assert (await client.get(url, headers=me)).json()["title"] == "A"
    assert len(await outbox_payloads(app, "OfferUpdated", offer["id"])) == 2
    # An invalid change at the right version is refused whole.
    bad = await client.patch(url, headers=me, json={"version": 2, "title": "C", "discount": "9999.00"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "discount"
    assert (await client.get(url, headers=me)).json()["title"] == "A"
    assert (await client.patch(f"/offers/{uuid.uuid4()}", headers=me, json={"version": 1})).status_code == 404


async def test_concurrent_edits_of_one_version_make_one_winner(svc):
    client, app = svc
    account = uuid.uuid4()
    offer = await new_offer(client, account)
    url, me = f"/offers/{offer['id']}", as_account(account)
    answers = await asyncio.gather(*(client.patch(url, headers={**me, "If-Match": '"1"'}, json={"title": f"T{n}"})
                                     for n in range(5)))
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409]
    winner = next(a.json()["title"] for a in answers if a.status_code == 200)
    assert (await client.get(url, headers=me)).json()["title"] == winner
    assert [v["version"] for v in (await client.get(f"{url}/versions", headers=me)).json()["items"]] == [1, 2]


async def test_an_offer_edit_may_change_terms_within_the_product_only(svc):
    client, _ = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    offer = await new_offer(client, account, product)
    me = as_account(account)
    lesson = product["modules"][1]["lessons"][0]["id"]
    ok = await client.patch(f"/offers/{offer['id']}", headers=me, json={"version": 1, "items": [
        {"product_id": product["id"], "price": "1500.00",
         "access": {"lesson_delays": "custom", "delay_overrides": [{"lesson_id": lesson, "days": 3}]}}]})
    assert ok.status_code == 200, ok.text
    assert ok.json()["items"][0]["access"]["delay_overrides"] == [{"lesson_id": lesson, "days": 3}]
    bad = await client.patch(f"/offers/{offer['id']}", headers=me, json={"version": 2, "items": [
        {"product_id": product["id"], "price": "1500.00",
         "access": {"practice": "custom", "practice_lesson_ids": [str(uuid.uuid4())]}}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "items.0.access.practice_lesson_ids.0"


async def read_until(infra, topic, match, timeout=20.0):
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=infra.kafka_bootstrap, group_id=fresh_group(),
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            while True:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        if match(record):
                            return record
    finally:
        await consumer.stop()


async def test_offer_updated_reaches_the_broker(svc, infra):
    client, _ = svc
    account = uuid.uuid4()
    offer = await new_offer(client, account)
    await client.patch(f"/offers/{offer['id']}", headers=as_account(account), json={"version": 1, "title": "New"})
    record = await read_until(infra, "OfferUpdated", lambda r: r.key == offer["id"].encode()
                              and json.loads(r.value)["offer_version"] == 2)
    event = json.loads(record.value)
    assert event["offer_title"] == "New" and event["account_id"] == str(account)


def copy_request(account, source_id, lines, copy_id=None):
    return OfferCopyRequested(account_id=account, correlation_id=uuid.uuid4(), copy_id=copy_id or uuid.uuid4(),
                              source_offer_id=source_id, order_id=uuid.uuid4(), order_number=12, lines=lines)


async def publish(app, event):
    await app.state.broker.publish(event.model_dump_json().encode(), event.topic, key=event.partition_key().encode())


async def test_a_copy_request_through_the_broker_makes_one_hidden_system_copy(svc):
    client, app = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    await sells_through(app, account, "wayforpay")
    source = await new_offer(client, account, product, discount={"kind": "percent", "value": "10"},
                             curators=["Iryna"], provider="wayforpay")
    terms = AccessTerms(module_ids=[uuid.UUID(product["modules"][0]["id"])], comments=False)
    request = copy_request(account, source["id"], [OfferCopyLine(product_id=product["id"], price="900.00",
                                                                 access=terms)])
    await publish(app, request)
    me = as_account(account)
    async with asyncio.timeout(30):
        while (found := await client.get(f"/offers/{request.copy_id}", headers=me)).status_code == 404:
            await asyncio.sleep(0.1)
    copy = found.json()
    assert copy["title"] == "Standard (Copy system)" and copy["is_system_copy"] is True
    assert copy["source_offer_id"] == source["id"] and copy["provider"] == "wayforpay"
    assert (copy["items"][0]["price"], copy["total"], copy["currency"]) == ("900.00", "810.00", "UAH")
    assert AccessTerms.model_validate(copy["items"][0]["access"]) == terms
    # A redelivery, and a second request for the same copy, change nothing.
    await publish(app, request)
    await publish(app, request.model_copy(update={"event_id": uuid.uuid4()}))
    async with asyncio.timeout(30):
        while await scalar(app, "SELECT count(*) FROM inbox WHERE consumer = 'offers:OfferCopyRequested' "
                                "AND event_id = ANY(:e)", e=[request.event_id]) < 1:
            await asyncio.sleep(0.05)
    await asyncio.sleep(1)
    assert await scalar(app, "SELECT count(*) FROM offers WHERE id = :i", i=request.copy_id) == 1
    updates = await outbox_payloads(app, "OfferUpdated", request.copy_id)
    assert len(updates) == 1 and updates[0]["is_system_copy"] is True
    assert updates[0]["source_offer_id"] == source["id"] and updates[0]["causation_id"] == str(request.event_id)

    listed = (await client.get("/offers", headers=me)).json()["items"]
    assert [o["id"] for o in listed] == [source["id"]]
    with_copies = (await client.get("/offers", headers=me, params={"include_system_copies": "true"})).json()["items"]
    assert {o["id"] for o in with_copies} == {source["id"], str(request.copy_id)}
    assert (await client.post(f"/public/offers/{request.copy_id}/checkouts", json=VISITOR)).status_code == 404
    assert (await client.get(f"/public/offers/{request.copy_id}")).status_code == 404
    assert await scalar(app, "SELECT count(*) FROM checkouts WHERE offer_id = :i", i=request.copy_id) == 0


async def test_a_copy_of_an_unknown_offer_is_dead_lettered(svc, infra):
    client, app = svc
    account = uuid.uuid4()
    request = copy_request(account, uuid.uuid4(), [])
    await publish(app, request)
    record = await read_until(infra, dlq_topic("OfferCopyRequested"),
                              lambda r: json.loads(r.value)["event_id"] == str(request.event_id), timeout=30)
    assert dict(record.headers)["x-reason"] == b"rejected"
    assert await scalar(app, "SELECT count(*) FROM offers WHERE id = :i", i=request.copy_id) == 0
    # Another school's offer is as unknown as a missing one.
    theirs = await new_offer(client, uuid.uuid4())
    other = copy_request(account, theirs["id"], [])
    await publish(app, other)
    await read_until(infra, dlq_topic("OfferCopyRequested"),
                     lambda r: json.loads(r.value)["event_id"] == str(other.event_id), timeout=30)
    assert await scalar(app, "SELECT count(*) FROM offers WHERE id = :i", i=other.copy_id) == 0


async def test_an_archived_offer_cannot_be_opened(svc):
    client, app = svc
    account = uuid.uuid4()
    offer = await new_offer(client, account, status="archived")
    opened = await client.post(f"/public/offers/{offer['id']}/checkouts", json=VISITOR)
    assert opened.status_code == 409 and opened.json()["title"] == "Offer not available"
    assert (await client.get(f"/public/offers/{offer['id']}")).status_code == 404
    assert await scalar(app, "SELECT count(*) FROM checkouts WHERE offer_id = :i", i=offer["id"]) == 0
    reopened = await client.patch(f"/offers/{offer['id']}", headers=as_account(account),
                                  json={"version": 1, "status": "active"})
    assert reopened.json()["status"] == "active"
    assert (await client.post(f"/public/offers/{offer['id']}/checkouts", json=VISITOR)).status_code == 202


async def test_the_school_profile_announces_its_changes_only(svc):
    client, app = svc
    account = uuid.uuid4()
    me = as_account(account)
    for body in ({"name": "Lviv Design", "default_locale": "uk"}, {"name": "Lviv Design", "default_locale": "uk"},
                 {"name": "Lviv Design School", "default_locale": "uk"}, {"name": "Lviv Design School"}):
        assert (await client.put("/school", headers=me, json=body)).status_code == 200
    events = await outbox_payloads(app, "SchoolUpdated", account)
    assert [(e["name"], e["default_locale"]) for e in events] == [
        ("Lviv Design", "uk"), ("Lviv Design School", "uk"), ("Lviv Design School", "en")]
    assert (await client.get("/school", headers=me)).json() == {
        "name": "Lviv Design School", "default_locale": "en", "time_zone": None, "reply_to": None}


async def test_a_school_sets_its_time_zone_and_reply_to_address(svc):
    client, app = svc
    account = uuid.uuid4()
    me = as_account(account)
    body = {"name": "Kyiv Code", "default_locale": "uk", "time_zone": "Europe/Kyiv", "reply_to": "hello@kyiv.example"}
    assert (await client.put("/school", headers=me, json=body)).status_code == 200
    assert (await client.get("/school", headers=me)).json() == body
    [event] = await outbox_payloads(app, "SchoolUpdated", account)
    assert (event["time_zone"], event["reply_to"]) == ("Europe/Kyiv", "hello@kyiv.example")
    for zone in ("Mars/Olympus", "europe/kyiv", "posixrules", "../../etc/passwd", "", "UTC+3"):
        refused = await client.put("/school", headers=me, json={**body, "time_zone": zone})
        assert refused.status_code == 422, zone
        assert refused.json()["errors"][0]["field"] == "time_zone"
    refused = await client.put("/school", headers=me, json={**body, "reply_to": "not an address"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "reply_to"
    assert len(await outbox_payloads(app, "SchoolUpdated", account)) == 1


async def test_a_repeated_create_under_the_same_idempotency_key_makes_one_offer_and_one_product(svc):
    client, app = svc
    account = uuid.uuid4()
    key = {**as_account(account), "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Course", "modules": [{"title": "M", "lessons": [{"title": "L"}]}]}
    products = await asyncio.gather(*(client.post("/products", headers=key, json=body) for _ in range(3)))
    assert {p.status_code for p in products} == {201}
    assert len({p.json()["id"] for p in products}) == 1
    assert products[0].json()["modules"] == products[1].json()["modules"]
    product = products[0].json()
    offer_key = {**as_account(account), "Idempotency-Key": str(uuid.uuid4())}
    offer_body = {"title": "T", "currency": "USD", "items": [{"product_id": product["id"], "price": "10.00"}]}
    offers = [await client.post("/offers", headers=offer_key, json=offer_body) for _ in range(2)]
    assert offers[0].json() == offers[1].json()
    reused = await client.post("/offers", headers=offer_key, json={**offer_body, "title": "Other"})
    assert reused.status_code == 422 and reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await scalar(app, "SELECT count(*) FROM offers WHERE account_id = :a", a=account) == 1
    assert len(await outbox_payloads(app, "OfferUpdated", offers[0].json()["id"])) == 1
    # The same key in another school is another request.
    elsewhere = {**as_account(uuid.uuid4()), "Idempotency-Key": key["Idempotency-Key"]}
    assert (await client.post("/products", headers=elsewhere, json=body)).json()["id"] != product["id"]


async def test_concurrent_profile_edits_announce_the_state_they_leave(svc):
    client, app = svc
    account = uuid.uuid4()
    names = [f"School {n}" for n in range(5)]
    await asyncio.gather(*(client.put("/school", headers=as_account(account), json={"name": name})
                           for name in names))
    events = await outbox_payloads(app, "SchoolUpdated", account)
    final = (await client.get("/school", headers=as_account(account))).json()
    assert len(events) == 5 and events[-1]["name"] == final["name"]


async def test_a_lesson_an_offer_grants_cannot_be_removed_from_its_product(svc):
    client, _ = svc
    account = uuid.uuid4()
    me = as_account(account)
    product = await new_course(client, account)
    basics, web = product["modules"]
    await new_offer(client, account, product, items=[{"product_id": product["id"], "price": "10.00",
                                                     "access": {"lesson_ids": [web["lessons"][0]["id"]]}}])
    without_web = await client.patch(f"/products/{product['id']}", headers=me, json={"modules": [basics]})
    assert without_web.status_code == 422 and without_web.json()["errors"][0]["field"] == "modules"
    assert "Standard" in without_web.json()["detail"]
    reordered = await client.patch(f"/products/{product['id']}", headers=me, json={"modules": [web, basics]})
    assert reordered.status_code == 200, reordered.text


async def test_an_offer_sells_through_any_provider_payments_announces_and_no_other(svc):
    client, app = svc
    account = uuid.uuid4()
    product = await new_course(client, account)
    body = {"title": "Standard", "currency": "UAH", "items": [{"product_id": product["id"], "price": "1500.00"}]}
    # A provider offers has never heard of: what payments says the school has set up is what counts.
    refused = await client.post("/offers", headers=as_account(account), json={**body, "provider": "liqpay"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "provider", refused.text
    malformed = await client.post("/offers", headers=as_account(account), json={**body, "provider": "Liq Pay"})
    assert malformed.status_code == 422 and "provider" in {e["field"] for e in malformed.json()["errors"]}
    await sells_through(app, account, "liqpay")
    created = await client.post("/offers", headers=as_account(account), json={**body, "provider": "liqpay"})
    assert created.status_code == 201, created.text
    assert created.json()["provider"] == "liqpay"
