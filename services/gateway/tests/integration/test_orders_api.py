"""The CRM's orders API through the gateway, with the real orders service behind it (real PostgreSQL)."""

import uuid
from datetime import timedelta

import httpx
import pytest
from contracts import ALL_TOPICS, ProductUpdated
from gateway.auth import mint
from gateway.main import create_app
from gateway.settings import Settings
from localstack.broker import create_topics
from localstack.ports import free_port
from servicekit.testing import fresh_group_after_published, migrated_database, running

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


@pytest.fixture(scope="module")
async def api(infra):
    import orders.main
    from orders.settings import Settings as OrdersSettings

    await create_topics(infra.kafka_bootstrap, list(ALL_TOPICS))
    group = await fresh_group_after_published(infra.kafka_bootstrap)
    orders_app = orders.main.create_app(OrdersSettings(
        database_url=await migrated_database(infra, "orders", orders.main.MIGRATIONS),
        kafka_bootstrap_servers=infra.kafka_bootstrap, log_json=False, consumer_group=group,
        clock_interval_seconds=0))
    dead = f"http://127.0.0.1:{free_port()}"
    app = create_app(Settings(jwt_secret=SECRET, payments_url=dead, offers_url=dead, log_json=False),
                     transports={"orders": httpx.ASGITransport(app=orders_app)})
    async with running(orders_app), running(app) as client:

        async def new_school() -> uuid.UUID:
            """A school whose products (COURSE, EXTRA) orders has heard of from offers."""
            account = uuid.uuid4()
            async with orders_app.state.engine.begin() as conn:
                for product_id, title in ((COURSE, "Course"), (EXTRA, "Extra")):
                    await orders.main.on_product_updated(conn, ProductUpdated(
                        account_id=account, correlation_id=uuid.uuid4(), product_id=product_id, title=title,
                        kind="course"))
            return account

        client.new_school = new_school
        yield client


COURSE, EXTRA = uuid.UUID(int=1), uuid.UUID(int=2)


