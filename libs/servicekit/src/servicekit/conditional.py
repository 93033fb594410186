"""Conditional GET: a JSON answer with an ETag, and `304 Not Modified` when the caller has it already.

A client that polls (the CRM console keeping a card current) sends back the ETag it was given
as If-None-Match; when the answer is still the same, it gets a 304 with no body, and so the
service spends no serialisation on the wire and the client no redraw. The ETag is the caller's
to choose where the resource has a version (an order's card: its version, as If-Match takes it);
otherwise it is a strong hash of the answer's body, so any change to what is shown is a new one.

If-None-Match is compared weakly, as RFC 9110 says for it; a header that is not a list of
entity tags (or `*`) is ignored, so a malformed one gets the full answer, never an error.
"""

import hashlib
import re
from typing import Annotated, Any

from fastapi import Header, Response
from pydantic import BaseModel

# One entity tag: optional weakness, then quoted printable characters (RFC 9110 §8.8.3).
_TAG = re.compile(r'\s*((?:W/)?"[\x21\x23-\x7e\x80-\xff]*")\s*')

# The header a route declares to take it (documented in its operation, passed on by the gateway).
IfNoneMatch = Annotated[str | None, Header(
    description="An ETag this API gave out for this answer: a 304 with no body while it still holds")]

# What a route lists in its `responses=` beside its problems: a 304 is not a problem.
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the answer is still the one whose ETag was sent as If-None-Match "
                         "(no body; the ETag header repeats it)"},
}


def body_etag(body: bytes) -> str:
    """A strong ETag of an answer's bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def requested_tags(if_none_match: str | None) -> list[str] | None:
    """The entity tags If-None-Match names, without their weakness; ["*"] for any; None if absent or malformed."""
    if if_none_match is None or not if_none_match.strip():
        return None
    if if_none_match.strip() == "*":
        return ["*"]
    tags = []
    for part in if_none_match.split(","):
        found = _TAG.fullmatch(part)
        if found is None:
            return None
        tags.append(found.group(1).removeprefix("W/"))
    return tags


def matches(etag: str, if_none_match: str | None) -> bool:
    """Whether the caller already holds the answer tagged `etag` (weak comparison)."""
    tags = requested_tags(if_none_match)
    return tags is not None and ("*" in tags or etag.removeprefix("W/") in tags)


def conditional_json(
    model: type[BaseModel], content: Any, if_none_match: str | None, *, etag: str | None = None
) -> Response:
    """The answer as the route's response model renders it, with its ETag; a 304 if the caller has it.

    `etag`: the resource's own validator (a version); None tags the rendered body by its hash.
    """
    body = model.model_validate(content).model_dump_json(by_alias=True).encode()
    tag = etag or body_etag(body)
    if matches(tag, if_none_match):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(content=body, media_type="application/json", headers={"ETag": tag})
