"""The orders list's enumerated filters on real PostgreSQL: each takes exactly the values of the
domain's own type, the list and the CSV select by them, and any other value is a 422 problem that
names the values allowed. The API document lists the same values as enums, so a client's type is
their union."""

import uuid
from typing import get_args

import pytest
from contracts import OrderSource, OrderStatus
from orders.domain.order import OrderType, PaymentStatus
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.testing import as_account, service_under_test
from sqlalchemy import text

PYTHON = uuid.UUID(int=100)  # in every new school's catalog (conftest)


@pytest.fixture(scope="module")
async def running(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings, clock_interval_seconds=0) as (client, app):
        yield client, app


def _order(name: str, price: str, type_: str) -> dict:
    return {"contact": {"name": name, "email": f"{name.lower()}@example.com"}, "currency": "UAH",
            "lines": [{"product_id": str(PYTHON), "product_title": "Python", "price": price}],
            "discount": "0", "payments": [], "type": type_}


def _enum(parameter: dict, schemas: dict) -> list[str]:
    """The values a parameter's schema lists, through a $ref and past the null of an optional one."""
    schema = parameter["schema"]
    for choice in schema.get("anyOf", [schema]):
        if "$ref" in choice:
            choice = schemas[choice["$ref"].rsplit("/", 1)[-1]]
        if "enum" in choice:
            return choice["enum"]
    raise AssertionError(f"{parameter['name']} lists no values: {schema}")


def test_the_document_lists_each_filter_s_values_as_the_domain_type_has_them() -> None:
    document = create_app(Settings(log_json=False)).openapi()
    schemas = document["components"]["schemas"]
    for path in ("/orders", "/orders/export.csv"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        assert _enum(parameters["payment_status"], schemas) == [s.value for s in PaymentStatus]
        assert _enum(parameters["type"], schemas) == list(get_args(OrderType))
        assert _enum(parameters["status"], schemas) == list(get_args(OrderStatus))
        assert _enum(parameters["source"], schemas) == list(get_args(OrderSource))
        assert sorted(_enum(parameters["sort"], schemas)) == sorted(
            ["created_at", "-created_at", "number", "-number", "total", "-total"])
        assert parameters["sort"]["schema"]["default"] == "-created_at"


async def test_the_list_selects_by_each_value_and_refuses_any_other_naming_the_allowed(running, new_school) -> None:
    client, app = running
    account = await new_school(app)
    me = as_account(account, user="manager-1")
    for body in (_order("Olena", "1000.00", "gift"), _order("Petro", "300.00", "renewal"),
                 _order("Roman", "200.00", "regular")):
        made = await client.post("/orders", json=body, headers=me)
        assert made.status_code == 201, made.text
    # Money arrives from payments' events; here the states it leads to are written straight in.
    async with app.state.engine.begin() as conn:
        for number, state in ((2, "partially_paid"), (3, "paid")):
            await conn.execute(text("UPDATE orders SET payment_status = :state WHERE account_id = :account "
                                    "AND number = :number"), {"state": state, "account": account, "number": number})

    async def numbers(**params: str) -> list[int]:
        response = await client.get("/orders", params=params, headers=me)
        assert response.status_code == 200, response.text
        return [o["number"] for o in response.json()["items"]]

    assert await numbers(payment_status="not_paid") == [1]
    assert await numbers(payment_status="partially_paid") == [2]
    assert await numbers(payment_status="paid") == [3]
    assert await numbers(payment_status="refunded") == []
    assert await numbers(type="gift") == [1] and await numbers(type="upsell") == []
    assert await numbers(status="active") == [3, 2, 1] and await numbers(status="cancelled") == []
    assert await numbers(source="manual") == [3, 2, 1] and await numbers(source="page") == []
    assert await numbers(sort="total") == [3, 2, 1] and await numbers(sort="-total") == [1, 2, 3]
    assert await numbers(sort="number") == [1, 2, 3] and await numbers() == [3, 2, 1]
    csv = await client.get("/orders/export.csv", params={"payment_status": "paid"}, headers=me)
    assert [line.split(",")[0] for line in csv.text.strip().splitlines()[1:]] == ["3"]

    refusals = {
        "payment_status": ("unpaid", "'not_paid', 'partially_paid', 'paid', 'overpaid' or 'refunded'"),
        "type": ("trial", "'regular', 'renewal', 'upsell' or 'gift'"),
        "status": ("open", "'active', 'cancelled' or 'expired'"),
        "source": ("api", "'page', 'widget' or 'manual'"),
        "sort": ("price", "'-created_at', 'created_at', '-number', 'number', '-total' or 'total'"),
    }
    for path in ("/orders", "/orders/export.csv"):
        for name, (value, allowed) in refusals.items():
            response = await client.get(path, params={name: value}, headers=me)
            assert response.status_code == 422, (path, name, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["detail"] == f"Check these fields: query.{name}"
            assert problem["errors"] == [{"field": f"query.{name}", "message": f"Input should be {allowed}"}]