def bearer(account, role="owner", user="u1"):
    token = mint(SECRET, account_id=account, user_id=user, role=role, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def new_order(**extra):
    body = {"contact": {"name": "Iryna", "email": "iryna@example.com", "phone": "+380501234567"},
            "currency": "EUR",
            "lines": [{"product_id": str(COURSE), "product_title": "Course", "price": "100.00"}],
            "discount": "10.00", "tags": ["spring"]}
    body.update(extra)
    return body


async def test_every_order_operation_through_the_gateway(api):
    account = await api.new_school()
    me = bearer(account, user="manager-7")
    created = await api.post("/api/v1/orders", json=new_order(), headers={**me, "Idempotency-Key": "one"})
    assert created.status_code == 201, created.text
    order = created.json()
    assert created.headers["etag"] == '"1"' and order["total"] == "90.00"
    again = await api.post("/api/v1/orders", json=new_order(lines=order_lines(order)),
                           headers={**me, "Idempotency-Key": "two"})
    assert again.json()["number"] == 2
    card = await api.get(f"/api/v1/orders/{order['number']}", headers=me)
    assert card.status_code == 200 and card.headers["etag"] == '"1"'
    edited = await api.patch(f"/api/v1/orders/{order['id']}", json={"comment": "vip", "managers": ["manager-7"]},
                             headers={**me, "If-Match": card.headers["etag"]})
    assert edited.status_code == 200 and edited.headers["etag"] == '"2"'
    stale = await api.patch(f"/api/v1/orders/{order['id']}", json={"comment": "x"}, headers={**me, "If-Match": '"1"'})
    assert stale.status_code == 409 and stale.headers["content-type"].startswith("application/problem+json")
    added = await api.post(f"/api/v1/orders/{order['id']}/lines", headers={**me, "If-Match": '"2"'},
                           json={"product_id": str(EXTRA), "product_title": "Extra", "price": "20.00"})
    assert added.status_code == 201 and added.json()["total"] == "110.00"
    line_id = added.json()["lines"][1]["id"]
    changed = await api.patch(f"/api/v1/orders/{order['id']}/lines/{line_id}", json={"price": "30.00"},
                              headers={**me, "If-Match": '"3"'})
    assert changed.json()["total"] == "120.00"
    removed = await api.delete(f"/api/v1/orders/{order['id']}/lines/{line_id}", headers={**me, "If-Match": '"4"'})
    assert removed.json()["total"] == "90.00"
    history = (await api.get(f"/api/v1/orders/{order['id']}/history", headers=me)).json()["items"]
    assert [h["kind"] for h in history] == ["created", "updated", "line_added", "line_updated", "line_removed"]
    assert {h["actor"] for h in history} == {"manager-7"}
    listed = (await api.get("/api/v1/orders", params={"q": "iryna", "sort": "number"}, headers=me)).json()
    assert [o["number"] for o in listed["items"]] == [1, 2]
    viewer = await api.patch(f"/api/v1/orders/{order['id']}", json={"comment": "no"},
                             headers={**bearer(account, "viewer"), "If-Match": '"5"'})
    assert viewer.status_code == 403


def order_lines(order):
    return [{"product_id": line["product_id"], "product_title": line["product_title"], "price": line["price"]}
            for line in order["lines"]]


async def test_csv_export_streams_the_filtered_orders(api):
    account = await api.new_school()
    for tag in ("a", "b", "b"):
        await api.post("/api/v1/orders", json=new_order(tags=[tag]), headers=bearer(account))
    response = await api.get("/api/v1/orders/export.csv", params={"tag": "b", "sort": "number"},
                             headers=bearer(account))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = response.text.strip().splitlines()
    assert rows[0].split(",")[:3] == ["number", "created_at", "status"]
    assert [r.split(",")[0] for r in rows[1:]] == ["2", "3"]
    assert (await api.get("/api/v1/orders/export.csv", headers=bearer(uuid.uuid4()))).text.count("\n") == 1


async def test_contacts_pipelines_and_settings_through_the_gateway(api):
    account = await api.new_school()
    me = bearer(account)
    contact = await api.post("/api/v1/contacts", json={"name": "Ola", "email": "ola@example.com"}, headers=me)
    assert contact.status_code == 201
    contact_id = contact.json()["id"]
    assert (await api.patch(f"/api/v1/contacts/{contact_id}", json={"phone": "+48 601 234 567"},
                            headers=me)).json()["phone"] == "+48601234567"
    assert [c["id"] for c in (await api.get("/api/v1/contacts", params={"q": "ola"}, headers=me)).json()["items"]] == [
        contact_id]
    await api.post("/api/v1/orders", json=new_order(contact=None, contact_id=contact_id), headers=me)
    assert len((await api.get(f"/api/v1/contacts/{contact_id}/orders", headers=me)).json()["items"]) == 1
    pipelines = (await api.get("/api/v1/pipelines", headers=me)).json()["items"]
    assert pipelines[0]["name"] == "Sales" and pipelines[0]["is_default"]
    made = await api.post("/api/v1/pipelines", json={"name": "B2B", "stages": [{"name": "Lead"}]}, headers=me)
    assert made.status_code == 201
    renamed = await api.patch(f"/api/v1/pipelines/{made.json()['id']}", json={"name": "Business"}, headers=me)
    assert renamed.json()["name"] == "Business"
    assert (await api.get(f"/api/v1/pipelines/{made.json()['id']}", headers=me)).json()["stages"][0]["name"] == "Lead"
    assert (await api.delete(f"/api/v1/pipelines/{pipelines[0]['id']}", headers=me)).status_code == 409
    assert (await api.delete(f"/api/v1/pipelines/{made.json()['id']}", headers=bearer(account, "viewer"))
            ).status_code == 403
    assert (await api.delete(f"/api/v1/pipelines/{made.json()['id']}", headers=me)).status_code == 204
    assert (await api.get(f"/api/v1/pipelines/{made.json()['id']}", headers=me)).status_code == 404
    assert (await api.put("/api/v1/settings", json={"unpaid_expiry_days": 0}, headers=me)).status_code == 422
    assert (await api.put("/api/v1/settings", json={"unpaid_expiry_days": 5}, headers=me)).status_code == 200
    assert (await api.get("/api/v1/settings", headers=me)).json() == {"unpaid_expiry_days": 5, "phone_region": None}


async def test_another_school_gets_404_for_every_order_and_contact(api):
    mine = await api.new_school()
    order = (await api.post("/api/v1/orders", json=new_order(), headers=bearer(mine))).json()
    contact_id = order["contact"]["id"]
    pipeline_id = order["pipeline"]["id"]
    line_id = order["lines"][0]["id"]
    stranger = {**bearer(uuid.uuid4()), "If-Match": '"1"'}
    line = {"product_id": str(uuid.uuid4()), "product_title": "X", "price": "1.00"}
    for method, path, body in [
        ("GET", f"/api/v1/orders/{order['id']}", None), ("GET", f"/api/v1/orders/{order['number']}", None),
        ("GET", f"/api/v1/orders/{order['id']}/history", None),
        ("PATCH", f"/api/v1/orders/{order['id']}", {"comment": "mine now"}),
        ("PATCH", f"/api/v1/orders/{order['number']}", {"status": "cancelled"}),
        ("POST", f"/api/v1/orders/{order['id']}/lines", line),
        ("PATCH", f"/api/v1/orders/{order['id']}/lines/{line_id}", {"price": "0.00"}),
        ("DELETE", f"/api/v1/orders/{order['id']}/lines/{line_id}", None),
        ("GET", f"/api/v1/contacts/{contact_id}", None), ("GET", f"/api/v1/contacts/{contact_id}/orders", None),
        ("PATCH", f"/api/v1/contacts/{contact_id}", {"name": "Mine"}),
        ("GET", f"/api/v1/pipelines/{pipeline_id}", None),
        ("PATCH", f"/api/v1/pipelines/{pipeline_id}", {"name": "Mine"}),
        ("DELETE", f"/api/v1/pipelines/{pipeline_id}", None),
    ]:
        response = await api.request(method, path, json=body, headers=stranger)
        assert response.status_code == 404, (method, path, response.text)
    using_my_contact = await api.post("/api/v1/orders", json=new_order(contact=None, contact_id=contact_id),
                                      headers=stranger)
    assert using_my_contact.status_code == 422
    assert (await api.get("/api/v1/orders", headers=stranger)).json()["items"] == []
    assert (await api.get("/api/v1/contacts", headers=stranger)).json()["items"] == []
    after = (await api.get(f"/api/v1/orders/{order['id']}", headers=bearer(mine))).json()
    assert after["version"] == 1 and after["status"] == "active" and after["contact"]["name"] == "Iryna"


async def test_phone_region_and_reopening_through_the_gateway(api):
    account = await api.new_school()
    me = bearer(account, user="manager-7")
    unknown = await api.put("/api/v1/settings", json={"phone_region": "QQ"}, headers=me)
    assert unknown.status_code == 422 and unknown.headers["content-type"].startswith("application/problem+json")
    assert unknown.json()["errors"][0]["field"] == "phone_region"
    national = new_order(contact={"name": "Olha", "email": "olha@example.com", "phone": "050 123 4567"})
    assert (await api.post("/api/v1/orders", json=national, headers=me)).status_code == 422
    assert (await api.put("/api/v1/settings", json={"phone_region": "UA"}, headers=me)).json()["phone_region"] == "UA"
    order = (await api.post("/api/v1/orders", json=national, headers=me)).json()
    assert order["contact"]["phone"] == "+380501234567"
    cancelled = await api.patch(f"/api/v1/orders/{order['id']}", json={"status": "cancelled"},
                                headers={**me, "If-Match": '"1"'})
    assert cancelled.json()["status"] == "cancelled"
    reopened = await api.patch(f"/api/v1/orders/{order['number']}", json={"status": "active"},
                               headers={**me, "If-Match": cancelled.headers["etag"]})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "active" and reopened.json()["stage"]["name"] == "New"
    assert reopened.json()["history"][-1]["kind"] == "reopened"
    assert reopened.json()["history"][-1]["actor"] == "manager-7"
    viewer = await api.put("/api/v1/settings", json={"phone_region": "PL"}, headers=bearer(account, "viewer"))
    assert viewer.status_code == 403


async def test_if_none_match_goes_to_the_service_and_its_304_comes_back(api):
    account = await api.new_school()
    me = bearer(account)
    created = await api.post("/api/v1/orders", json=new_order(), headers=me)
    assert created.status_code == 201, created.text
    order = created.json()
    for url in (f"/api/v1/orders/{order['number']}", f"/api/v1/orders/{order['id']}/history", "/api/v1/orders"):
        first = await api.get(url, headers=me)
        assert first.status_code == 200, first.text
        tag = first.headers["etag"]
        same = await api.get(url, headers={**me, "If-None-Match": tag})
        assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", tag), url
        assert (await api.get(url, headers={**me, "If-None-Match": "not an etag"})).status_code == 200
    edited = await api.patch(f"/api/v1/orders/{order['id']}", json={"comment": "now"},
                             headers={**me, "If-Match": created.headers["etag"]})
    assert edited.status_code == 200, edited.text
    moved = await api.get(f"/api/v1/orders/{order['id']}", headers={**me, "If-None-Match": created.headers["etag"]})
    assert moved.status_code == 200 and moved.headers["etag"] == edited.headers["etag"] != created.headers["etag"]


async def test_a_contact_a_pipeline_and_a_line_repeated_under_their_key_are_made_once(api):
    account = await api.new_school()
    me = bearer(account)
    stages = [{"name": "Lead"}, {"name": "Won", "on_full_payment": True}]
    order = (await api.post("/api/v1/orders", json=new_order(), headers=me)).json()
    for url, body, headers in (
        ("/api/v1/contacts", {"name": "Taras", "email": "taras@example.com"}, {}),
        ("/api/v1/pipelines", {"name": "B2B", "stages": stages}, {}),
        (f"/api/v1/orders/{order['number']}/lines", {"product_id": str(EXTRA), "price": "20.00"}, {"If-Match": '"1"'}),
    ):
        key = {"Idempotency-Key": str(uuid.uuid4()), **headers}
        first = await api.post(url, json=body, headers={**me, **key})
        assert first.status_code == 201, first.text
        again = await api.post(url, json=body, headers={**me, **key})
        assert (again.status_code, again.json()) == (201, first.json()), url
        other = await api.post(url, json={**body, "name": "Other"} if "name" in body else {**body, "price": "30.00"},
                               headers={**me, **key})
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key", url
    names = [p["name"] for p in (await api.get("/api/v1/pipelines", headers=me)).json()["items"]]
    assert names.count("B2B") == 1
