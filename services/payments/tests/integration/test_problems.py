"""What each refusal of the payments rules answers the CRM, word for word: the service's one table of problems."""

import uuid

from servicekit.testing import as_account

PROBLEM_JSON = "application/problem+json"


def problem(response, status, title):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["title"] == title and body["status"] == status
    return body


async def payments_of(client, order):
    response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))
    return response.json()["items"]


async def test_an_unknown_order_or_payment_is_not_found(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    me, missing = as_account(order.account_id), uuid.uuid4()
    body = problem(await client.post(f"/orders/{missing}/payments", json={"amount": "10"}, headers=me),
                   404, "Not found")
    assert body["detail"] == f"no order {missing}" and "errors" not in body
    for ref in (missing, 2_147_483_647):
        body = problem(await client.get(f"/orders/{ref}/payments", headers=me), 404, "Not found")
        assert body["detail"] == f"no order {ref}"
    # Another school's order is not found either, by its id or by its number.
    stranger = as_account(uuid.uuid4())
    for ref in (order.order_id, order.order_number):
        problem(await client.get(f"/orders/{ref}/payments", headers=stranger), 404, "Not found")
    body = problem(await client.post(f"/payments/{missing}/mark-paid", json={"comment": "x"}, headers=me),
                   404, "Not found")
    assert body["detail"] == f"no payment {missing}"


async def test_an_order_is_found_by_its_id_or_its_number(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    me = as_account(order.account_id)
    by_id = await client.get(f"/orders/{order.order_id}/payments", headers=me)
    by_number = await client.get(f"/orders/{order.order_number}/payments", headers=me)
    assert by_id.status_code == by_number.status_code == 200
    assert by_id.json() == by_number.json() and by_id.json()["items"]
    added = await client.post(f"/orders/{order.order_number}/payments", json={"amount": "10"}, headers=me)
    assert added.status_code == 201 and added.json()["order_id"] == str(order.order_id)
    for ref in ("0", "-1", "2147483648", "x1", "1.5"):
        refused = problem(await client.get(f"/orders/{ref}/payments", headers=me), 422, "Invalid request")
        assert [e["field"] for e in refused["errors"]] == ["path.order"], ref


async def test_an_unknown_provider_is_an_invalid_payment_naming_the_provider(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    refused = await client.post(f"/orders/{order.order_id}/payments", json={"amount": "10", "provider": "no_such"},
                                headers=as_account(order.account_id))
    body = problem(refused, 422, "Invalid payment")
    assert body["errors"] == [{"field": "provider", "message": body["detail"]}]


async def test_a_paid_payment_cannot_change_or_be_paid_again(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    me = as_account(order.account_id)
    [payment] = await payments_of(client, order)
    assert (await client.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "bank"},
                              headers=me)).status_code == 200
    body = problem(await client.patch(f"/payments/{payment['id']}", json={"status": "cancelled"}, headers=me),
                   409, "Payment cannot change")
    assert body["errors"] == [{"field": "status", "message": body["detail"]}]
    body = problem(await client.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "again"}, headers=me),
                   409, "Payment cannot do that")
    assert body["detail"] == f"payment {payment['id']} is already paid" and "errors" not in body


async def test_a_schedule_that_cannot_be_is_an_invalid_request_naming_the_offsets(client_app):
    client, _ = client_app
    refused = await client.put("/reminder-schedule", json={"offsets_hours": [99999]},
                               headers=as_account(uuid.uuid4()))
    body = problem(refused, 422, "Invalid request")
    assert body["detail"] == "99999 hours is more than a year from the planned date"
    assert body["errors"] == [{"field": "offsets_hours", "message": body["detail"]}]
