"""An order's payments as a conditional GET, on real PostgreSQL: 304 until a payment changes."""

from servicekit.testing import as_account


async def test_an_order_s_payments_answer_304_until_one_is_marked_paid(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    url = f"/orders/{order.order_id}/payments"
    mine = as_account(order.account_id)
    first = await client.get(url, headers=mine)
    assert first.status_code == 200, first.text
    tag = first.headers["ETag"]
    [payment] = first.json()["items"]
    assert payment["status"] == "unpaid"

    same = await client.get(url, headers={**mine, "If-None-Match": tag})
    assert (same.status_code, same.content, same.headers["ETag"]) == (304, b"", tag)
    by_number = await client.get(f"/orders/{order.order_number}/payments", headers={**mine, "If-None-Match": tag})
    assert by_number.status_code == 304
    for malformed in ("unquoted", '"open', ","):
        full = await client.get(url, headers={**mine, "If-None-Match": malformed})
        assert full.status_code == 200 and full.json() == first.json()

    paid = await client.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "bank"},
                             headers=as_account(order.account_id, user="user-olha"))
    assert paid.status_code == 200, paid.text
    changed = await client.get(url, headers={**mine, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.json()["items"][0]["status"] == "paid"
    # Not this school's order: a 404 whatever the ETag.
    stranger = await client.get(url, headers={**as_account(order.order_id), "If-None-Match": tag})
    assert stranger.status_code == 404
