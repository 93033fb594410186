"""Conditional GETs of orders on real PostgreSQL: the card (its version), the list page and the history (their hash)."""

import pytest
from orders.main import MIGRATIONS, create_app
from orders.settings import Settings
from servicekit.testing import as_account, service_under_test

from .test_crm import manual


@pytest.fixture(scope="module")
async def crm(infra):
    async with service_under_test(infra, name="orders", migrations=MIGRATIONS, create_app=create_app,
                                  settings_type=Settings, clock_interval_seconds=0) as running_service:
        yield running_service


async def _changes_etag(client, url, headers, change):
    first = await client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    tag = first.headers["ETag"]
    same = await client.get(url, headers={**headers, "If-None-Match": tag})
    assert (same.status_code, same.content, same.headers["ETag"]) == (304, b"", tag)
    for malformed in ("no quotes", '"open', "W/"):
        full = await client.get(url, headers={**headers, "If-None-Match": malformed})
        assert full.status_code == 200 and full.json() == first.json()
    await change()
    changed = await client.get(url, headers={**headers, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert changed.json() != first.json()
    return first, changed


async def test_card_history_and_list_answer_304_until_the_order_changes(crm, new_school):
    client, app = crm
    account = await new_school(app)
    mine = as_account(account, user="manager-1")
    made = await client.post("/orders", json=manual(), headers=mine)
    assert made.status_code == 201, made.text
    order = made.json()
    version = order["version"]

    async def edit():
        nonlocal version
        edited = await client.patch(f"/orders/{order['id']}", json={"comment": f"after {version}"},
                                    headers={**mine, "If-Match": f'"{version}"'})
        assert edited.status_code == 200, edited.text
        version = edited.json()["version"]

    # The card's ETag stays its version, the one If-Match takes.
    first, changed = await _changes_etag(client, f"/orders/{order['number']}", mine, edit)
    assert first.headers["ETag"] == f'"{first.json()["version"]}"'
    assert changed.headers["ETag"] == f'"{changed.json()["version"]}"'
    await _changes_etag(client, f"/orders/{order['id']}/history", mine, edit)

    async def another_order():
        assert (await client.post("/orders", json=manual(), headers=mine)).status_code == 201
    listed, grown = await _changes_etag(client, "/orders?sort=-created_at&limit=10", mine, another_order)
    assert len(grown.json()["items"]) == len(listed.json()["items"]) + 1
    # Another page (other filters) is another answer: its own ETag.
    other = await client.get("/orders?limit=1", headers={**mine, "If-None-Match": grown.headers["ETag"]})
    assert other.status_code == 200 and other.headers["ETag"] != grown.headers["ETag"]
    # Another school's If-None-Match learns nothing of this order.
    stranger = await client.get(f"/orders/{order['id']}", headers={**as_account(await new_school(app)),
                                                                    "If-None-Match": f'"{version}"'})
    assert stranger.status_code == 404
