"""Dates a manager types without an offset are the school's local ones, on real PostgreSQL and the
real broker: manual orders and line edits in the zone SchoolUpdated named, or in the deployment's
default. The reading rule itself is unit/test_school_zones.py's."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaProducer
from contracts import SchoolUpdated
from orders import main
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text

DEFAULT = "America/New_York"  # the deployment's default in these tests: not UTC, so it shows
PYTHON, SQL = uuid.UUID(int=100), uuid.UUID(int=101)  # in every new school's catalog (conftest)


@pytest.fixture(scope="module")
async def zoned(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings, clock_interval_seconds=0,
                                  default_time_zone=DEFAULT) as running_service:
        producer = AIOKafkaProducer(bootstrap_servers=infra.kafka_bootstrap)
        await producer.start()
        try:
            yield (*running_service, producer)
        finally:
            await producer.stop()


def who(account):
    return as_account(account, user="manager-1")


def school_updated(account, zone):
    return SchoolUpdated(account_id=account, correlation_id=uuid.uuid4(), name="Kyiv Code School",
                         default_locale="uk", time_zone=zone)


async def in_zone(app, account, zone):
    async with app.state.engine.begin() as conn:
        await main.on_school_updated(conn, school_updated(account, zone))


def starting(at, *, end=None, product=PYTHON):
    access = {"start": {"kind": "at_date", "at": at}}
    if end is not None:
        access["end"] = {"kind": "at_date", "at": end}
    return {"product_id": str(product), "product_title": "Python", "price": "1000.00", "access": access}


def manual(*lines, payments=()):
    return {"contact": {"name": "Iryna", "email": "iryna@example.com"}, "currency": "UAH",
            "lines": list(lines), "payments": list(payments)}


async def place(client, account, body):
    response = await client.post("/orders", json=body, headers=who(account))
    assert response.status_code == 201, response.text
    return response.json()


def start_of(card, n=0):
    return card["lines"][n]["access"]["start"]["at"]


async def created_event(app, order_id):
    async with app.state.engine.connect() as conn:
        return await conn.scalar(text(
            "SELECT payload FROM outbox WHERE topic = 'OrderCreated' AND payload->>'order_id' = :o"),
            {"o": order_id})


async def stored_zone(app, account):
    async with app.state.engine.connect() as conn:
        return (await conn.execute(text("SELECT time_zone FROM schools WHERE account_id = :a"),
                                   {"a": account})).all()


async def test_a_manual_order_of_a_school_in_kyiv_starts_at_kyiv_midnight(zoned, new_school):
    client, app, _ = zoned
    account = await new_school(app)
    await in_zone(app, account, "Europe/Kyiv")
    card = await place(client, account, manual(
        starting("2026-12-05", end="2027-03-01"),
        payments=[{"amount": "400.00", "method": "cash", "paid_at": "2026-11-20"},
                  {"amount": "600.00", "due_at": "2026-12-20T18:00"}]))
    assert start_of(card) == "2026-12-04T22:00:00Z"
    assert card["lines"][0]["access"]["end"]["at"] == "2027-02-28T22:00:00Z"
    # What the course platform and payments hear is the same instant, not the typed date.
    created = await created_event(app, card["id"])
    assert created["lines"][0]["access"]["start"]["at"] == "2026-12-04T22:00:00Z"
    assert [p["paid_at"] for p in created["payment_plan"]] == ["2026-11-19T22:00:00Z", None]
    assert [p["due_at"] for p in created["payment_plan"]] == [None, "2026-12-20T16:00:00Z"]


async def test_a_line_edit_and_a_new_line_read_their_dates_in_the_schools_zone(zoned, new_school):
    client, app, _ = zoned
    account = await new_school(app)
    await in_zone(app, account, "Europe/Kyiv")
    card = await place(client, account, manual(starting("2026-12-05T00:00:00Z")))
    assert start_of(card) == "2026-12-05T00:00:00Z"
    line_id = card["lines"][0]["id"]
    edited = await client.patch(f"/orders/{card['id']}/lines/{line_id}", headers={**who(account), "If-Match": '"1"'},
                                json={"access": {"start": {"kind": "at_date", "at": "2026-12-05"}}})
    assert edited.status_code == 200, edited.text
    assert start_of(edited.json()) == "2026-12-04T22:00:00Z"
    added = await client.post(f"/orders/{card['id']}/lines", headers={**who(account), "If-Match": '"2"'},
                              json=starting("2027-01-10", product=SQL))
    assert added.status_code == 201, added.text
    assert start_of(added.json(), 1) == "2027-01-09T22:00:00Z"
    # The same date again is no change: the instant it names is the one stored.
    again = await client.patch(f"/orders/{card['id']}/lines/{line_id}", headers={**who(account), "If-Match": '"3"'},
                               json={"access": {"start": {"kind": "at_date", "at": "2026-12-05"}}})
    assert again.status_code == 200 and again.json()["version"] == 3


async def test_a_school_that_named_no_zone_reads_the_deployments_default(zoned, new_school):
    client, app, _ = zoned
    account = await new_school(app)  # no SchoolUpdated yet: no schools row at all
    card = await place(client, account, manual(starting("2026-12-05")))
    assert start_of(card) == "2026-12-05T05:00:00Z"
    await in_zone(app, account, None)  # a profile without a zone: the default still
    assert start_of(await place(client, account, manual(starting("2026-12-05")))) == "2026-12-05T05:00:00Z"


async def test_a_zone_this_system_cannot_read_falls_back_to_the_default(zoned, new_school):
    client, app, _ = zoned
    account = await new_school(app)
    await in_zone(app, account, "Mars/Olympus")
    assert await stored_zone(app, account) == [("Mars/Olympus",)]
    assert start_of(await place(client, account, manual(starting("2026-12-05")))) == "2026-12-05T05:00:00Z"


async def test_a_new_zone_applies_to_dates_typed_after_it_and_moves_none_typed_before(zoned, new_school):
    client, app, _ = zoned
    account = await new_school(app)
    await in_zone(app, account, "Europe/Kyiv")
    before = await place(client, account, manual(starting("2026-12-05")))
    await in_zone(app, account, "Asia/Tokyo")
    after = await place(client, account, manual(starting("2026-12-05")))
    assert start_of(after) == "2026-12-04T15:00:00Z"
    kept = await client.get(f"/orders/{before['id']}", headers=who(account))
    assert start_of(kept.json()) == "2026-12-04T22:00:00Z"


async def test_a_time_without_an_offset_is_the_schools_and_one_with_an_offset_is_kept(zoned, new_school):
    client, app, _ = zoned
    account = await new_school(app)
    await in_zone(app, account, "Europe/Kyiv")
    card = await place(client, account, manual(starting("2026-12-05T10:00"), starting("2026-12-05T10:00:00+05:00")))
    assert start_of(card, 0) == "2026-12-05T08:00:00Z"
    assert start_of(card, 1) == "2026-12-05T10:00:00+05:00"
    # A wall-clock time New York skips (02:00-03:00 on 8 March) reads with the offset before the change.
    await in_zone(app, account, "America/New_York")
    assert start_of(await place(client, account, manual(starting("2026-03-08T02:30")))) == "2026-03-08T07:30:00Z"
    # Santiago's clocks skipped midnight on 6 September 2026: the day starts at 01:00 local.
    await in_zone(app, account, "America/Santiago")
    assert start_of(await place(client, account, manual(starting("2026-09-06")))) == "2026-09-06T04:00:00Z"


@pytest.mark.parametrize("line, field", [
    (starting("2026-02-30"), "lines.0.access.start.at"),
    (starting("0001-01-01"), "lines.0.access.start.at"),
    (starting("3000-01-01"), "lines.0.access.start.at"),
    (starting("5 December"), "lines.0.access.start.at"),
    (starting("2026-12-05T25:00"), "lines.0.access.start.at"),
    # Midnight in Kyiv is 22:00 UTC the day before: this end is no later than that start.
    (starting("2026-12-05", end="2026-12-04T22:00:00Z"), "lines.0.access.end"),
])
async def test_bad_dates_are_a_problem_naming_the_field(zoned, new_school, line, field):
    client, app, _ = zoned
    account = await new_school(app)
    await in_zone(app, account, "Europe/Kyiv")
    response = await client.post("/orders", json=manual(line), headers=who(account))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.json()
    bad_payment = await client.post("/orders", headers=who(account), json=manual(
        starting("2026-12-05"), payments=[{"amount": "1000.00", "due_at": "2026-13-01"}]))
    assert bad_payment.status_code == 422
    assert bad_payment.json()["errors"][0]["field"].startswith("payments.0.due_at")


async def test_the_zone_of_a_school_updated_on_the_broker_is_kept_once(zoned, new_school):
    client, app, producer = zoned
    account = await new_school(app)

    async def send(event):
        await producer.send_and_wait(event.topic, event.model_dump_json().encode(),
                                     key=event.partition_key().encode())

    async def until_zone(name):
        async with asyncio.timeout(30):
            while await stored_zone(app, account) != [(name,)]:
                await asyncio.sleep(0.05)

    kyiv = school_updated(account, "Europe/Kyiv")
    await send(kyiv)
    await until_zone("Europe/Kyiv")
    assert start_of(await place(client, account, manual(starting("2026-12-05")))) == "2026-12-04T22:00:00Z"
    # Delivered again, then a newer profile behind it on the same partition: once that one is
    # kept, the repeat was handled before it, and handled once.
    await send(kyiv)
    await send(school_updated(account, "Asia/Tokyo"))
    await until_zone("Asia/Tokyo")
    async with app.state.engine.connect() as conn:
        handled = await conn.scalar(text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": kyiv.event_id})
    assert handled == 1
    assert start_of(await place(client, account, manual(starting("2026-12-05")))) == "2026-12-04T15:00:00Z"
