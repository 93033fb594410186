"""WayForPay: invoices against a local stand-in, signed callbacks end to end, refunds, reconcile."""

import json
import time
import uuid

import pytest
from payments.adapters import wayforpay
from payments.reconcile import reconcile
from servicekit.testing import as_account
from sqlalchemy import text

SECRET = "flk3409refn54t54t*FNJRET"


@pytest.fixture
def wfp_order(client_app, place_order, configure, wait_for):
    client, _ = client_app

    async def make(**kwargs):
        account = uuid.uuid4()
        await configure(account, "wayforpay")
        order = await place_order(account, provider="wayforpay", **kwargs)

        async def linked():
            response = await client.get(f"/orders/{order.order_id}/payments", headers=as_account(account))
            items = response.json()["items"]
            return items[0] if items[0]["link_url"] else None

        return order, await wait_for(linked)

    return make


class Callbacks:
    """Signed callbacks as WayForPay sends them: a JSON body whatever the content type says."""

    def __init__(self, build, raw):
        self._build, self._raw = build, raw

    def signed(self, reference, amount="1500", status="Approved", **extra):
        return self._build(reference, amount, status, **extra)

    async def post(self, client, account_id, body):
        return await client.post(f"/webhooks/wayforpay/{account_id}", content=self._raw(body),
                                 headers={"Content-Type": "text/plain"})


@pytest.fixture
def wfp(wfp_callbacks):
    return Callbacks(*wfp_callbacks)


async def card(client, order, payment_id):
    return (await client.get(f"/payments/{payment_id}", headers=as_account(order.account_id))).json()


def accepted(response, reference):
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["orderReference"], answer["status"]) == (reference, "accept")
    assert answer["signature"] == wayforpay.sign(SECRET, [reference, "accept", str(answer["time"])])
    assert abs(answer["time"] - time.time()) < 60


async def test_an_invoice_is_created_signed_and_its_callback_pays_once(
    wfp, client_app, wfp_order, standin, outbox_events
):
    client, _ = client_app
    order, payment = await wfp_order()
    reference = f"{payment['id']}_1"
    [call] = [c for c in standin.wfp_calls if c.get("orderReference") == reference]
    assert (call["transactionType"], call["merchantAccount"], call["merchantDomainName"]) == (
        "CREATE_INVOICE", "test_merch_n1", "www.market.ua")
    assert (call["amount"], call["currency"], call["productPrice"], call["productCount"]) == (
        "1500", "UAH", ["1500"], [1])
    assert call["serviceUrl"] == f"http://pay.school.test/webhooks/wayforpay/{order.account_id}"
    assert (call["language"], call["orderTimeout"], call["clientEmail"]) == ("UA", 604800, "olena@example.com")
    assert payment["link_url"] == f"https://secure.wayforpay.test/invoice/{reference}"
    assert payment["provider_reference"] == reference
    [issued] = await outbox_events("PaymentLinkIssued", payment_id=payment["id"])
    assert (issued["url"], issued["provider"]) == (payment["link_url"], "wayforpay")

    body = wfp.signed(reference)
    for _ in range(2):  # WayForPay repeats a callback until it is accepted; the repeat changes nothing
        accepted(await wfp.post(client, order.account_id, body), reference)
    paid = await card(client, order, payment["id"])
    assert (paid["status"], paid["attempts"]) == ("paid", 1)
    [succeeded] = await outbox_events("PaymentSucceeded", payment_id=payment["id"])
    assert (succeeded["amount"], succeeded["provider"], succeeded["provider_reference"]) == (
        "1500.00", "wayforpay", reference)


async def test_declines_count_each_try_once_then_approval_pays(wfp, client_app, wfp_order, outbox_events):
    client, _ = client_app
    order, payment = await wfp_order()
    reference = f"{payment['id']}_1"
    now = int(time.time())
    first = wfp.signed(reference, status="Declined", reason_code=1101, processingDate=now - 120)
    # The same signed callback sent again with other unsigned dates is the same try.
    replayed = {**first, "processingDate": now - 60, "createdDate": now - 60}
    second = wfp.signed(reference, status="Declined", reason_code=1102, processingDate=now - 30)  # another try
    for body in (first, first, replayed, second, {**second, "processingDate": now}):
        accepted(await wfp.post(client, order.account_id, body), reference)
    declined = await card(client, order, payment["id"])
    assert (declined["status"], declined["attempts"], declined["last_failure"]) == ("unpaid", 2, "Declined")
    assert [e["attempt"] for e in await outbox_events("PaymentFailed", payment_id=payment["id"])] == [1, 2]
    accepted(await wfp.post(client, order.account_id, wfp.signed(reference)), reference)
    assert (await card(client, order, payment["id"]))["status"] == "paid"


