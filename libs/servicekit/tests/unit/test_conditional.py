"""Conditional GET: an ETag on a JSON answer, 304 while the caller holds it, the full answer otherwise."""

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from servicekit.conditional import IfNoneMatch, body_etag, conditional_json, matches, requested_tags
from servicekit.http import install_problem_handlers


class Page(BaseModel):
    items: list[str]


@pytest.fixture
async def client():
    app = FastAPI()
    install_problem_handlers(app)
    state = {"items": ["a"], "version": 1}

    @app.get("/hashed", response_model=Page)
    async def hashed(if_none_match: IfNoneMatch = None):
        return conditional_json(Page, {"items": state["items"], "unlisted": "dropped"}, if_none_match)

    @app.get("/versioned", response_model=Page)
    async def versioned(if_none_match: IfNoneMatch = None):
        return conditional_json(Page, {"items": state["items"]}, if_none_match, etag=f'"{state["version"]}"')

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        c.state = state
        yield c


def test_if_none_match_is_a_list_of_entity_tags_or_a_star():
    assert requested_tags('"a", W/"b" ,"c"') == ['"a"', '"b"', '"c"']
    assert requested_tags("*") == ["*"]
    for malformed in (None, "", "a", '"a', '"a" "b"', 'W/a', '"a",,', '"a\x01"'):
        assert requested_tags(malformed) is None, malformed
    assert matches('"x"', 'W/"x"') and matches('"x"', '"y", "x"') and matches('"x"', "*")
    assert not matches('"x"', '"y"') and not matches('"x"', "x")


async def test_same_answer_is_304_a_changed_one_200_with_a_new_etag(client):
    first = await client.get("/hashed")
    assert first.status_code == 200 and first.json() == {"items": ["a"]}
    tag = first.headers["ETag"]
    assert tag == body_etag(first.content) and first.headers["content-type"] == "application/json"

    again = await client.get("/hashed", headers={"If-None-Match": tag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", tag)
    weak = await client.get("/hashed", headers={"If-None-Match": f'"other", W/{tag}'})
    assert weak.status_code == 304

    client.state["items"] = ["a", "b"]
    changed = await client.get("/hashed", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json() == {"items": ["a", "b"]}
    assert changed.headers["ETag"] != tag and changed.headers["ETag"] == body_etag(changed.content)


async def test_a_resource_s_own_version_is_its_etag(client):
    first = await client.get("/versioned")
    assert first.headers["ETag"] == '"1"'
    assert (await client.get("/versioned", headers={"If-None-Match": '"1"'})).status_code == 304
    client.state["version"] = 2
    moved = await client.get("/versioned", headers={"If-None-Match": '"1"'})
    assert moved.status_code == 200 and moved.headers["ETag"] == '"2"'


@pytest.mark.parametrize("header", ["garbage", '"unterminated', "W/", '"a" "b"', "été".encode()])
async def test_a_malformed_if_none_match_gets_the_full_answer(client, header):
    response = await client.get("/hashed", headers={"If-None-Match": header})
    assert response.status_code == 200 and response.json() == {"items": ["a"]}
