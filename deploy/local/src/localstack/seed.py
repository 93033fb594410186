"""The demo school: a course and an offer with a price, created once through the CRM API."""

from datetime import timedelta
from typing import Any

import httpx

DEMO_SCHOOL = {"name": "Demo Online School", "default_locale": "en"}
DEMO_PRODUCT = {"title": "Python from scratch", "kind": "course"}
DEMO_OFFER_TITLE = "Python from scratch: Standard"


def demo_token(secret: str, account_id: Any, days: int = 30) -> str:
    from gateway.auth import mint

    return mint(secret, account_id=account_id, user_id="demo-owner", role="owner", ttl=timedelta(days=days))


def seed(gateway_url: str, token: str) -> dict[str, Any]:
    """Returns the demo offer; creates the school, course and offer only if they are missing."""
    with httpx.Client(base_url=gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as api:
        api.put("/api/v1/school", json=DEMO_SCHOOL).raise_for_status()
        offers = api.get("/api/v1/offers").raise_for_status().json()["items"]
        existing = [o for o in offers if o["title"] == DEMO_OFFER_TITLE]
        if existing:
            return existing[0]
        product = api.post("/api/v1/products", json=DEMO_PRODUCT).raise_for_status().json()
        return api.post("/api/v1/offers", json={
            "title": DEMO_OFFER_TITLE, "currency": "UAH", "provider": "sandbox",
            "items": [{"product_id": product["id"], "price": "1500.00"}],
        }).raise_for_status().json()
