"""The CRM's commands on payments, through HTTP on real PostgreSQL: add, edit, cancel, mark paid, links."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from contracts import PlannedPayment
from servicekit.testing import as_account

PAID_AT = datetime(2030, 1, 2, 10, 0, tzinfo=UTC)


def team(account_id, role="manager", user="test-user"):
    return as_account(account_id, role=role, user=user)


async def items(client, order):
    response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(order.account_id))
    return response.json()["items"]


async def test_an_unpaid_payment_added_by_hand_gets_a_link_and_its_email(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order()
    due = (datetime.now(UTC) + timedelta(days=10)).replace(microsecond=0)
    response = await client.post(
        f"/orders/{order.order_id}/payments", headers=team(order.account_id),
        json={"type": "surcharge", "amount": "250.5", "due_at": due.isoformat(), "comment": "second part",
              "closes_access": True, "send_email": True},
    )
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["number"], added["type"], added["status"], added["amount"], added["currency"]) == (
        2, "surcharge", "unpaid", "250.50", "UAH",
    )
    assert (added["method"], added["provider"], added["comment"], added["closes_access"]) == (
        "cashless", "sandbox", "second part", True,
    )
    assert datetime.fromisoformat(added["due_at"]) == due
    assert added["link_url"].endswith(f"/sandbox/pay/{added['id']}")
    [issued] = await outbox_events("PaymentLinkIssued", payment_id=added["id"])
    assert (issued["send_email"], issued["amount"], issued["url"], issued["order_id"]) == (
        True, "250.50", added["link_url"], str(order.order_id),
    )
    assert [p["number"] for p in await items(client, order)] == [1, 2]


async def test_a_paid_payment_added_by_hand_is_a_payment_succeeded_and_has_no_link(
    client_app, place_order, outbox_events
):
    client, _ = client_app
    order = await place_order()
    response = await client.post(
        f"/orders/{order.order_id}/payments", headers=team(order.account_id, user="user-olha"),
        json={"amount": "100", "status": "paid", "method": "cash", "paid_at": PAID_AT.isoformat(),
              "comment": "cash at the desk"},
    )
    assert response.status_code == 201, response.text
    added = response.json()
    # Who added it is the user the gateway's proof names.
    assert (added["status"], added["method"], added["link_url"], added["marked_by"]) == (
        "paid", "cash", None, "user-olha")
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=added["id"])
    assert (succeeded["amount"], succeeded["method"], succeeded["marked_by"]) == ("100.00", "cash", "user-olha")
    assert datetime.fromisoformat(succeeded["paid_at"]) == PAID_AT
    assert await outbox_events("PaymentLinkIssued", payment_id=added["id"]) == []


async def test_a_double_click_with_one_idempotency_key_adds_one_payment(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order()
    headers = {**team(order.account_id), "Idempotency-Key": str(uuid.uuid4())}
    body = {"amount": "300.00"}
    first = await client.post(f"/orders/{order.order_id}/payments", json=body, headers=headers)
    again = await client.post(f"/orders/{order.order_id}/payments", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert len(await items(client, order)) == 2
    assert len(await outbox_events("PaymentLinkIssued", payment_id=first.json()["id"])) == 1
    other = await client.post(f"/orders/{order.order_id}/payments", json={"amount": "1.00"}, headers=headers)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    # Any field counts, not only the amount and the type.
    commented = await client.post(f"/orders/{order.order_id}/payments", json={**body, "comment": "x"}, headers=headers)
    assert commented.status_code == 422 and commented.json()["title"] == "Idempotency-Key reused"
    assert len(await items(client, order)) == 2


async def test_bad_payments_are_refused_naming_the_field_and_change_nothing(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    url = f"/orders/{order.order_id}/payments"
    for body, field in (
        ({"amount": "10.001"}, "amount"),
        ({"amount": 10.5}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "10", "method": "barter"}, "method"),
        ({"amount": "10", "due_at": "2030-01-01T10:00:00"}, "due_at"),
        ({"amount": "10", "provider": "no-such"}, "provider"),
        ({"amount": "10", "surprise": 1}, "surprise"),
    ):
        response = await client.post(url, json=body, headers=team(order.account_id))
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"] for e in response.json()["errors"]}, (body, response.json())
    assert len(await items(client, order)) == 1


async def test_an_unknown_or_foreign_order_is_not_found_and_a_viewer_cannot_add(client_app, place_order):
    client, _ = client_app
    order = await place_order()
    body = {"amount": "10"}
    assert (await client.post(f"/orders/{uuid.uuid4()}/payments", json=body,
                              headers=team(order.account_id))).status_code == 404
    assert (await client.post(f"/orders/{order.order_id}/payments", json=body,
                              headers=team(uuid.uuid4()))).status_code == 404
    assert (await client.post(f"/orders/{order.order_id}/payments", json=body,
                              headers=team(order.account_id, "viewer"))).status_code == 403
    assert len(await items(client, order)) == 1


async def test_edit_the_date_amount_comment_and_access_flag_of_an_unpaid_payment(
    client_app, place_order, outbox_events
):
    client, _ = client_app
    order = await place_order()
    [payment] = await items(client, order)
    due = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    response = await client.patch(
        f"/payments/{payment['id']}", headers=team(order.account_id),
        json={"due_at": due.isoformat(), "amount": "1400", "comment": "discount agreed", "closes_access": True},
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["amount"], edited["comment"], edited["closes_access"]) == ("1400.00", "discount agreed", True)
    assert datetime.fromisoformat(edited["due_at"]) == due
    # The link for the old amount was replaced, quietly.
    issued = await outbox_events("PaymentLinkIssued", payment_id=payment["id"])
    assert [(e["amount"], e["send_email"]) for e in issued] == [("1500.00", True), ("1400.00", False)]
    assert (await client.patch(f"/payments/{payment['id']}", json={"amount": None},
                               headers=team(order.account_id))).status_code == 422


async def test_cancel_an_unpaid_payment_once_and_never_a_paid_one(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order(plan=[("prepayment", "500"), ("surcharge", "1000")])
    first, second = await items(client, order)
    for _ in range(2):
        response = await client.patch(f"/payments/{second['id']}", json={"status": "cancelled"},
                                      headers=team(order.account_id))
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
    [cancelled] = await outbox_events("PaymentCancelled", payment_id=second["id"])
    assert (cancelled["amount"], cancelled["order_id"]) == ("1000.00", str(order.order_id))

    paid = await client.post(f"/payments/{first['id']}/mark-paid", json={"comment": "bank"},
                             headers=team(order.account_id))
    assert paid.status_code == 200
    for body, field in (({"status": "cancelled"}, "status"), ({"amount": "1"}, "amount")):
        refused = await client.patch(f"/payments/{first['id']}", json=body, headers=team(order.account_id))
        assert refused.status_code == 409 and refused.json()["errors"][0]["field"] == field
    assert (await client.patch(f"/payments/{first['id']}", json={"status": "paid"},
                               headers=team(order.account_id))).status_code == 422
    assert await outbox_events("PaymentCancelled", payment_id=first["id"]) == []


async def test_mark_paid_by_hand_records_the_comment_and_reference_once(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order()
    [payment] = await items(client, order)
    url = f"/payments/{payment['id']}/mark-paid"
    assert (await client.post(url, json={"comment": "x"}, headers=team(order.account_id, "viewer"))).status_code == 403
    missing = await client.post(url, json={}, headers=team(order.account_id))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "comment"
    response = await client.post(
        url, json={"comment": "paid by bank transfer", "method": "bank_transfer", "external_reference": "PP-7781"},
        headers=team(order.account_id, user="user-maria"),
    )
    assert response.status_code == 200, response.text
    paid = response.json()
    assert (paid["status"], paid["comment"], paid["method"], paid["provider_reference"], paid["marked_by"]) == (
        "paid", "paid by bank transfer", "bank_transfer", "PP-7781", "user-maria",
    )
    assert (paid["parts"], paid["attempt_history"], paid["attempts"]) == ([], [], 0)
    again = await client.post(url, json={"comment": "again"}, headers=team(order.account_id, user="u2"))
    assert again.status_code == 409
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=payment["id"])
    assert (succeeded["method"], succeeded["provider_reference"], succeeded["marked_by"]) == (
        "bank_transfer", "PP-7781", "user-maria")
    [listed] = await items(client, order)
    assert listed["marked_by"] == "user-maria"
    assert (await client.post(f"/payments/{uuid.uuid4()}/mark-paid", json={"comment": "x"},
                              headers=team(order.account_id))).status_code == 404


async def test_send_link_and_remind_emit_their_events(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order(send_payment_link=False)
    [payment] = await items(client, order)
    sent = await client.post(f"/payments/{payment['id']}/send-link", headers=team(order.account_id))
    assert sent.status_code == 202
    issued = await outbox_events("PaymentLinkIssued", payment_id=payment["id"])
    assert [e["send_email"] for e in issued] == [False, True]
    assert issued[1]["url"] == payment["link_url"]
    reminded = await client.post(f"/payments/{payment['id']}/reminders", headers=team(order.account_id))
    assert reminded.status_code == 202
    [reminder] = await outbox_events("ReminderRequested", payment_id=payment["id"])
    assert (reminder["reason"], reminder["url"], reminder["amount"]) == ("manual", payment["link_url"], "1500.00")

    cash = await client.post(f"/orders/{order.order_id}/payments", json={"amount": "5", "method": "cash"},
                             headers=team(order.account_id))
    for action in ("send-link", "reminders"):
        response = await client.post(f"/payments/{cash.json()['id']}/{action}", headers=team(order.account_id))
        assert response.status_code == 409


async def test_a_plan_item_already_paid_is_created_paid_and_announced_once(
    client_app, order_created, outbox_events
):
    client, app = client_app
    from payments import service
    from payments.main import providers_from
    from payments.adapters.unit_of_work import SqlUnitOfWork

    order = order_created(payments=[
        PlannedPayment(type="prepayment", amount=Decimal("200"), method="cash", paid_at=PAID_AT, comment="cash"),
        PlannedPayment(type="surcharge", amount=Decimal("800")),
    ])
    for _ in range(2):
        async with app.state.engine.begin() as conn:
            await service.create_order_payments(SqlUnitOfWork(conn), order, providers_from(app.state.settings))
    first, second = await items(client, order)
    assert (first["status"], first["method"], first["comment"], first["link_url"]) == ("paid", "cash", "cash", None)
    assert datetime.fromisoformat(first["paid_at"]) == PAID_AT
    assert second["status"] == "unpaid" and second["link_url"] is not None
    # The order event names nobody: who took the cash is the orders service's to tell.
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=first["id"])
    assert first["marked_by"] is None and succeeded["marked_by"] is None
    assert len(await outbox_events("PaymentLinkIssued", order_id=order.order_id)) == 1


async def test_provider_settings_never_return_secrets(client_app, configure):
    client, _ = client_app
    account = uuid.uuid4()
    empty = await client.get("/providers/stripe", headers=as_account(account))
    assert empty.json()["configured"] is False
    await configure(account, "stripe")
    shown = (await client.get("/providers/stripe", headers=as_account(account))).json()
    assert shown["configured"] is True
    assert shown["secrets_set"] == ["secret_key", "webhook_secret"]
    assert "sk_test" not in str(shown) and "whsec" not in str(shown)
    assert shown["webhook_url"].endswith(f"/webhooks/stripe/{account}")
    bad = await client.put("/providers/stripe", json={"secret_key": "nope"}, headers=as_account(account))
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"secret_key", "webhook_secret"}
    assert (await client.put("/providers/paypal", json={}, headers=as_account(account))).status_code == 404
    manager = as_account(account, role="manager")
    assert (await client.put("/providers/stripe", json={"secret_key": "sk_test_other", "webhook_secret": "whsec_x"},
                             headers=manager)).status_code == 403
    assert (await client.get("/providers/stripe", headers=as_account(uuid.uuid4()))).json()["configured"] is False


async def test_the_reminder_schedule_has_a_default_and_can_be_set(client_app):
    client, _ = client_app
    account = as_account(uuid.uuid4())
    assert (await client.get("/reminder-schedule", headers=account)).json() == {"offsets_hours": [-72, -24, 24, 72]}
    put = await client.put("/reminder-schedule", json={"offsets_hours": [48, -2, 48]}, headers=account)
    assert put.status_code == 200 and put.json() == {"offsets_hours": [-2, 48]}
    assert (await client.get("/reminder-schedule", headers=account)).json() == {"offsets_hours": [-2, 48]}
    bad = await client.put("/reminder-schedule", json={"offsets_hours": [99999]}, headers=account)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "offsets_hours"


async def test_a_paid_payment_added_by_a_team_member_names_them(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order()
    response = await client.post(
        f"/orders/{order.order_id}/payments", headers=team(order.account_id, user="user-ivan"),
        json={"amount": "100", "status": "paid", "method": "cash", "comment": "cash at the desk"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["marked_by"] == "user-ivan"
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=response.json()["id"])
    assert succeeded["marked_by"] == "user-ivan"
    # An unpaid one was marked by nobody yet.
    unpaid = await client.post(f"/orders/{order.order_id}/payments", json={"amount": "5"},
                               headers=team(order.account_id, user="user-ivan"))
    assert unpaid.status_code == 201 and unpaid.json()["marked_by"] is None


async def test_a_payment_split_across_methods_is_paid_once_with_its_parts(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order(plan=[("regular", "1500.00")])
    [payment] = await items(client, order)
    url = f"/payments/{payment['id']}/mark-paid"
    me = team(order.account_id, user="user-maria")
    refused = [
        ({"comment": "c", "parts": [{"method": "cash", "amount": "500"}, {"method": "bank_transfer", "amount": "900"}]},
         "parts"),
        ({"comment": "c", "parts": [{"method": "cash", "amount": "0"}, {"method": "cash", "amount": "1500"}]},
         "parts.0.amount"),
        ({"comment": "c", "parts": [{"method": "cash", "amount": "1499.995"}, {"method": "cash", "amount": "0.005"}]},
         "parts.0.amount"),
        ({"comment": "c", "parts": [{"method": "card", "amount": "1500"}]}, "parts.0.method"),
        ({"comment": "c", "parts": []}, "parts"),
        ({"comment": "c", "method": "cash", "parts": [{"method": "cash", "amount": "1500"}]}, "method"),
    ]
    for body, field in refused:
        response = await client.post(url, json=body, headers=me)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field], body
    assert (await items(client, order))[0]["status"] == "unpaid"
    assert await outbox_events("PaymentSucceeded", payment_id=payment["id"]) == []

    parts = [{"method": "cash", "amount": "500"}, {"method": "bank_transfer", "amount": "1000.00", "reference": "PP-1"}]
    response = await client.post(url, json={"comment": "half cash, half bank", "parts": parts}, headers=me)
    assert response.status_code == 200, response.text
    paid = response.json()
    assert (paid["status"], paid["method"], paid["marked_by"]) == ("paid", "bank_transfer", "user-maria")
    assert paid["parts"] == [{"method": "cash", "amount": "500.00", "reference": None},
                             {"method": "bank_transfer", "amount": "1000.00", "reference": "PP-1"}]
    assert (await client.post(url, json={"comment": "again", "parts": parts}, headers=me)).status_code == 409
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=payment["id"])
    assert (succeeded["amount"], succeeded["method"], succeeded["marked_by"]) == (
        "1500.00", "bank_transfer", "user-maria")
    [listed] = await items(client, order)
    assert (listed["parts"], listed["method"]) == (paid["parts"], "bank_transfer")


async def test_a_paid_payment_added_in_parts_keeps_them(client_app, place_order, outbox_events):
    client, _ = client_app
    order = await place_order()
    url = f"/orders/{order.order_id}/payments"
    parts = [{"method": "cash", "amount": "60"}, {"method": "other", "amount": "40", "reference": "voucher 12"}]
    unpaid = await client.post(url, json={"amount": "100", "parts": parts}, headers=team(order.account_id))
    assert unpaid.status_code == 422 and unpaid.json()["errors"][0]["field"] == "parts"
    response = await client.post(url, json={"amount": "100", "status": "paid", "parts": parts, "comment": "split"},
                                 headers=team(order.account_id))
    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["method"], [p["amount"] for p in added["parts"]]) == ("cash", ["60.00", "40.00"])
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=added["id"])
    assert succeeded["method"] == "cash"
    assert len(await items(client, order)) == 2
