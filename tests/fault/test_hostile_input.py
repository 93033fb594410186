"""What a fuzzer found answering 500, each case through the gateway to the real services.

Every one must now be a 4xx problem naming the field, change nothing, and leave the gateway's
pooled connections to the services healthy for the next request.
"""

import time
import uuid
from typing import Any

import httpx
import pytest

PROBLEM = "application/problem+json"


def refused(response: httpx.Response, field: str, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert field in {e["field"] for e in body.get("errors", [])}, body
    return body


def offer_body(product_id: str, **changes: Any) -> dict[str, Any]:
    return {"title": "Spring course", "currency": "UAH", "provider": "sandbox",
            "items": [{"product_id": product_id, "price": "1500.00"}], **changes}


def order_body(product_id: str, **changes: Any) -> dict[str, Any]:
    return {"contact": {"name": "Iryna", "email": f"iryna-{uuid.uuid4().hex[:8]}@example.com"}, "currency": "UAH",
            "lines": [{"product_id": product_id, "product_title": "Course", "price": "100.00"}], **changes}


@pytest.fixture
def gw(crm, account):
    with crm.gateway() as client:
        client.headers.update(crm.token(account))
        yield client


@pytest.fixture
def product(gw) -> str:
    created = gw.post("/api/v1/products", json={"title": "Course"})
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.fixture
def sold(gw, product) -> str:
    """The product, once orders has heard of it from offers (a manual line sells only the catalog)."""
    deadline = time.monotonic() + 30
    while (placed := gw.post("/api/v1/orders", json=order_body(product))).status_code != 201:
        assert placed.status_code == 422 and time.monotonic() < deadline, placed.text
        time.sleep(0.1)
    return product


def test_a_nul_byte_in_any_text_field_is_refused_naming_the_field(gw):
    anything = str(uuid.uuid4())  # refused before the catalog is looked at
    assert gw.get("/api/v1/pipelines").status_code == 200  # the default pipeline, made on the first look
    cases = [
        (gw.put("/api/v1/school", json={"name": "School\x00", "default_locale": "en"}), "name"),
        (gw.post("/api/v1/products", json={"title": "Course\x00"}), "title"),
        (gw.post("/api/v1/products", json={"title": "Course", "modules": [{"title": "M\x00"}]}), "modules.0.title"),
        (gw.post("/api/v1/pipelines", json={"name": "Sales\x00", "stages": [{"name": "New"}]}), "name"),
        (gw.post("/api/v1/pipelines", json={"name": "Sales", "stages": [{"name": "N\x00"}]}), "stages.0.name"),
        (gw.put("/api/v1/templates/receipt/en", json={"subject": "Hi\x00", "html": "<p>x</p>", "text": "x"}),
         "subject"),
        (gw.post("/api/v1/orders", json=order_body(anything, comment="call\x00me")), "comment"),
        (gw.post("/api/v1/orders", json=order_body(anything, tags=["ok", "bad\x00"])), "tags"),
        (gw.post("/api/v1/contacts", json={"name": "A\x07B", "email": "ab@example.com"}), "name"),
        (gw.get("/api/v1/orders", params={"q": "iryna\x00"}), "query.q"),
        (gw.get("/api/v1/contacts", params={"q": "\x1b[31m"}), "query.q"),
        (gw.get("/api/v1/orders/export.csv", params={"tag": "a\x00"}), "query.tag"),
    ]
    for response, field in cases:
        refused(response, field)
    assert gw.get("/api/v1/school").status_code == 404
    assert gw.get("/api/v1/products").json()["items"] == []
    assert len(gw.get("/api/v1/pipelines").json()["items"]) == 1  # the default one alone
    assert gw.get("/api/v1/orders").json()["items"] == []
    assert gw.get("/api/v1/contacts").json()["items"] == []
    # Tabs and line breaks are text, and a lone surrogate escaped in JSON is not.
    assert gw.post("/api/v1/contacts", json={"name": "Ann\tLee", "email": "ann@example.com"}).status_code == 201
    refused(gw.post("/api/v1/contacts", content=b'{"name": "\\ud800", "email": "x@example.com"}',
                    headers={"Content-Type": "application/json"}), "name")


def test_a_name_blank_after_stripping_is_refused_on_the_public_offer_open(crm, gw, product):
    offer = gw.post("/api/v1/offers", json=offer_body(product))
    assert offer.status_code == 201, offer.text
    with crm.gateway() as visitor:
        for name in ("   ", "\t\n", ""):
            opened = visitor.post(f"/public/v1/offers/{offer.json()['id']}/checkouts",
                                  json={"name": name, "email": "visitor@example.com"})
            refused(opened, "name")
        padded = visitor.post(f"/public/v1/offers/{offer.json()['id']}/checkouts",
                              json={"name": "  Olena  ", "email": "visitor@example.com"})
        assert padded.status_code == 202, padded.text
    refused(gw.post("/api/v1/products", json={"title": "   "}), "title")
    refused(gw.post("/api/v1/pipelines", json={"name": " ", "stages": [{"name": "New"}]}), "name")
    refused(gw.post("/api/v1/orders", json=order_body(product, contact={"name": "  ", "email": "z@example.com"})),
            "contact.name")


def test_amounts_and_numbers_beyond_the_columns_are_refused(gw, product, sold):
    huge = "99999999999999999999999.99"
    refused(gw.post("/api/v1/offers", json=offer_body(product, items=[{"product_id": product, "price": huge}])),
            "items.0.price")
    refused(gw.post("/api/v1/orders", json=order_body(sold, lines=[
        {"product_id": sold, "product_title": "Course", "price": huge}])), "lines.0.price")
    refused(gw.post("/api/v1/orders", json=order_body(sold, discount="1000000000000")), "discount")
    refused(gw.get("/api/v1/orders", params={"total_min": "1.6e295"}), "query.total_min")
    refused(gw.get("/api/v1/orders", params={"total_max": "1" + "0" * 30}), "query.total_max")
    refused(gw.get("/api/v1/orders", params={"created_from": "0001-01-01T00:00:00+23:59"}), "query.created_from")
    refused(gw.patch(f"/api/v1/orders/{uuid.uuid4()}", json={"version": 2**31, "comment": "x"}), "version")
    refused(gw.put("/api/v1/reminder-schedule", json={"offsets_hours": [2**31]}), "offsets_hours")
    # The largest amount that is taken: twelve integer digits, and the lines' sum still fits.
    top = "999999999999.99"
    taken = gw.post("/api/v1/orders", json=order_body(sold, lines=[
        {"product_id": sold, "product_title": "Course", "price": top}]))
    assert taken.status_code == 201, taken.text
    assert taken.json()["total"] == top
    lines = [{"product_id": sold, "product_title": f"Line {n}", "price": top} for n in range(2)]
    refused(gw.post("/api/v1/orders", json=order_body(sold, lines=lines)), "lines")
    other = gw.post("/api/v1/products", json={"title": "Another course"}).json()["id"]
    refused(gw.post("/api/v1/offers", json=offer_body(product, items=[
        {"product_id": product, "price": top}, {"product_id": other, "price": top}])), "items")


def test_an_order_number_beyond_the_column_is_refused_not_a_crash(crm, gw, account):
    refused(gw.get("/api/v1/orders/2147483648"), "path.order")
    refused(gw.get(f"/api/v1/orders/{'9' * 40}/history"), "path.order")
    assert gw.get("/api/v1/orders/2147483647").status_code == 404
    # The service holds the same line when called directly.
    with httpx.Client(base_url=crm.urls["orders"], headers=crm.proof(account)) as orders:
        refused(orders.get("/orders/2147483648"), "id_or_number")
        assert orders.get("/orders/2147483647").status_code == 404


def test_exponent_notation_is_refused_for_money(gw, product, sold):
    refused(gw.post("/api/v1/offers", json=offer_body(product, items=[{"product_id": product, "price": "1e3"}])),
            "items.0.price")
    refused(gw.post("/api/v1/orders", json=order_body(sold, lines=[
        {"product_id": sold, "product_title": "Course", "price": "1E3"}])), "lines.0.price")
    for written in ("NaN", "Infinity", " 10", "10.", ".5", "1_000", "+5"):
        refused(gw.post("/api/v1/orders", json=order_body(sold, discount=written)), "discount")
    refused(gw.get("/api/v1/orders", params={"total_min": "1e3"}), "query.total_min")
    assert gw.post("/api/v1/offers", json=offer_body(product)).json()["items"][0]["price"] == "1500.00"


def test_an_order_reference_is_checked_before_it_goes_upstream(gw, sold):
    created = gw.post("/api/v1/orders", json=order_body(sold))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    for hostile in ("%01", "%0d%0aX-Injected:%20yes", "a%00b", "%7F"):
        refused(gw.get(f"/api/v1/orders/{hostile}"), "path")
    refused(gw.get("/api/v1/orders/not-an-order"), "path.order")
    # An encoded slash may not reach another route: not the order's history, not its card.
    for sneaky in (f"{number}%2Fhistory", f"{number}%2fhistory", f"{number}%5Chistory"):
        response = gw.get(f"/api/v1/orders/{sneaky}")
        refused(response, "path")
        assert "items" not in response.json()
    assert gw.get(f"/api/v1/orders/{number}/history").status_code == 200
    assert gw.get(f"/api/v1/orders/{number}").json()["number"] == number


def test_after_every_refusal_the_next_innocent_request_goes_through(gw, product):
    """The gateway keeps one pool per service: a refusal must not leave a dead connection in it."""
    hostile = [
        lambda: gw.put("/api/v1/school", json={"name": "\x00"}),
        lambda: gw.get("/api/v1/orders", params={"total_min": "1.6e295"}),
        lambda: gw.post("/api/v1/offers", json=offer_body(product, items=[{"product_id": product,
                                                                             "price": "1" + "0" * 25}])),
        lambda: gw.get("/api/v1/orders/2147483648"),
    ]
    for send in hostile * 3:
        assert 400 <= send().status_code < 500
        assert gw.get("/api/v1/products").status_code == 200
        assert gw.get("/api/v1/orders").status_code == 200