async def test_bad_callbacks_are_refused_and_change_nothing(wfp, client_app, wfp_order, outbox_events):
    client, app = client_app
    order, payment = await wfp_order()
    reference = f"{payment['id']}_1"
    forged = {**wfp.signed(reference), "merchantSignature": "f" * 32}
    tampered = {**wfp.signed(reference), "amount": "1"}  # signed for 1500, claims 1
    other_merchant = wfp.signed(reference)
    other_merchant["merchantAccount"] = "someone_else"
    cases = [
        (forged, 400), (tampered, 400), (other_merchant, 400),
        (wfp.signed(reference, amount="1499.99"), 422),
        (wfp.signed(reference, currency="XYZ"), 422),
        (wfp.signed(f"{uuid.uuid4()}_1"), 404),
        (wfp.signed("DH783023"), 404),
        # Signed, but 30 days old, or dated ahead of any clock, or undated: refused.
        (wfp.signed(reference, processingDate=int(time.time()) - 30 * 86_400), 400),
        (wfp.signed(reference, processingDate=int(time.time()) + 3600), 400),
        ({k: v for k, v in wfp.signed(reference).items() if k != "processingDate"}, 400),
    ]
    for body, status in cases:
        response = await wfp.post(client, order.account_id, body)
        assert response.status_code == status, (body, response.text)
    for raw in (b"{oops", b"[]", json.dumps({"orderReference": reference}).encode()):
        response = await client.post(f"/webhooks/wayforpay/{order.account_id}", content=raw)
        assert response.status_code == 400
    assert (await wfp.post(client, uuid.uuid4(), wfp.signed(reference))).status_code == 404
    assert (await card(client, order, payment["id"]))["status"] == "unpaid"
    assert await outbox_events("PaymentSucceeded", payment_id=payment["id"]) == []
    async with app.state.engine.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM provider_events WHERE payment_id = :p"),
                                 {"p": payment["id"]}) == 0


async def test_a_refund_after_payment_is_payment_refunded(wfp, client_app, wfp_order, outbox_events):
    client, _ = client_app
    order, payment = await wfp_order()
    reference = f"{payment['id']}_1"
    accepted(await wfp.post(client, order.account_id, wfp.signed(reference)), reference)
    for _ in range(2):
        accepted(await wfp.post(client, order.account_id, wfp.signed(reference, status="Refunded", reason_code=1100)),
                 reference)
    [refund] = await outbox_events("PaymentRefunded", payment_id=payment["id"])
    assert refund["amount"] == "1500.00"
    assert (await card(client, order, payment["id"]))["status"] == "refunded"


async def test_reconcile_asks_check_status_and_pays(wfp, client_app, wfp_order, standin, outbox_events):
    client, app = client_app
    order, payment = await wfp_order()
    reference = f"{payment['id']}_1"
    standin.wfp_status[reference] = wfp.signed(reference)
    counts = await reconcile(app.state.engine, app.state.providers, app.state.sealer)
    assert counts["changed"] >= 1
    assert (await card(client, order, payment["id"]))["status"] == "paid"
    # The callback of the same transaction arrives afterwards: it is the same provider event.
    accepted(await wfp.post(client, order.account_id, wfp.signed(reference)), reference)
    assert len(await outbox_events("PaymentSucceeded", payment_id=payment["id"])) == 1
    assert any(c["transactionType"] == "CHECK_STATUS" and c["merchantSignature"] == wayforpay.sign(
        SECRET, ["test_merch_n1", reference]) for c in standin.wfp_calls)


async def test_an_expired_invoice_is_forgotten_and_reissued_when_needed(
    wfp, client_app, wfp_order, standin, outbox_events, wait_for
):
    client, _ = client_app
    order, payment = await wfp_order()
    reference = f"{payment['id']}_1"
    accepted(await wfp.post(client, order.account_id, wfp.signed(reference, status="Expired", reason_code=1100)),
             reference)
    assert (await card(client, order, payment["id"]))["link_url"] is None
    await client.post(f"/payments/{payment['id']}/send-link", headers=as_account(order.account_id))

    async def reissued():
        return (await card(client, order, payment["id"]))["link_url"]

    assert await wait_for(reissued) == f"https://secure.wayforpay.test/invoice/{payment['id']}_2"
