"""The reads outside any transaction that are one statement (the sandbox's payment page, the
credentials a webhook is verified with): one statement and one round trip each, on real PostgreSQL."""

import uuid
from decimal import Decimal

from contracts import PlannedPayment
from payments import views
from payments.adapters import repository as repo
from servicekit.statements import tallied
from sqlalchemy import text


async def test_the_sandbox_page_and_a_schools_credentials_are_read_in_one_statement_each(
    client_app, place_order, configure,
):
    _, app = client_app
    account_id = uuid.uuid4()
    order = await place_order(account_id, payments=[PlannedPayment(type="regular", amount=Decimal("1500.00"))])
    async with app.state.engine.connect() as conn:
        payment_id = await conn.scalar(text("SELECT id FROM payments WHERE order_id = :o"), {"o": order.order_id})
    await configure(account_id, "stripe")

    with tallied("reads") as tally:
        async with app.state.engine.connect() as conn:
            page = await views.sandbox_payment(conn, payment_id, "sandbox")
            foreign = await views.sandbox_payment(conn, payment_id, "stripe")
            settings = await repo.provider_settings_now(conn, app.state.sealer, account_id, "stripe")
            missing = await repo.provider_settings_now(conn, app.state.sealer, account_id, "wayforpay")
            assert not conn.in_transaction()  # nothing begun, so nothing to roll back either
    assert tally.count == 4
    assert page is not None and (page["status"], page["amount"], page["currency"]) == ("unpaid", "1500.00", "UAH")
    assert foreign is None  # the sandbox's page shows only the sandbox's payments
    assert settings is not None and settings["secret_key"].startswith("sk_") and missing is None
