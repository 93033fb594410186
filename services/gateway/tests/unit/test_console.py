"""The console's files go out with headers that let only its own scripts run, and the demo owner's
sign-in exists only on a development gateway that names the demo school."""

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from gateway.main import create_app
from gateway.routes.console import FILES
from gateway.settings import DEV_SECRET, Settings

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
DEMO = uuid.uuid4()


def _client(settings: Settings) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://gateway")


@pytest.fixture
async def production() -> AsyncIterator[httpx.AsyncClient]:
    # Even with the demo school named, a gateway that is not in development has no demo sign-in.
    async with _client(Settings(jwt_secret=SECRET, log_json=False, demo_account=str(DEMO))) as client:
        yield client


@pytest.fixture
async def development() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(Settings(jwt_secret=DEV_SECRET, development=True, log_json=False,
                                demo_account=str(DEMO))) as client:
        yield client


def _strict(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_the_console_page_and_its_files_have_strict_headers(production: httpx.AsyncClient) -> None:
    page = await production.get("/console/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="app.js">' in page.text
    _strict(page)
    for name, kind in (("app.js", "text/javascript"), ("api.js", "text/javascript"), ("console.css", "text/css")):
        answer = await production.get(f"/console/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind), name
        _strict(answer)


async def test_the_console_without_its_slash_is_sent_to_it(production: httpx.AsyncClient) -> None:
    answer = await production.get("/console")
    assert answer.status_code == 308 and answer.headers["location"] == "/console/"


async def test_only_the_consoles_own_files_are_served(production: httpx.AsyncClient) -> None:
    for path in ("/console/nothing.js", "/console/..%2Fopenapi.json", "/console/..%2F__init__.py",
                 "/console/locales/..%2F..%2Froutes%2Fconsole.py", "/console/vendor/i18next.LICENSE",
                 "/console/locales/uk/%2E%2E/%2E%2E/pages/offer.html"):
        assert (await production.get(path)).status_code in (404, 422), path
    assert "index.html" in FILES and not any(name.endswith(".py") for name in FILES)


async def test_the_consoles_words_and_its_library_are_served_from_their_folders(production) -> None:
    for name in ("locales/uk/common.js", "locales/en/index.js", "vendor/i18next.js"):
        answer = await production.get(f"/console/{name}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript"), name
        _strict(answer)


async def test_no_page_of_the_console_holds_inline_script() -> None:
    for name, (body, _) in FILES.items():
        if name.endswith(".html"):
            text = body.decode()
            assert "<script>" not in text and not re.search(r"\son\w+=", text), name
            assert "style=" not in text and "<style" not in text, name


async def test_the_demo_sign_in_is_absent_off_development(production: httpx.AsyncClient) -> None:
    assert (await production.get("/console/demo")).status_code == 404
    assert (await production.post("/console/demo/token")).status_code in (404, 405)


async def test_a_development_gateway_without_the_demo_school_has_no_demo_sign_in() -> None:
    async with _client(Settings(jwt_secret=DEV_SECRET, development=True, log_json=False)) as client:
        assert (await client.get("/console/demo")).status_code == 404
        assert (await client.post("/console/demo/token")).status_code in (404, 405)


async def test_the_demo_sign_in_answers_a_short_lived_owner_token(development: httpx.AsyncClient) -> None:
    offered = await development.get("/console/demo")
    assert offered.status_code == 200 and offered.json() == {"account_id": str(DEMO)}
    answer = await development.post("/console/demo/token")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    claims = jwt.decode(answer.json()["token"], DEV_SECRET, algorithms=["HS256"], audience="orders-crm-api")
    assert claims["account_id"] == str(DEMO) and claims["role"] == "owner"
    assert claims["exp"] - claims["iat"] == answer.json()["expires_in"] <= 12 * 3600


def test_a_demo_school_that_is_not_an_account_id_stops_the_start() -> None:
    with pytest.raises(ValueError, match="GATEWAY_DEMO_ACCOUNT"):
        create_app(Settings(jwt_secret=DEV_SECRET, development=True, log_json=False, demo_account="demo"))


def test_the_console_is_not_part_of_the_public_contract() -> None:
    document = create_app(Settings(jwt_secret=DEV_SECRET, development=True, log_json=False,
                                   demo_account=str(DEMO))).state.route_document()
    assert not [path for path in document["paths"] if path.startswith("/console")]


FRAME = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "same-origin",
         "Content-Type": "application/x-www-form-urlencoded"}


async def test_a_letter_posted_by_a_console_frame_comes_back_under_a_policy_of_its_own(production):
    response = await production.post("/console/letter", content=b"html=%3Cp%20style%3D%22color%3Ared%22%3Ehi%3C%2Fp%3E",
                                     headers=FRAME)
    assert response.status_code == 200, response.text
    assert response.text == '<p style="color:red">hi</p>'
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    # No script, a unique origin, framed only by the console; the letter's styles may apply.
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'self'" in policy and "form-action 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("headers, status", [
    ({}, 403),                                                        # no browser said where it goes
    ({**FRAME, "Sec-Fetch-Dest": "document"}, 403),                   # the top of a tab
    ({**FRAME, "Sec-Fetch-Site": "cross-site"}, 403),                 # another site's frame
    ({**FRAME, "Content-Type": "application/json"}, 415),
])
async def test_a_letter_is_refused_to_anything_but_a_frame_of_the_console(production, headers, status):
    response = await production.post("/console/letter", content=b"html=%3Ch1%3Ex%3C%2Fh1%3E", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("body, status", [
    (b"markup=x", 422), (b"html=a&html=b", 422), (b"html=" + b"x" * 1_000_001, 413), (b"html=%ff%fe", 400),
])
async def test_a_letter_form_that_is_not_one_letter_is_refused(production, body, status):
    response = await production.post("/console/letter", content=body, headers=FRAME)
    assert response.status_code == status, response.text
