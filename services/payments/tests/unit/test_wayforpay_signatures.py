"""WayForPay's reference vectors: request and callback signatures, amounts as it signs them."""

from decimal import Decimal

import pytest
from payments.adapters import wayforpay
from payments.domain.reports import BadNotification

SECRET = "flk3409refn54t54t*FNJRET"


def test_the_reference_vectors():
    request = ("test_merch_n1;www.market.ua;DH783023;1415379863;1547.36;UAH;Процессор Intel Core i5-4670 3.4GHz;"
               "Память Kingston DDR3-1600 4096MB PC3-12800;1;1;1000;547.36")
    assert wayforpay.sign(SECRET, request.split(";")) == "c9bc2d1b724bf410e36f6d6adc0d3c45"
    callback = "test_merch_n1;DH783023;1547.36;UAH;541963;41****8217;Approved;1100"
    assert wayforpay.sign(SECRET, callback.split(";")) == "ee460de4b316672fa974295ed4dba738"
    assert wayforpay.accept_response(SECRET, "DH783023", now=1415379863) == {
        "orderReference": "DH783023", "status": "accept", "time": 1415379863,
        "signature": "bd8d3443f99fb2c7a8b610ac600c80b0",
    }
    assert wayforpay.sign("Jefe", ["what do ya want for nothing?"]) == "750c783e6ab0b503eaa86e310a5db738"


@pytest.mark.parametrize("amount, text_", [("1547.36", "1547.36"), ("1.0", "1"), ("100.00", "100"), ("1.50", "1.5"),
                                           ("0.00", "0"), ("1000", "1000")])
def test_amounts_are_written_as_wayforpay_signs_them(amount, text_):
    assert wayforpay.amount_text(Decimal(amount)) == text_


def vector_callback(signature: str = "ee460de4b316672fa974295ed4dba738") -> bytes:
    return (b'{"merchantAccount":"test_merch_n1","orderReference":"DH783023","amount":1547.36,"currency":"UAH",'
            b'"authCode":"541963","cardPan":"41****8217","transactionStatus":"Approved","reasonCode":1100,'
            b'"merchantSignature":"' + signature.encode() + b'"}')


def test_the_callback_vector_verifies_and_a_forgery_does_not():
    settings = {"merchant_account": "test_merch_n1", "secret_key": SECRET, "merchant_domain_name": "www.market.ua"}
    # The signature holds; the reference is simply not one of our payments.
    with pytest.raises(BadNotification) as caught:
        wayforpay.parse_callback(vector_callback(), settings, max_age=259_200)
    assert caught.value.status == 404
    with pytest.raises(BadNotification) as forged:
        wayforpay.parse_callback(vector_callback("0" * 32), settings, max_age=259_200)
    assert forged.value.status == 400
