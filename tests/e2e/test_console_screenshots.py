"""The README's pictures of the console, taken by the browser so they show the console as it is:
the orders list, the board and the order card, at a desktop's width (1280×800) and a phone's
(390×844), on a school of their own with a few named orders, one of them paid and one moved on
the board. At the phone's width no screen is wider than the phone (nothing to scroll sideways
but a table inside its own block), and every picture is a small PNG of the viewport's size.
"""

import os
import struct
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway.auth import mint
from gateway.settings import DEV_SECRET
from localstack.browser import sign_in_with

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
MAX_BYTES = 300_000
CONTACTS = [("Olena Kovalenko", "olena.kovalenko"), ("Marek Nowak", "marek.nowak"),
            ("Sofia Martins", "sofia.martins"), ("James Whitfield", "james.whitfield")]


@pytest.fixture(scope="module")
def school(stack, eventually) -> dict[str, Any]:
    """A school of its own: one course, four orders of named contacts, the second paid in cash,
    the third moved to the pipeline's second stage."""
    account = str(uuid.uuid4())
    # The school's owner, signed in under a name as a real one would be.
    token = mint(os.environ.get("GATEWAY_JWT_SECRET", DEV_SECRET), account_id=account, user_id="anna", role="owner")
    api = httpx.Client(base_url=f"{stack['gateway']}/api/v1", timeout=10, headers={"Authorization": f"Bearer {token}"})
    run = time.time_ns()
    course = api.post("/products", headers={"Idempotency-Key": f"shots-course-{run}"}, json={
        "title": "Python for beginners", "kind": "course", "modules": [
            {"title": "Basics", "lessons": [{"title": "First steps"}, {"title": "Variables"}]},
            {"title": "Practice", "lessons": [{"title": "A small game"}]}]})
    assert course.status_code == 201, course.text
    attempts = iter(range(1_000))

    def ordered(i: int, name: str, mailbox: str) -> dict[str, Any] | None:
        """the order is made (orders learns of the new course through its event)"""
        made = api.post("/orders", headers={"Idempotency-Key": f"shots-order-{run}-{next(attempts)}"}, json={
            "contact": {"name": name, "email": f"{mailbox}@example.com", "phone": f"+38050123450{i}"},
            "currency": "UAH", "comment": "wants the evening group" if i == 0 else None,
            "lines": [{"product_id": course.json()["id"], "price": ["4800.00", "4800.00", "9600.00", "4800.00"][i]}]})
        assert made.status_code in (201, 422), made.text
        return made.json() if made.status_code == 201 else None

    orders = [eventually(lambda i=i, n=n, m=m: ordered(i, n, m)) for i, (n, m) in enumerate(CONTACTS)]

    paid = orders[1]

    def unpaid_payment() -> dict[str, Any] | None:
        """payments holds the second order's payment"""
        got = api.get(f"/orders/{paid['number']}/payments")
        items = got.json().get("items", []) if got.status_code == 200 else []
        return next((p for p in items if p["status"] == "unpaid"), None)

    payment = eventually(unpaid_payment)
    marked = api.post(f"/payments/{payment['id']}/mark-paid", json={"comment": "paid in cash at the front desk",
                                                                   "method": "cash"})
    assert marked.status_code == 200, marked.text

    def shown_paid() -> bool:
        """the order's figures follow the payment"""
        return api.get(f"/orders/{paid['number']}").json()["payment_status"] == "paid"

    eventually(shown_paid)
    moved = orders[2]
    stages = api.get("/pipelines").json()["items"][0]["stages"]
    changed = api.patch(f"/orders/{moved['number']}", headers={"If-Match": f'"{moved["version"]}"'},
                        json={"stage_id": stages[1]["id"]})
    assert changed.status_code == 200, changed.text
    return {"token": token, "paid": paid}


# The elements past the viewport's right edge whose parent is not: where to look for what widens
# the page (a table a block scrolls is listed too, as is an absolute element that escapes it).
OVERFLOWING = """(width) => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > width && e.parentElement.getBoundingClientRect().right <= width)
  .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}${e.className ? "." + e.className : ""}`
    + ` (${Math.round(e.getBoundingClientRect().right)}px)`)"""


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", data[16:24])


def shoot(page: Any, name: str, address: str, ready: str) -> None:
    """The screen at `address` at each width, written to docs/screenshots/<name>-<width>.png."""
    from playwright.sync_api import expect

    for width_name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/console/{address}")
        expect(page.locator(ready).first).to_be_visible()
        page.wait_for_timeout(300)  # the screen's other requests answer meanwhile
        page.evaluate("() => document.activeElement instanceof HTMLElement && document.activeElement.blur()")
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= width, f"{name} at {width}px is {wide}px wide, past it: {page.evaluate(OVERFLOWING, width)}"
        path = SCREENSHOTS / f"{name}-{width_name}.png"
        page.screenshot(path=str(path))
        assert png_size(path) == (width, height)
        assert path.stat().st_size <= MAX_BYTES, f"{path.name} is {path.stat().st_size} bytes"


def test_the_readme_pictures_of_the_orders_the_board_and_a_card_are_taken(page, school):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sign_in_with(page, school["token"])
    expect(page.locator("#role")).to_have_text("owner")
    shoot(page, "orders", "#/orders", f"#orders-rows tr >> nth={len(CONTACTS) - 1}")
    shoot(page, "board", "#/orders?view=board", f".board-card >> nth={len(CONTACTS) - 1}")
    shoot(page, "order-card", f"#/orders/{school['paid']['number']}", "#payments tr[data-status='paid']")
