"""The sandbox's hosted payment pages: what a provider's checkout would show, in plain HTML."""

from html import escape
from typing import Any

_STYLE = """
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1f2328}
main{max-width:420px;margin:10vh auto;padding:32px;background:#fff;border-radius:12px;
box-shadow:0 1px 3px rgba(0,0,0,.08),0 8px 24px rgba(0,0,0,.06)}
.badge{display:inline-block;padding:2px 8px;border-radius:999px;background:#fff4d6;color:#7a5b00;
font-size:12px;letter-spacing:.04em;text-transform:uppercase}
h1{font-size:20px;margin:16px 0 4px}
.amount{font-size:36px;font-weight:600;margin:8px 0 24px}
.note{color:#57606a;font-size:14px}
form{display:inline}
button{font:inherit;padding:10px 18px;border-radius:8px;border:1px solid transparent;cursor:pointer;margin:0 8px 8px 0}
.pay{background:#1f883d;color:#fff}
.decline{background:#fff;color:#cf222e;border-color:#cf222e}
a{color:#0969da}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><span class="badge">Sandbox</span>{body}</main></body></html>\n'
    )


def _amount(payment: dict[str, Any]) -> str:
    return f'<p class="amount">{escape(payment["amount"])} {escape(payment["currency"])}</p>'


def payment_page(payment: dict[str, Any], *, event_id: str) -> str:
    """The checkout: the amount, and the two outcomes a tester can choose."""
    if payment["status"] != "unpaid":
        return result_page(payment, payment["status"])
    # Relative links, so the page works under whatever prefix a proxy serves it.
    pay_id = escape(str(payment["id"]))
    event = escape(event_id)
    failure = (
        f'<p class="note">The last try was declined: {escape(payment["last_failure"])}</p>'
        if payment["last_failure"] else ""
    )
    body = (
        "<h1>Pay for your order</h1>"
        f"{_amount(payment)}{failure}"
        f'<form method="post" action="{pay_id}/succeed">'
        f'<input type="hidden" name="event_id" value="{event}">'
        f'<input type="hidden" name="amount" value="{escape(payment["amount"])}">'
        f'<input type="hidden" name="currency" value="{escape(payment["currency"])}">'
        '<button class="pay" type="submit">Pay successfully</button></form>'
        f'<form method="post" action="{pay_id}/decline">'
        f'<input type="hidden" name="event_id" value="{event}-declined">'
        '<button class="decline" type="submit">Decline</button></form>'
        '<p class="note">A test payment page: no money moves. Choose how the payment ends.</p>'
    )
    return _page("Sandbox payment", body)


_RESULTS = {
    "paid": ("Payment received", "Thank you. This payment is paid; you can close this page."),
    "declined": ("Payment declined", "The payment did not go through. Nothing was charged."),
    "cancelled": ("Payment cancelled", "This payment was cancelled and cannot be paid."),
    "refunded": ("Payment refunded", "This payment was refunded and cannot be paid again."),
    "failed": ("Payment failed", "This payment can no longer be paid here."),
}


def result_page(payment: dict[str, Any], result: str) -> str:
    title, message = _RESULTS.get(result, _RESULTS["failed"])
    retry = (
        f'<p><a href="../{escape(str(payment["id"]))}">Try again</a></p>'
        if result == "declined" and payment["status"] == "unpaid" else ""
    )
    body = f"<h1>{escape(title)}</h1>{_amount(payment)}<p class=\"note\">{escape(message)}</p>{retry}"
    return _page(title, body)


def thanks_page() -> str:
    body = ("<h1>Thank you</h1><p class=\"note\">You can close this page. "
            "A confirmation arrives by email once the payment is through.</p>")
    return _page("Thank you", body).replace('<span class="badge">Sandbox</span>', "")
