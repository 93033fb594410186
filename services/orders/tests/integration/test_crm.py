"""The CRM side of orders on real PostgreSQL and the real broker: manual orders, edits with versions,
lines and system copies, offers followed, access windows, pipelines, lists, expiry."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiokafka import AIOKafkaProducer
from contracts import (
    AccessEnd, AccessTerms, ContactData, OfferLine, OfferOpened, OfferUpdated, PaymentOverdue, PaymentSucceeded,
    CourseDefaultsOutline, LessonDelay, LessonOutline, ModuleOutline, Period, PlannedPayment, ProductUpdated,
)
from orders import main
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text


@pytest.fixture(scope="module")
async def crm(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings, clock_interval_seconds=0) as running_service:
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        await producer.start()
        try:
            yield (*running_service, producer)
        finally:
            await producer.stop()


PYTHON, SQL = uuid.UUID(int=100), uuid.UUID(int=101)  # in every new school's catalog (conftest)


def who(account, user="manager-1"):
    return as_account(account, user=user)


def manual(**extra):
    body = {
        "contact": {"name": "Iryna", "email": "iryna@example.com", "phone": "+38 (050) 123-45-67", "locale": "uk"},
        "currency": "UAH",
        "lines": [{"product_id": str(PYTHON), "product_title": "Python", "price": "1000.00"}],
        "discount": "100.00",
        "payments": [{"amount": "400.00", "method": "cash", "paid_at": "2026-11-20T10:00:00Z", "comment": "cash"},
                     {"amount": "500.00", "due_at": "2026-12-20T10:00:00Z", "closes_access": True}],
        "managers": ["manager-1"], "tags": ["vip"], "comment": "called twice",
    }
    body.update(extra)
    return body


async def outbox(app, topic, order_id):
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM outbox WHERE topic = :t AND payload->>'order_id' = :o ORDER BY id"),
            {"t": topic, "o": str(order_id)})
        return [r.payload for r in rows]


async def count(app, table, account):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text(f"SELECT count(*) FROM {table} WHERE account_id = :a"), {"a": account})


def opened(account, offer_id, email="olena@example.com", access=AccessTerms()):
    return OfferOpened(
        account_id=account, correlation_id=uuid.uuid4(), checkout_id=uuid.uuid4(), offer_id=offer_id,
        offer_version=1, offer_title="Standard", school_name="Kyiv Code School", currency="UAH",
        lines=[OfferLine(product_id=uuid.UUID(int=7), product_title="Python course", price=Decimal("1500.00"),
                         access=access)],
        discount=Decimal("0"), total=Decimal("1500.00"), payment_plan=[PlannedPayment(amount=Decimal("1500.00"))],
        provider="sandbox", contact=ContactData(name="Olena", email=email), school_locale="uk",
    )


async def apply(app, handler, event):
    async with app.state.engine.begin() as conn:
        await handler(conn, event)


async def order_of(app, checkout_id):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text("SELECT id FROM orders WHERE checkout_id = :c"), {"c": checkout_id})


async def test_a_manual_order_starts_placed_unpaid_and_announced(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    key = {"Idempotency-Key": "k-1"}
    body = manual()
    response = await client.post("/orders", json=body, headers={**who(account), **key})
    assert response.status_code == 201, response.text
    card = response.json()
    assert response.headers["ETag"] == '"1"'
    assert card["number"] == 1 and card["source"] == "manual" and card["type"] == "regular"
    assert card["pipeline"]["name"] == "Sales" and card["stage"]["name"] == "New"
    assert card["payment_status"] == "not_paid" and card["status"] == "active"
    assert (card["subtotal"], card["discount"], card["total"], card["due"]) == ("1000.00", "100.00", "900.00", "900.00")
    assert card["contact"]["phone"] == "+380501234567" and card["managers"] == ["manager-1"]
    assert card["tags"] == ["vip"] and card["comment"] == "called twice"
    assert card["lines"][0]["window"] is None  # nothing paid yet
    assert card["history"][0]["actor"] == "manager-1"
    [created] = await outbox(app, "OrderCreated", card["id"])
    assert created["source"] == "manual" and created["total"] == "900.00"
    assert created["payment_plan"][0]["paid_at"] and created["payment_plan"][0]["method"] == "cash"
    assert created["payment_plan"][1]["closes_access"] is True
    again = await client.post("/orders", json=body, headers={**who(account), **key})
    assert again.status_code == 201, again.text
    assert again.json()["id"] == card["id"] and await count(app, "orders", account) == 1
    reused = await client.post("/orders", json={**body, "discount": "0.00"}, headers={**who(account), **key})
    assert reused.status_code == 422
    # The same email (in other case) is the same contact.
    second = await client.post("/orders", json=manual(contact={"name": "I.", "email": "IRYNA@example.com"}, payments=[],
                                                      discount="0"), headers=who(account))
    assert second.json()["contact"]["id"] == card["contact"]["id"] and second.json()["number"] == 2


@pytest.mark.parametrize("change, field", [
    ({"pipeline_id": str(uuid.uuid4())}, "pipeline_id"),
    ({"stage_id": str(uuid.uuid4())}, "stage_id"),
    ({"lines": [{"product_id": str(PYTHON), "product_title": "X", "price": "-1.00"}], "payments": []},
     "lines.0.price"),
    ({"discount": "1000.01", "payments": []}, "discount"),
    ({"discount": {"kind": "amount", "value": "1000.01"}, "payments": []}, "discount"),
    ({"discount": {"kind": "percent", "value": "100.0001"}, "payments": []}, "discount.value"),
    ({"discount": {"kind": "percent", "value": "101"}, "payments": []}, "discount.value"),
    ({"discount": {"kind": "percent", "value": "12.34567"}, "payments": []}, "discount.value"),
    ({"discount": {"kind": "percent", "value": "-1"}, "payments": []}, "discount.value"),
    ({"discount": {"kind": "percent", "value": 12.5}, "payments": []}, "discount"),  # a float is no money
    ({"discount": {"kind": "share", "value": "10"}, "payments": []}, "discount"),
    ({"discount": {"kind": "percent"}, "payments": []}, "discount"),
    ({"currency": "XXY"}, "currency"),
    ({"contact": None, "contact_id": str(uuid.uuid4())}, "contact_id"),
    ({"payments": [{"amount": "1.00"}]}, "payments"),
    ({"contact": {"name": "A", "email": "a@example.com", "phone": "12"}}, "contact.phone"),
    ({"lines": [{"product_id": str(PYTHON), "product_title": "X", "price": "1.00", "access": {
        "start": {"kind": "at_date", "at": "2027-01-02T00:00:00Z"},
        "end": {"kind": "at_date", "at": "2027-01-01T00:00:00Z"}}}], "payments": [], "discount": "0"},
     "lines.0.access"),
])
async def test_bad_input_names_the_field_and_writes_nothing(crm, change, field, new_school):
    client, app, _ = crm
    account = await new_school(app)
    response = await client.post("/orders", json=manual(**change), headers=who(account))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.json()
    assert await count(app, "orders", account) == 0 and await count(app, "contacts", account) == 0


async def test_manual_lines_sell_only_the_schools_catalog_with_its_own_modules_and_lessons(crm, new_school):
    client, app, producer = crm
    account = uuid.uuid4()
    product_id = uuid.uuid4()
    module_id, lesson_id = uuid.uuid4(), uuid.uuid4()
    line = {"product_id": str(product_id), "price": "1000.00"}
    body = manual(payments=[], discount="0", lines=[line])
    unknown = await client.post("/orders", json=body, headers=who(account))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "lines.0.product_id"
    assert await count(app, "orders", account) == 0

    # Offers announces the product through the broker; the title comes from the catalog.
    announced = ProductUpdated(
        account_id=account, correlation_id=uuid.uuid4(), product_id=product_id, title="Data analysis", kind="course",
        modules=[ModuleOutline(id=module_id, title="SQL", lessons=[LessonOutline(id=lesson_id, title="Joins")])])
    await producer.send_and_wait(announced.topic, announced.model_dump_json().encode(),
                                 key=announced.partition_key().encode())

    async def placed():
        response = await client.post("/orders", json=body, headers=who(account))
        return response if response.status_code == 201 else None

    async with asyncio.timeout(15):
        while (card := await placed()) is None:
            await asyncio.sleep(0.05)
    assert card.json()["lines"][0]["product_title"] == "Data analysis"

    made_up = uuid.uuid4()
    for access, field in (({"lesson_ids": [str(made_up)]}, "lines.0.access.lesson_ids.0"),
                          ({"module_ids": [str(made_up)]}, "lines.0.access.module_ids.0"),
                          ({"practice": "custom", "practice_lesson_ids": [str(made_up)]},
                           "lines.0.access.practice_lesson_ids.0")):
        refused = await client.post("/orders", headers=who(account),
                                    json=manual(payments=[], discount="0", lines=[{**line, "access": access}]))
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    chosen = await client.post("/orders", headers=who(account), json=manual(
        payments=[], discount="0", lines=[{**line, "access": {"module_ids": [str(module_id)],
                                                              "lesson_ids": [str(lesson_id)]}}]))
    assert chosen.status_code == 201, chosen.text

    # A line edit or a new line is held to the same catalog.
    order_id, line_id = chosen.json()["id"], chosen.json()["lines"][0]["id"]
    edited = await client.patch(f"/orders/{order_id}/lines/{line_id}", headers={**who(account), "If-Match": '"1"'},
                                json={"access": {"lesson_ids": [str(made_up)]}})
    assert edited.status_code == 422 and edited.json()["errors"][0]["field"] == "access.lesson_ids.0"
    added = await client.post(f"/orders/{order_id}/lines", headers={**who(account), "If-Match": '"1"'},
                              json={"product_id": str(uuid.uuid4()), "price": "10.00"})
    assert added.status_code == 422 and added.json()["errors"][0]["field"] == "product_id"
    assert (await client.get(f"/orders/{order_id}", headers=who(account))).json()["version"] == 1
    # Another school's catalog is not this one's.
    other = await client.post("/orders", json=body, headers=who(await new_school(app)))
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "lines.0.product_id"


async def test_an_older_product_announcement_arriving_late_changes_nothing(crm):
    client, app, _ = crm
    account, product_id = uuid.uuid4(), uuid.uuid4()
    newest = ProductUpdated(account_id=account, correlation_id=uuid.uuid4(), product_id=product_id, title="New name",
                            kind="course")
    older = newest.model_copy(update={"title": "Old name", "occurred_at": newest.occurred_at - timedelta(minutes=1),
                                      "event_id": uuid.uuid4()})
    await apply(app, main.on_product_updated, newest)
    await apply(app, main.on_product_updated, older)
    body = manual(payments=[], discount="0", lines=[{"product_id": str(product_id), "price": "5.00"}])
    card = await client.post("/orders", json=body, headers=who(account))
    assert card.json()["lines"][0]["product_title"] == "New name"


async def test_a_lines_course_terms_show_what_the_products_own_defaults_grant(crm):
    client, app, _ = crm
    account, product_id = uuid.uuid4(), uuid.uuid4()
    first, second = uuid.uuid4(), uuid.uuid4()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    modules = [ModuleOutline(id=first, title="SQL", lessons=[LessonOutline(id=a, title="Joins"),
                                                            LessonOutline(id=b, title="Indexes")]),
               ModuleOutline(id=second, title="Python", lessons=[LessonOutline(id=c, title="Pandas")])]
    without = ProductUpdated(account_id=account, correlation_id=uuid.uuid4(), product_id=product_id,
                             title="Data analysis", kind="course", modules=modules)
    await apply(app, main.on_product_updated, without)
    line = {"product_id": str(product_id), "price": "100.00"}
    card = (await client.post("/orders", json=manual(payments=[], discount="0", lines=[line]),
                              headers=who(account))).json()
    # Announced before the event carried the defaults: the catalog cannot tell what "course" is.
    assert card["lines"][0]["granted"] == {"lesson_ids": [str(a), str(b), str(c)], "lesson_delays": None,
                                           "practice_lesson_ids": None}

    defaults = CourseDefaultsOutline(lesson_delays=[LessonDelay(lesson_id=a, days=3), LessonDelay(lesson_id=c, days=7)],
                                     practice_lesson_ids=[b, c], certificate="on_completion")
    with_defaults = without.model_copy(update={"defaults": defaults, "event_id": uuid.uuid4(),
                                               "occurred_at": without.occurred_at + timedelta(seconds=1)})
    await apply(app, main.on_product_updated, with_defaults)
    # A later announcement without them (an older publisher) keeps what is known.
    await apply(app, main.on_product_updated, without.model_copy(update={
        "event_id": uuid.uuid4(), "occurred_at": without.occurred_at + timedelta(seconds=2)}))
    lines = [line,
             {**line, "access": {"module_ids": [str(first)]}},
             {**line, "access": {"lesson_delays": "none", "practice": "custom", "practice_lesson_ids": [str(a)]}},
             {**line, "access": {"lesson_delays": "custom", "delay_overrides": [{"lesson_id": str(b), "days": 1}]}}]
    made = await client.post("/orders", json=manual(payments=[], discount="0", lines=lines), headers=who(account))
    assert made.status_code == 201, made.text
    granted = [line["granted"] for line in made.json()["lines"]]
    assert granted[0] == {"lesson_ids": [str(a), str(b), str(c)],
                          "lesson_delays": [{"lesson_id": str(a), "days": 3}, {"lesson_id": str(c), "days": 7}],
                          "practice_lesson_ids": [str(b), str(c)]}
    # Only the lessons the line opens: the first module's.
    assert granted[1] == {"lesson_ids": [str(a), str(b)], "lesson_delays": [{"lesson_id": str(a), "days": 3}],
                          "practice_lesson_ids": [str(b)]}
    assert granted[2]["lesson_delays"] == [] and granted[2]["practice_lesson_ids"] == [str(a)]
    assert granted[3]["lesson_delays"] == [{"lesson_id": str(b), "days": 1}]
    assert granted[3]["practice_lesson_ids"] == [str(b), str(c)]


async def test_a_contacts_language_is_taken_in_either_form_and_kept_as_its_language(crm):
    client, _, _ = crm
    account = uuid.uuid4()
    made = await client.post("/contacts", json={"name": "Ola", "email": "ola@example.com", "locale": "pl_PL.UTF-8"},
                             headers=who(account))
    assert made.status_code == 201 and made.json()["locale"] == "pl"
    changed = await client.patch(f"/contacts/{made.json()['id']}", json={"locale": "de-AT"}, headers=who(account))
    assert changed.json()["locale"] == "de"
    refused = await client.patch(f"/contacts/{made.json()['id']}", json={"locale": "german"}, headers=who(account))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "locale"


async def test_another_pipeline_stage_is_refused(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    other = (await client.post("/pipelines", json={"name": "Corporate", "stages": [{"name": "Lead"}]},
                               headers=who(account))).json()
    default = (await client.get("/pipelines", headers=who(account))).json()["items"][0]
    response = await client.post("/orders", json=manual(pipeline_id=default["id"], stage_id=other["stages"][0]["id"]),
                                 headers=who(account))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "stage_id"
    placed = await client.post("/orders", json=manual(pipeline_id=other["id"]), headers=who(account))
    assert placed.json()["stage"]["id"] == other["stages"][0]["id"]


def percent(value):
    return {"kind": "percent", "value": value}


async def stored_discount(app, order_id):
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text("SELECT discount, discount_percent, total FROM orders WHERE id = :o"),
                                   {"o": order_id})).one()


async def test_a_manual_order_takes_its_discount_as_a_percent_that_follows_its_lines(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    created = await client.post("/orders", json=manual(discount=percent("12.5"), payments=[]), headers=who(account))
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["subtotal"], card["discount"], card["discount_percent"], card["total"]) == (
        "1000.00", "125.00", "12.5", "875.00")
    [event] = await outbox(app, "OrderCreated", card["id"])
    assert (event["discount"], event["total"], event["payment_plan"][0]["amount"]) == ("125.00", "875.00", "875.00")
    row = await stored_discount(app, card["id"])
    assert (row.discount, row.discount_percent, row.total) == (Decimal("125"), Decimal("12.5"), Decimal("875"))

    # A line added: the percent is the rule, so its amount is taken of the new subtotal.
    added = await client.post(f"/orders/{card['id']}/lines", headers=who(account), json={
        "product_id": str(SQL), "product_title": "SQL", "price": "250.00", "version": 1})
    assert added.status_code == 201, added.text
    assert (added.json()["subtotal"], added.json()["discount"], added.json()["discount_percent"],
            added.json()["total"]) == ("1250.00", "156.25", "12.5", "1093.75")
    entry = added.json()["history"][-1]
    assert entry["kind"] == "line_added"
    assert entry["details"]["order_changes"]["discount"] == {"before": "125.0000", "after": "156.25"}
    [update] = await outbox(app, "OrderUpdated", card["id"])
    assert update["discount"] == "156.25" and update["total"] == "1093.75" and "discount" in update["changed"]
    sql_line = added.json()["lines"][1]["id"]
    # A price changed, then the line removed: the amount follows each time.
    repriced = await client.patch(f"/orders/{card['id']}/lines/{sql_line}", json={"price": "99.99", "version": 2},
                                  headers=who(account))
    assert repriced.status_code == 200, repriced.text
    # 12.5 % of 1099.99 is 137.49875: rounded half up to the cent.
    assert (repriced.json()["discount"], repriced.json()["total"]) == ("137.50", "962.49")
    removed = await client.delete(f"/orders/{card['id']}/lines/{sql_line}", headers={**who(account), "If-Match": '"3"'})
    assert removed.status_code == 200, removed.text
    assert (removed.json()["discount"], removed.json()["total"]) == ("125.00", "875.00")

    # Back to an amount: the discount stays that amount whatever the lines do, as before.
    amount = await client.patch(f"/orders/{card['id']}", json={"discount": "100.00", "version": 4}, headers=who(account))
    assert amount.status_code == 200, amount.text
    assert (amount.json()["discount"], amount.json()["discount_percent"], amount.json()["total"]) == (
        "100.00", None, "900.00")
    changes = amount.json()["history"][-1]["details"]["changes"]
    assert changes["discount_percent"] == {"before": "12.5000", "after": None}
    again = await client.post(f"/orders/{card['id']}/lines", headers=who(account), json={
        "product_id": str(SQL), "price": "250.00", "version": 5})
    assert (again.json()["discount"], again.json()["total"]) == ("100.00", "1150.00")


async def test_an_edit_takes_a_percent_discount(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    card = (await client.post("/orders", json=manual(payments=[]), headers=who(account))).json()
    path = f"/orders/{card['id']}"
    edited = await client.patch(path, json={"discount": percent("20"), "version": 1}, headers=who(account))
    assert edited.status_code == 200, edited.text
    assert (edited.json()["discount"], edited.json()["discount_percent"], edited.json()["total"]) == (
        "200.00", "20", "800.00")
    changes = edited.json()["history"][-1]["details"]["changes"]
    assert changes["discount"] == {"before": "100.0000", "after": "200.00"}
    assert changes["discount_percent"] == {"before": None, "after": "20"}
    [update] = await outbox(app, "OrderUpdated", card["id"])
    assert update["discount"] == "200.00" and update["changed"] == ["discount", "discount_percent", "total"]
    # The same percent again changes nothing; the same amount as a percent of it is still a change of kind.
    same = await client.patch(path, json={"discount": percent("20.0000"), "version": 2}, headers=who(account))
    assert same.status_code == 200 and same.json()["version"] == 2
    ten = await client.patch(path, json={"discount": percent("10"), "version": 2}, headers=who(account))
    assert (ten.json()["discount"], ten.json()["discount_percent"]) == ("100.00", "10")
    as_amount = await client.patch(path, json={"discount": {"kind": "amount", "value": "100.00"}, "version": 3},
                                   headers=who(account))
    assert as_amount.status_code == 200, as_amount.text
    assert (as_amount.json()["discount"], as_amount.json()["discount_percent"], as_amount.json()["version"]) == (
        "100.00", None, 4)
    everything = await client.patch(path, json={"discount": percent("100"), "version": 4}, headers=who(account))
    assert everything.status_code == 200, everything.text
    assert (everything.json()["discount"], everything.json()["total"], everything.json()["payment_status"]) == (
        "1000.00", "0.00", "paid")
    for bad, field in ((percent("100.01"), "discount.value"), (percent("0.00001"), "discount.value"),
                       (None, "discount"), (percent(1.5), "discount")):
        refused = await client.patch(path, json={"discount": bad, "version": 5}, headers=who(account))
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"][0]["field"].startswith(field), refused.json()
    assert (await stored_discount(app, card["id"])).discount_percent == Decimal(100)


@pytest.mark.parametrize("discount, fields", [
    ("NaN", ["discount"]), ("1e3", ["discount"]), (1.5, ["discount"]), ("1000000000000", ["discount"]),
    ({"kind": "share", "value": "1"}, ["discount.kind"]), ({"kind": "percent", "value": 1.5}, ["discount.value"]),
    ({"kind": "percent", "value": "1", "of": "lines"}, ["discount.of"]),
])
async def test_a_discount_in_either_form_is_refused_naming_just_its_field(crm, new_school, discount, fields):
    client, app, _ = crm
    account = await new_school(app)
    response = await client.post("/orders", json=manual(discount=discount, payments=[]), headers=who(account))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == fields
    card = (await client.post("/orders", json=manual(payments=[]), headers=who(account))).json()
    edited = await client.patch(f"/orders/{card['id']}", json={"discount": discount, "version": 1}, headers=who(account))
    assert edited.status_code == 422 and [e["field"] for e in edited.json()["errors"]] == fields


async def test_a_percent_of_everything_makes_a_free_order(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    created = await client.post("/orders", json=manual(discount=percent("100"), payments=[]), headers=who(account))
    assert created.status_code == 201, created.text
    card = created.json()
    assert (card["discount"], card["discount_percent"], card["total"], card["payment_status"]) == (
        "1000.00", "100", "0.00", "paid")
    [event] = await outbox(app, "OrderCreated", card["id"])
    assert event["total"] == "0.00" and event["payment_plan"] == []


@pytest.mark.parametrize("currency, price, share, discount, total", [
    ("JPY", "1010", "5", "51", "959"),  # 50.5 yen: half up, where half to even would give 50
    ("KWD", "1.001", "50", "0.501", "0.500"),  # three decimals: 0.5005 dinar
    ("UAH", "10.10", "5", "0.51", "9.59"),
])
async def test_a_percent_discount_is_rounded_half_up_to_the_currencys_minor_unit(
    crm, new_school, currency, price, share, discount, total,
):
    client, app, _ = crm
    account = await new_school(app)
    body = manual(currency=currency, payments=[], discount=percent(share),
                  lines=[{"product_id": str(PYTHON), "price": price}])
    created = await client.post("/orders", json=body, headers=who(account))
    assert created.status_code == 201, created.text
    assert (created.json()["discount"], created.json()["total"]) == (discount, total)
    row = await stored_discount(app, created.json()["id"])
    assert (row.discount, row.total) == (Decimal(discount), Decimal(total))


async def test_edits_are_versioned_recorded_and_announced(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    card = (await client.post("/orders", json=manual(), headers=who(account))).json()
    path = f"/orders/{card['id']}"
    missing = await client.patch(path, json={"tags": ["x"]}, headers=who(account))
    assert missing.status_code == 428
    edited = await client.patch(path, json={"tags": ["vip", "b2b"], "comment": "ok", "type": "upsell"},
                                headers={**who(account, "manager-2"), "If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"' and edited.json()["tags"] == ["vip", "b2b"]
    stale = await client.patch(path, json={"comment": "lost?", "version": 1}, headers=who(account))
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    last = edited.json()["history"][-1]
    assert last["actor"] == "manager-2" and last["kind"] == "updated"
    assert last["details"]["changes"]["comment"] == {"before": "called twice", "after": "ok"}
    [update] = await outbox(app, "OrderUpdated", card["id"])
    assert update["order_version"] == 2 and update["changed"] == ["comment", "tags", "type"]
    too_much = await client.patch(path, json={"discount": "1000.01", "version": 2}, headers=who(account))
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["field"] == "discount"
    cancelled = (await client.patch(path, json={"status": "cancelled", "version": 2}, headers=who(account))).json()
    assert cancelled["status"] == "cancelled" and cancelled["stage"]["name"] == "Cancelled"
    assert (await outbox(app, "OrderUpdated", card["id"]))[-1]["status"] == "cancelled"


async def test_two_managers_saving_the_same_version_one_wins(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    card = (await client.post("/orders", json=manual(), headers=who(account))).json()
    results = await asyncio.gather(*[
        client.patch(f"/orders/{card['number']}", json={"comment": f"by {n}", "version": 1}, headers=who(account))
        for n in range(4)])
    assert sorted(r.status_code for r in results) == [200, 409, 409, 409]
    final = (await client.get(f"/orders/{card['id']}", headers=who(account))).json()
    assert final["version"] == 2 and len(await outbox(app, "OrderUpdated", card["id"])) == 1


async def test_editing_an_offer_line_requests_a_system_copy_and_stops_following(crm, new_school):
    client, app, _ = crm
    account, offer_id = await new_school(app), uuid.uuid4()
    first, second = opened(account, offer_id), opened(account, offer_id, email="other@example.com")
    await apply(app, main.on_offer_opened, first)
    await apply(app, main.on_offer_opened, second)
    order_id = await order_of(app, first.checkout_id)
    card = (await client.get(f"/orders/{order_id}", headers=who(account))).json()
    line = card["lines"][0]
    year = {"start": {"kind": "after_payment"}, "end": {"kind": "after_period", "period": {"unit": "months", "count": 12}}}
    edited = await client.patch(f"/orders/{order_id}/lines/{line['id']}", json={"access": year, "price": "1200.00"},
                                headers={**who(account), "If-Match": '"1"'})
    assert edited.status_code == 200, edited.text
    new_line = edited.json()["lines"][0]
    [copy] = await outbox(app, "OfferCopyRequested", order_id)
    assert copy["source_offer_id"] == str(offer_id) and copy["lines"][0]["price"] == "1200.00"
    assert new_line["offer"]["id"] == copy["copy_id"] and new_line["customised"] is True
    assert new_line["offer"]["title"] == "Standard (Copy system)" and edited.json()["total"] == "1200.00"
    assert edited.json()["history"][-1]["details"]["offer_copy"]["copy_id"] == copy["copy_id"]
    # The offer changes: the customised order keeps its terms, the other one follows (price unchanged).
    week = AccessTerms(end=AccessEnd(kind="after_period", period=Period(unit="days", count=7)))
    update = OfferUpdated(account_id=account, correlation_id=uuid.uuid4(), offer_id=offer_id, offer_version=2,
                          offer_title="Standard", currency="UAH",
                          lines=[OfferLine(product_id=uuid.UUID(int=7), product_title="Python course",
                                           price=Decimal("9.00"), access=week)])
    await apply(app, main.on_offer_updated, update)
    await apply(app, main.on_offer_updated, update.model_copy(update={"is_system_copy": True, "offer_version": 3,
                                                                          "lines": []}))
    mine = (await client.get(f"/orders/{order_id}", headers=who(account))).json()
    assert mine["lines"][0]["access"]["end"]["period"] == {"unit": "months", "count": 12}
    other_id = await order_of(app, second.checkout_id)
    other = (await client.get(f"/orders/{other_id}", headers=who(account))).json()
    assert other["lines"][0]["access"]["end"]["period"] == {"unit": "days", "count": 7}
    assert other["lines"][0]["price"] == "1500.00" and other["version"] == 2
    assert (await outbox(app, "OrderUpdated", other_id))[-1]["changed"] == ["lines"]


async def test_lines_added_and_removed_reprice_the_order(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    card = (await client.post("/orders", json=manual(payments=[]), headers=who(account))).json()
    added = await client.post(f"/orders/{card['id']}/lines", headers=who(account), json={
        "product_id": str(SQL), "product_title": "SQL", "price": "250.00", "version": 1})
    assert added.status_code == 201 and added.json()["total"] == "1150.00"
    line_id = added.json()["lines"][1]["id"]
    removed = await client.delete(f"/orders/{card['id']}/lines/{line_id}", headers={**who(account), "If-Match": '"2"'})
    assert removed.json()["total"] == "900.00" and len(removed.json()["lines"]) == 1
    last = removed.json()["lines"][0]["id"]
    refused = await client.delete(f"/orders/{card['id']}/lines/{last}", headers={**who(account), "If-Match": '"3"'})
    assert refused.status_code == 422
    too_cheap = await client.patch(f"/orders/{card['id']}/lines/{last}", json={"price": "50.00", "version": 3},
                                   headers=who(account))
    assert too_cheap.status_code == 422  # below the discount


async def wait_for(app, topic, order_id, n, timeout=30):
    async with asyncio.timeout(timeout):
        while len(found := await outbox(app, topic, order_id)) < n:
            await asyncio.sleep(0.1)
    return found


async def test_payment_through_the_broker_opens_access_and_an_overdue_payment_suspends_it(crm):
    client, app, producer = crm
    account, offer_id = uuid.uuid4(), uuid.uuid4()
    month = AccessTerms(end=AccessEnd(kind="after_period", period=Period(unit="months", count=1)))
    event = opened(account, offer_id, access=month)
    await apply(app, main.on_offer_opened, event)
    order_id = await order_of(app, event.checkout_id)
    paid_at = datetime.now(UTC) - timedelta(days=1)
    paid = PaymentSucceeded(account_id=account, correlation_id=uuid.uuid4(), order_id=order_id,
                            payment_id=uuid.uuid4(), amount=Decimal("500.00"), currency="UAH", paid_at=paid_at)

    async def send(e):
        await producer.send_and_wait(e.topic, e.model_dump_json().encode(), key=e.partition_key().encode())

    await send(paid)
    [opened_access] = await wait_for(app, "AccessChanged", order_id, 1)
    assert opened_access["status"] == "open" and opened_access["reason"] == "paid"
    assert datetime.fromisoformat(opened_access["starts_at"]) == paid_at
    overdue = PaymentOverdue(account_id=account, correlation_id=uuid.uuid4(), order_id=order_id,
                             payment_id=uuid.uuid4(), amount=Decimal("1000.00"), currency="UAH",
                             due_at=datetime.now(UTC), closes_access=True)
    await send(overdue)
    suspended = (await wait_for(app, "AccessChanged", order_id, 2))[-1]
    assert suspended["status"] == "suspended" and suspended["reason"] == "overdue"
    card = (await client.get(f"/orders/{order_id}", headers=who(account))).json()
    assert card["lines"][0]["window"]["status"] == "suspended" and card["payment_status"] == "partially_paid"
    await send(paid.model_copy(update={"event_id": uuid.uuid4(), "payment_id": overdue.payment_id,
                                       "amount": Decimal("1000.00")}))
    resumed = (await wait_for(app, "AccessChanged", order_id, 3))[-1]
    assert resumed["status"] == "open" and resumed["reason"] == "resumed"
    card = (await client.get(f"/orders/{order_id}", headers=who(account))).json()
    assert card["payment_status"] == "paid" and card["stage"]["name"] == "Paid"
    assert {"payment_received", "payment_overdue"} <= {h["kind"] for h in card["history"]}


async def test_pipelines_keep_stage_ids_and_refuse_removing_a_stage_in_use(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    created = await client.post("/pipelines", headers=who(account), json={"name": "B2B", "stages": [
        {"name": "Lead"}, {"name": "Won", "on_full_payment": True}, {"name": "Lost", "on_cancel": True}]})
    assert created.status_code == 201
    pipeline = created.json()
    lead, won, lost = (s["id"] for s in pipeline["stages"])
    two_markers = await client.patch(f"/pipelines/{pipeline['id']}", headers=who(account), json={"stages": [
        {"id": lead, "name": "Lead", "on_cancel": True}, {"id": lost, "name": "Lost", "on_cancel": True}]})
    assert two_markers.status_code == 422 and two_markers.json()["errors"][0]["field"] == "stages.1.on_cancel"
    await client.post("/orders", json=manual(pipeline_id=pipeline["id"]), headers=who(account))
    busy = await client.patch(f"/pipelines/{pipeline['id']}", headers=who(account),
                              json={"stages": [{"id": won, "name": "Won"}]})
    assert busy.status_code == 422 and busy.json()["errors"][0]["field"] == "stages"
    moved = (await client.patch(f"/pipelines/{pipeline['id']}", headers=who(account), json={
        "name": "Business", "stages": [{"id": won, "name": "Won!", "on_full_payment": True}, {"id": lead, "name": "Lead"},
                                       {"name": "Qualified"}]})).json()
    assert moved["name"] == "Business" and [s["name"] for s in moved["stages"]] == ["Won!", "Lead", "Qualified"]
    assert [s["id"] for s in moved["stages"]][:2] == [won, lead]
    assert (await client.get(f"/pipelines/{uuid.uuid4()}", headers=who(account))).status_code == 404


async def test_a_pipeline_is_deleted_only_when_empty_and_not_the_default(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    default = (await client.get("/pipelines", headers=who(account))).json()["items"][0]
    b2b = (await client.post("/pipelines", headers=who(account), json={"name": "B2B", "stages": [
        {"name": "Lead"}, {"name": "Won", "on_full_payment": True}]})).json()
    order = (await client.post("/orders", json=manual(pipeline_id=b2b["id"]), headers=who(account))).json()
    await client.post("/orders", json=manual(pipeline_id=b2b["id"]), headers=who(account))

    busy = await client.delete(f"/pipelines/{b2b['id']}", headers=who(account))
    assert busy.status_code == 409 and busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["orders"] == 2 and "2 orders are in this pipeline" in busy.json()["detail"]
    kept = await client.delete(f"/pipelines/{default['id']}", headers=who(account))
    assert kept.status_code == 409 and "default pipeline" in kept.json()["detail"]
    assert (await client.delete(f"/pipelines/{b2b['id']}", headers=who(uuid.uuid4()))).status_code == 404
    viewer = as_account(account, role="viewer")
    assert (await client.delete(f"/pipelines/{b2b['id']}", headers=viewer)).status_code == 403
    assert (await client.get(f"/pipelines/{b2b['id']}", headers=who(account))).status_code == 200

    for card in (await client.get("/orders", params={"pipeline_id": b2b["id"]}, headers=who(account))).json()["items"]:
        moved = await client.patch(f"/orders/{card['id']}", json={"pipeline_id": default["id"]},
                                   headers={**who(account), "If-Match": f'"{card["version"]}"'})
        assert moved.status_code == 200, moved.text
    gone = await client.delete(f"/pipelines/{b2b['id']}", headers=who(account))
    assert gone.status_code == 204 and gone.content == b""
    assert (await client.get(f"/pipelines/{b2b['id']}", headers=who(account))).status_code == 404
    assert (await client.delete(f"/pipelines/{b2b['id']}", headers=who(account))).status_code == 404
    assert [p["id"] for p in (await client.get("/pipelines", headers=who(account))).json()["items"]] == [default["id"]]
    assert (await client.get(f"/orders/{order['id']}", headers=who(account))).json()["pipeline"]["id"] == default["id"]


async def test_list_filters_sorts_and_searches(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    for n, (name, total, tag) in enumerate([("Anna Lis", "100.00", "a"), ("Bohdan", "300.00", "b"),
                                           ("Anna Kit", "200.00", "b")]):
        body = manual(contact={"name": name, "email": f"p{n}@example.com", "phone": f"+38050111223{n}"},
                      lines=[{"product_id": str(uuid.UUID(int=n)), "product_title": "C", "price": total}],
                      discount="0", payments=[], tags=[tag])
        assert (await client.post("/orders", json=body, headers=who(account))).status_code == 201

    async def numbers(**params):
        response = await client.get("/orders", params=params, headers=who(account))
        assert response.status_code == 200, response.text
        return [o["number"] for o in response.json()["items"]]

    assert await numbers(q="anna") == [3, 1]
    assert await numbers(q="0501112231") == [2]
    assert await numbers(q="#2") == [2]
    assert await numbers(tag="b", sort="total") == [3, 2]
    assert await numbers(total_min="150", total_max="250") == [3]
    assert await numbers(product_id=str(uuid.UUID(int=1))) == [2]
    assert await numbers(source="page") == []
    page = (await client.get("/orders", params={"sort": "-total", "limit": 2}, headers=who(account))).json()
    assert [o["number"] for o in page["items"]] == [2, 3]
    rest = await numbers(sort="-total", limit=2, cursor=page["next_cursor"])
    assert rest == [1]
    wrong = await client.get("/orders", params={"sort": "number", "cursor": page["next_cursor"]}, headers=who(account))
    assert wrong.status_code == 422
    csv = await client.get("/orders/export.csv", params={"tag": "b"}, headers=who(account))
    lines = csv.text.strip().splitlines()
    assert csv.headers["content-type"].startswith("text/csv") and lines[0].startswith("number,")
    assert [line.split(",")[0] for line in lines[1:]] == ["3", "2"]


async def test_contacts_crud(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    made = await client.post("/contacts", json={"name": "Taras", "email": "taras@example.com", "phone": "+48 601 234 567"},
                             headers=who(account))
    assert made.status_code == 201 and made.json()["phone"] == "+48601234567"
    taken = await client.post("/contacts", json={"name": "T", "email": "TARAS@example.com"}, headers=who(account))
    assert taken.status_code == 409 and taken.json()["contact_id"] == made.json()["id"]
    other = (await client.post("/contacts", json={"name": "Ola", "email": "ola@example.com"}, headers=who(account))).json()
    order = (await client.post("/orders", json=manual(contact=None, contact_id=other["id"]), headers=who(account))).json()
    clash = await client.patch(f"/contacts/{other['id']}", json={"email": "taras@example.com"}, headers=who(account))
    assert clash.status_code == 409
    renamed = await client.patch(f"/contacts/{other['id']}", json={"name": "Olha", "email": "olha@example.com"},
                                 headers=who(account))
    assert renamed.json()["email"] == "olha@example.com"
    [update] = await outbox(app, "OrderUpdated", order["id"])
    assert update["contact"]["email"] == "olha@example.com" and update["changed"] == ["contact"]
    found = (await client.get("/contacts", params={"q": "olh"}, headers=who(account))).json()["items"]
    assert [c["name"] for c in found] == ["Olha"]
    page = (await client.get("/contacts", params={"limit": 1}, headers=who(account))).json()
    assert page["items"][0]["name"] == "Olha" and page["next_cursor"]


async def test_unpaid_orders_from_offers_expire_after_the_schools_period(crm):
    client, app, _ = crm
    account, offer_id = uuid.uuid4(), uuid.uuid4()
    assert (await client.put("/settings", json={"unpaid_expiry_days": 3}, headers=who(account))).json() == {
        "unpaid_expiry_days": 3, "phone_region": None}
    visits = [opened(account, offer_id) for _ in range(3)]
    for visit in visits:
        await apply(app, main.on_offer_opened, visit)
    ids = [await order_of(app, v.checkout_id) for v in visits]
    async with app.state.engine.begin() as conn:
        for days, order_id in ((5, ids[0]), (4, ids[1])):
            await conn.execute(text("UPDATE orders SET created_at = now() - make_interval(days => :d) WHERE id = :o"),
                               {"d": days, "o": order_id})
    card = (await client.get(f"/orders/{ids[2]}", headers=who(account))).json()
    assert card["repeats"] == 2 and card["repeat_of"] == 1 and len(card["repeat_orders"]) == 2
    async with app.state.engine.begin() as conn:
        await main.expire_unpaid(conn, now=datetime.now(UTC), default_days=7, limit=100)
    statuses = [(await client.get(f"/orders/{i}", headers=who(account))).json()["status"] for i in ids]
    assert statuses == ["expired", "expired", "active"]
    assert (await outbox(app, "OrderUpdated", ids[0]))[-1]["status"] == "expired"
    assert (await client.get("/orders", params={"status": "expired"}, headers=who(account))).json()["items"][0]["number"] == 2


async def test_school_name_and_refunds(crm, new_school):
    from contracts import PaymentRefunded, SchoolUpdated

    client, app, _ = crm
    account = await new_school(app)
    await apply(app, main.on_school_updated, SchoolUpdated(account_id=account, correlation_id=uuid.uuid4(),
                                                              name="Lviv Art", default_locale="uk"))
    card = (await client.post("/orders", json=manual(payments=[]), headers=who(account))).json()
    [created] = await outbox(app, "OrderCreated", card["id"])
    assert created["school_name"] == "Lviv Art" and created["school_locale"] == "uk"
    order_id = uuid.UUID(card["id"])
    payment = uuid.uuid4()
    await apply(app, main.on_payment_succeeded, PaymentSucceeded(
        account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, payment_id=payment,
        amount=Decimal("900.00"), currency="UAH", paid_at=datetime.now(UTC)))
    refund = PaymentRefunded(account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, payment_id=payment,
                             amount=Decimal("400.00"), currency="UAH", refunded_at=datetime.now(UTC))
    await apply(app, main.on_payment_refunded, refund)
    card = (await client.get(f"/orders/{order_id}", headers=who(account))).json()
    assert (card["payment_status"], card["paid"], card["refunded"]) == ("partially_paid", "500.00", "400.00")
    await apply(app, main.on_payment_refunded, refund.model_copy(update={"event_id": uuid.uuid4(),
                                                                              "amount": Decimal("500.00")}))
    card = (await client.get(f"/orders/{order_id}", headers=who(account))).json()
    assert card["payment_status"] == "refunded" and card["lines"][0]["window"]["status"] == "revoked"
    access = await outbox(app, "AccessChanged", order_id)
    assert [(a["status"], a["reason"]) for a in access] == [("open", "paid"), ("revoked", "refunded")]


async def test_an_overpaid_order_owes_nothing_on_its_card_in_the_list_and_in_the_export(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    card = (await client.post("/orders", json=manual(payments=[]), headers=who(account))).json()
    await apply(app, main.on_payment_succeeded, PaymentSucceeded(
        account_id=account, correlation_id=uuid.uuid4(), order_id=uuid.UUID(card["id"]), payment_id=uuid.uuid4(),
        amount=Decimal("1000.00"), currency="UAH", paid_at=datetime.now(UTC)))
    card = (await client.get(f"/orders/{card['id']}", headers=who(account))).json()
    assert (card["payment_status"], card["paid"], card["due"]) == ("overpaid", "1000.00", "0.00")
    listed = await client.get("/orders", headers=who(account))
    assert listed.status_code == 200 and listed.json()["items"][0]["due"] == "0.00"
    export = await client.get("/orders/export.csv", headers=who(account))
    assert export.status_code == 200 and "overpaid" in export.text


async def test_windows_move_with_terms_and_end_by_the_clock(crm, new_school):
    from orders.workers.clock import ClockWorker

    client, app, _ = crm
    account = await new_school(app)
    month = {"end": {"kind": "after_period", "period": {"unit": "months", "count": 1}}}
    body = manual(payments=[], discount="0", lines=[
        {"product_id": str(PYTHON), "product_title": "Python", "price": "1000.00", "access": month}])
    card = (await client.post("/orders", json=body, headers=who(account))).json()
    order_id = uuid.UUID(card["id"])
    paid_at = datetime(2026, 1, 31, 12, tzinfo=UTC)
    await apply(app, main.on_payment_succeeded, PaymentSucceeded(
        account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, payment_id=uuid.uuid4(),
        amount=Decimal("1000.00"), currency="UAH", paid_at=paid_at))
    [first] = await outbox(app, "AccessChanged", order_id)
    # Paid long ago for a month: the window is already over, and ends on the last day of February.
    assert first["status"] == "ended" and first["ends_at"].startswith("2026-02-28")
    longer = {"end": {"kind": "after_period", "period": {"unit": "days", "count": 3650}}}
    edited = await client.patch(f"/orders/{order_id}/lines/{card['lines'][0]['id']}", json={"access": longer},
                                headers={**who(account), "If-Match": '"2"'})
    assert edited.status_code == 200, edited.text
    second = (await outbox(app, "AccessChanged", order_id))[-1]
    assert (second["status"], second["reason"]) == ("open", "terms_changed")
    assert edited.json()["lines"][0]["window"]["status"] == "open"
    # Far enough that other tests' unpaid orders do not expire under them.
    worker = ClockWorker(app.state.engine, app.state.settings.model_copy(update={"default_unpaid_expiry_days": 10**5}),
                         expire_unpaid=main.expire_unpaid, advance_windows=main.advance_windows)
    await worker.tick()
    assert len(await outbox(app, "AccessChanged", order_id)) == 2  # nothing is due today
    later = datetime.now(UTC) + timedelta(days=11 * 366)
    await worker.tick(now=later)
    third = (await outbox(app, "AccessChanged", order_id))[-1]
    assert (third["status"], third["reason"]) == ("ended", "expired")
    await worker.tick(now=later)
    assert len(await outbox(app, "AccessChanged", order_id)) == 3  # announced once


async def test_writes_answer_with_their_etag_and_where_the_new_thing_is(crm, new_school):
    client, app, _ = crm
    account = await new_school(app)
    made = await client.post("/orders", json=manual(payments=[]), headers=who(account))
    assert made.status_code == 201 and made.headers["ETag"] == '"1"'
    card = made.json()
    assert made.headers["Location"] == f"/orders/{card['id']}"
    added = await client.post(f"/orders/{card['id']}/lines", headers={**who(account), "If-Match": '"1"'},
                              json={"product_id": str(SQL), "price": "250.00"})
    assert added.status_code == 201 and added.headers["ETag"] == '"2"'
    assert added.headers["Location"] == f"/orders/{card['id']}"
    line_id = added.json()["lines"][1]["id"]
    edited = await client.patch(f"/orders/{card['number']}/lines/{line_id}", json={"price": "300.00"},
                                headers={**who(account), "If-Match": '"2"'})
    assert edited.status_code == 200 and edited.headers["ETag"] == '"3"' and "Location" not in edited.headers
    removed = await client.delete(f"/orders/{card['id']}/lines/{line_id}", headers={**who(account), "If-Match": '"3"'})
    assert removed.status_code == 200 and removed.headers["ETag"] == '"4"'
    history = await client.get(f"/orders/{card['id']}/history", headers=who(account))
    assert [e["kind"] for e in history.json()["items"]][-1] == "line_removed"
    contact = await client.post("/contacts", json={"name": "Мирослава", "email": "myroslava@example.com"},
                                headers=who(account))
    assert contact.status_code == 201 and contact.headers["Location"] == f"/contacts/{contact.json()['id']}"
    pipeline = await client.post("/pipelines", headers=who(account), json={"name": "B2B", "stages": [{"name": "Lead"}]})
    assert pipeline.status_code == 201 and pipeline.headers["Location"] == f"/pipelines/{pipeline.json()['id']}"
    settings = await client.put("/settings", json={"phone_region": "UA"}, headers=who(account))
    assert settings.json() == {"unpaid_expiry_days": 7, "phone_region": "UA"}
