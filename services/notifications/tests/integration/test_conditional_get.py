"""An order's emails as a conditional GET, on real PostgreSQL: 304 until another email is recorded."""

import uuid

import pytest
from contracts import PaymentLinkIssued
from notifications import service
from notifications.adapters.unit_of_work import SqlUnitOfWork
from notifications.main import MIGRATIONS, create_app
from notifications.settings import Settings
from servicekit.testing import as_account, migrated_database, running
from sqlalchemy import text

from .conftest import record_link_email


@pytest.fixture(scope="module")
async def client_app(infra, mailbox):
    url = await migrated_database(infra, "notifications", MIGRATIONS)
    app = create_app(Settings(database_url=url, kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False,
                              smtp_port=mailbox.port, consumer_group=f"conditional-{uuid.uuid4()}"))
    async with running(app) as client:
        yield client, app


async def sent(app, order_id):
    async with app.state.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT account_id, status FROM deliveries WHERE order_id = :o"),
                                   {"o": order_id})).all()
    return rows if rows and all(r.status == "sent" for r in rows) else None


async def test_an_order_s_emails_answer_304_until_another_is_recorded(client_app, eventually):
    client, app = client_app
    order_id = await record_link_email(app.state.engine, f"{uuid.uuid4().hex[:12]}@example.com")
    # Once sent, the email stays as it is: only what the test does changes the log.
    [(account, _)] = await eventually(lambda: sent(app, order_id))
    mine = as_account(account)
    url = f"/orders/{order_id}/notifications"
    first = await client.get(url, headers=mine)
    assert first.status_code == 200 and len(first.json()["items"]) == 1, first.text
    tag = first.headers["ETag"]
    same = await client.get(url, headers={**mine, "If-None-Match": tag})
    assert (same.status_code, same.content, same.headers["ETag"]) == (304, b"", tag)
    for malformed in ("unquoted", '"open', 'W/'):
        full = await client.get(url, headers={**mine, "If-None-Match": malformed})
        assert full.status_code == 200 and full.json() == first.json()

    [row] = first.json()["items"]
    link = PaymentLinkIssued(
        account_id=account, correlation_id=uuid.uuid4(), order_id=order_id, payment_id=uuid.uuid4(),
        amount="10.00", currency="EUR", provider="sandbox", url="https://pay.example/q",
    )
    async with app.state.engine.begin() as conn:
        await service.on_payment_link_issued(SqlUnitOfWork(conn), link)
    changed = await client.get(url, headers={**mine, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert len(changed.json()["items"]) == 2 and row in changed.json()["items"]
    stranger = await client.get(url, headers={**as_account(uuid.uuid4()), "If-None-Match": tag})
    assert stranger.status_code == 404
