"""The CRM's payment routes through the gateway, in front of the real payments service (real PostgreSQL)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from contracts import ALL_TOPICS, ContactData, OrderCreated, OrderLine, PlannedPayment
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from localstack.broker import create_topics
from servicekit.testing import fresh_group_after_published, migrated_database, running

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="module")
async def gateway(infra):
    import payments.main
    from payments import service
    from payments.adapters.unit_of_work import SqlUnitOfWork
    from payments.settings import Settings as PaymentsSettings

    await create_topics(infra.kafka_bootstrap, list(ALL_TOPICS))
    group = await fresh_group_after_published(infra.kafka_bootstrap)
    payments_app = payments.main.create_app(PaymentsSettings(
        database_url=await migrated_database(infra, "payments", payments.main.MIGRATIONS),
        kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, consumer_group=group,
        public_base_url="http://pay.school.test"))
    app = create_app(Settings(jwt_secret=SECRET, log_json=False),
                     transports={"payments": httpx.ASGITransport(app=payments_app)})
    async with running(payments_app), running(app) as client:

        async def place(account_id: uuid.UUID) -> OrderCreated:
            order = OrderCreated(
                account_id=account_id, correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=7,
                school_name="School", contact_id=uuid.uuid4(), contact=ContactData(name="Ann", email="ann@example.com"),
                currency="EUR", lines=[OrderLine(line_id=uuid.uuid4(), product_id=uuid.uuid4(), product_title="C",
                                                 price=Decimal("99.00"))],
                discount=Decimal(0), total=Decimal("99.00"),
                payment_plan=[PlannedPayment(amount=Decimal("99.00"))], provider="sandbox",
            )
            async with payments_app.state.engine.begin() as conn:
                await service.create_order_payments(SqlUnitOfWork(conn), order, payments_app.state.providers)
            return order

        client.place = place
        yield client


def bearer(account, role="owner"):
    token = mint(SECRET, account_id=account, user_id="u1", role=role, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


async def test_a_manager_adds_edits_and_settles_payments_through_the_gateway(gateway):
    account = uuid.uuid4()
    order = await gateway.place(account)
    me = bearer(account, "manager")
    listed = await gateway.get(f"/api/v1/orders/{order.order_id}/payments", headers=me)
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1

    due = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    added = await gateway.post(f"/api/v1/orders/{order.order_id}/payments", headers=me,
                               json={"type": "surcharge", "amount": "20.00", "due_at": due, "send_email": True})
    assert added.status_code == 201, added.text
    payment = added.json()
    assert (payment["number"], payment["currency"], payment["status"]) == (2, "EUR", "unpaid")

    edited = await gateway.patch(f"/api/v1/payments/{payment['id']}", json={"comment": "agreed by phone"}, headers=me)
    assert edited.status_code == 200 and edited.json()["comment"] == "agreed by phone"
    assert (await gateway.post(f"/api/v1/payments/{payment['id']}/send-link", headers=me)).status_code == 202
    assert (await gateway.post(f"/api/v1/payments/{payment['id']}/reminders", headers=me)).status_code == 202
    paid = await gateway.post(f"/api/v1/payments/{payment['id']}/mark-paid", json={"comment": "cash"}, headers=me)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    first = listed.json()["items"][0]
    cancelled = await gateway.patch(f"/api/v1/payments/{first['id']}", json={"status": "cancelled"}, headers=me)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    card = await gateway.get(f"/api/v1/payments/{payment['id']}", headers=me)
    assert card.json()["status"] == "paid"


async def test_another_schools_token_finds_nothing(gateway):
    order = await gateway.place(uuid.uuid4())
    mine = (await gateway.get(f"/api/v1/orders/{order.order_id}/payments", headers=bearer(order.account_id))).json()
    payment_id = mine["items"][0]["id"]
    theirs = bearer(uuid.uuid4())
    assert (await gateway.get(f"/api/v1/orders/{order.order_id}/payments", headers=theirs)).status_code == 404
    by_number = await gateway.get(f"/api/v1/orders/{order.order_number}/payments", headers=bearer(order.account_id))
    assert by_number.json() == mine
    for method, path, body in (
        ("GET", f"/api/v1/payments/{payment_id}", None),
        ("PATCH", f"/api/v1/payments/{payment_id}", {"comment": "x"}),
        ("POST", f"/api/v1/payments/{payment_id}/mark-paid", {"comment": "x"}),
        ("POST", f"/api/v1/payments/{payment_id}/send-link", None),
        ("POST", f"/api/v1/payments/{payment_id}/reminders", None),
        ("POST", f"/api/v1/orders/{order.order_id}/payments", {"amount": "1.00"}),
    ):
        response = await gateway.request(method, path, json=body, headers=theirs)
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    still = (await gateway.get(f"/api/v1/payments/{payment_id}", headers=bearer(order.account_id))).json()
    assert (still["status"], still["comment"]) == ("unpaid", None)


async def test_a_viewer_reads_but_cannot_change_payments(gateway):
    order = await gateway.place(uuid.uuid4())
    viewer = bearer(order.account_id, "viewer")
    listed = await gateway.get(f"/api/v1/orders/{order.order_id}/payments", headers=viewer)
    assert listed.status_code == 200
    payment_id = listed.json()["items"][0]["id"]
    for path, body in ((f"/api/v1/payments/{payment_id}/mark-paid", {"comment": "x"}),
                       (f"/api/v1/orders/{order.order_id}/payments", {"amount": "1.00"})):
        assert (await gateway.post(path, json=body, headers=viewer)).status_code == 403
    assert (await gateway.put("/api/v1/reminder-schedule", json={"offsets_hours": [1]},
                              headers=viewer)).status_code == 403


async def test_provider_settings_and_the_reminder_schedule_through_the_gateway(gateway):
    account = uuid.uuid4()
    me = bearer(account)
    put = await gateway.put("/api/v1/providers/wayforpay", headers=me, json={
        "merchant_account": "test_merch_n1", "secret_key": "s3cret", "merchant_domain_name": "school.example"})
    assert put.status_code == 200, put.text
    shown = (await gateway.get("/api/v1/providers/wayforpay", headers=me)).json()
    assert shown["settings"]["merchant_account"] == "test_merch_n1" and "s3cret" not in str(shown)
    other = await gateway.get("/api/v1/providers/wayforpay", headers=bearer(uuid.uuid4()))
    assert other.json()["configured"] is False
    assert (await gateway.put("/api/v1/reminder-schedule", json={"offsets_hours": [-24, 24]},
                              headers=me)).json() == {"offsets_hours": [-24, 24]}
    assert (await gateway.get("/api/v1/reminder-schedule", headers=me)).json() == {"offsets_hours": [-24, 24]}
    order = await gateway.place(account)
    bad = await gateway.post(f"/api/v1/orders/{order.order_id}/payments", json={"amount": "1.001"}, headers=me)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "amount"


async def test_mark_paid_in_parts_names_the_signed_in_team_member(gateway):
    order = await gateway.place(uuid.uuid4())
    # A header the caller makes up is not who they are: the token says so.
    me = {**bearer(order.account_id, "manager"), "X-User-Id": "someone-else"}
    [payment] = (await gateway.get(f"/api/v1/orders/{order.order_id}/payments", headers=me)).json()["items"]
    url = f"/api/v1/payments/{payment['id']}/mark-paid"
    short = await gateway.post(url, headers=me, json={"comment": "split", "parts": [
        {"method": "cash", "amount": "40.00"}, {"method": "bank_transfer", "amount": "50.00"}]})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "parts"
    paid = await gateway.post(url, headers=me, json={"comment": "split", "parts": [
        {"method": "cash", "amount": "40.00"}, {"method": "bank_transfer", "amount": "59.00", "reference": "PP-9"}]})
    assert paid.status_code == 200, paid.text
    body = paid.json()
    assert (body["status"], body["method"], body["marked_by"]) == ("paid", "bank_transfer", "u1")
    assert [(p["method"], p["amount"]) for p in body["parts"]] == [("cash", "40.00"), ("bank_transfer", "59.00")]
    [listed] = (await gateway.get(f"/api/v1/orders/{order.order_id}/payments", headers=me)).json()["items"]
    assert (listed["marked_by"], listed["parts"], listed["attempt_history"]) == ("u1", body["parts"], [])


async def test_a_provider_in_the_path_is_a_name_of_the_one_shape_before_anything_is_forwarded():
    forwarded: list[str] = []

    def payments(request: httpx.Request) -> httpx.Response:
        forwarded.append(request.url.path)
        return httpx.Response(404, json={"title": "Not found", "status": 404})

    app = create_app(Settings(jwt_secret=SECRET, log_json=False),
                     transports={"payments": httpx.MockTransport(payments)})
    me = bearer(uuid.uuid4())
    async with running(app) as client:
        for name in ("Stripe", "pay-pal", "_stripe", "x" * 51):
            refused = await client.get(f"/api/v1/providers/{name}", headers=me)
            assert refused.status_code == 422, (name, refused.text)
            assert [e["field"] for e in refused.json()["errors"]] == ["path.provider"], name
        assert forwarded == []
        # A name of the shape is the service's to know.
        assert (await client.get("/api/v1/providers/paypal", headers=me)).status_code == 404
        assert forwarded == ["/providers/paypal"]
