"""Stripe's webhook signatures as its SDK makes them, the tolerance either way, amounts in minor units."""

import time
from decimal import Decimal

import pytest
import stripe
from payments.adapters.stripe_checkout import parse_webhook, to_minor
from payments.domain.reports import BadNotification

SECRET = "whsec_test_secret"


def test_the_reference_signature_vector():
    payload = '{"id":"evt_test","object":"event","type":"checkout.session.completed"}'
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=1700000000)
    assert header == "t=1700000000,v1=9b19c30bb5f6198a9128346b4849a56c6c32857a47889eed5b47c5f30823e7dc"
    assert stripe.WebhookSignature.verify_header(payload, header, SECRET, tolerance=None)
    # The same header is years old: the SDK's default tolerance refuses it.
    with pytest.raises(BadNotification, match="tolerance"):
        parse_webhook(payload.encode(), header, SECRET, tolerance=300)


def test_a_signature_dated_beyond_the_tolerance_ahead_is_refused_and_one_within_it_is_taken():
    payload = '{"id":"evt_test","object":"event","type":"customer.created","data":{"object":{}}}'
    now = time.time()
    ahead = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=int(now) + 3600)
    with pytest.raises(BadNotification, match="future"):
        parse_webhook(payload.encode(), ahead, SECRET, tolerance=300, now=now)
    near = stripe.WebhookSignature.generate_signature_header(payload, SECRET, timestamp=int(now) + 60)
    assert parse_webhook(payload.encode(), near, SECRET, tolerance=300, now=now).kind == "ignored"


@pytest.mark.parametrize("amount, currency, minor", [
    ("1547.36", "UAH", 154736), ("15000", "JPY", 15000), ("1.234", "KWD", 1234), ("100", "ISK", 10000),
    ("99.00", "EUR", 9900),
])
def test_amounts_go_to_stripe_in_its_minor_units(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor
