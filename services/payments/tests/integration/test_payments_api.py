"""The CRM's reads of payments, scoped to one account."""

import uuid

from servicekit.testing import as_account


async def test_an_orders_payments_are_listed_in_order(client_app, place_order):
    client, app = client_app
    order = await place_order(plan=[("prepayment", "500"), ("surcharge", "1000.5")])
    response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(p["number"], p["type"], p["amount"], p["currency"], p["status"]) for p in items] == [
        (1, "prepayment", "500.00", "UAH", "unpaid"),
        (2, "surcharge", "1000.50", "UAH", "unpaid"),
    ]
    first, second = items
    assert first["link_url"] == f"{app.state.settings.public_base_url}/sandbox/pay/{first['id']}"
    assert second["link_url"] is None
    assert (first["closes_access"], second["closes_access"]) == (False, True)
    assert first["due_at"] is None and second["due_at"].startswith("2030-02-14T12:00:00")
    assert first["order_id"] == str(order.order_id) and first["checkout_id"] == str(order.checkout_id)
    assert "account_id" not in first

    card = await client.get(f"/payments/{first['id']}", headers=as_account(order.account_id))
    assert card.status_code == 200
    assert card.json() == first


async def test_another_account_sees_nothing(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    other = as_account(uuid.uuid4())
    listed = await client.get(f"/orders/{order.order_id}/payments", headers=other)
    assert listed.status_code == 404  # another school's order is not theirs to know of
    mine = (await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))).json()
    card = await client.get(f"/payments/{mine['items'][0]['id']}", headers=other)
    assert card.status_code == 404
    assert card.headers["content-type"].startswith("application/problem+json")


async def test_an_unknown_payment_is_not_found(client_app):
    client, _ = client_app
    response = await client.get(f"/payments/{uuid.uuid4()}", headers=as_account(uuid.uuid4()))
    assert response.status_code == 404


async def test_the_gateways_proof_is_required_and_a_bare_account_header_means_nothing(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    response = await client.get(f"/orders/{order.order_id}/payments")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    forged = await client.get(f"/orders/{order.order_id}/payments", headers={"X-Account-Id": str(order.account_id)})
    assert forged.status_code == 401
