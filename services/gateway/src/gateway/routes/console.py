"""The CRM console's pages: static files under /console/, and the local stack's demo sign-in.

The console is plain files the browser runs as they are (no build), served from the API's own
origin so its calls to /api/v1 need no CORS. Every file goes out with headers that allow only
the console's own files to run: no inline script, no eval, no framing, no referrer.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from servicekit.http import Problem

from ..auth import mint
from ..settings import Settings

CONSOLE_DIR = Path(__file__).parents[1] / "console"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# frame-ancestors is not covered by default-src, so it is named; base-uri and form-action close
# the two ways markup could still send the page elsewhere.
STRICT_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A new gateway's files are taken at once: the browser asks again each time (they are small).
    "Cache-Control": "no-cache",
}
# The demo owner's token lasts a working session, not the 30 days of the printed one.
DEMO_TOKEN_TTL = timedelta(hours=8)
DEMO_USER = "demo-owner"


def _files() -> dict[str, tuple[bytes, str]]:
    # Read once: a fixed set of names (`app.js`, `locales/uk/card.js`, `vendor/i18next.js`), so no
    # path a caller sends can reach another file.
    return {path.relative_to(CONSOLE_DIR).as_posix(): (path.read_bytes(), CONTENT_TYPES[path.suffix])
            for path in sorted(CONSOLE_DIR.rglob("*")) if path.is_file() and path.suffix in CONTENT_TYPES}


FILES = _files()
pages = APIRouter(tags=["console"], include_in_schema=False)


@pages.get("/console")
async def console_root() -> RedirectResponse:
    # Relative module imports resolve against the folder, so the page lives at /console/.
    return RedirectResponse("/console/", status_code=308)


@pages.get("/console/")
async def console_index() -> Response:
    return console_file("index.html")


# A letter the console shows (a template's preview, a sent email): the school's own markup, so
# it is never parsed by the console's page. The page posts it into a sandboxed frame, and this
# answers it back as a document of its own with a policy of its own: the letter's inline styles
# and images may load; no script, no form, no link out of the frame, no framing by anything but
# the console, and a unique origin (`sandbox`) that reaches none of the console's storage. Only
# a frame of the console's own pages may ask (the browser's Sec-Fetch headers say so), so no
# other site can make the gateway show markup of its choosing, framed or at the top.
LETTER_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; "
                               "font-src data: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MAX_LETTER = 1_000_000


@pages.post("/console/letter")
async def console_letter(request: Request) -> Response:
    if request.headers.get("sec-fetch-dest") != "iframe" or request.headers.get("sec-fetch-site") != "same-origin":
        raise Problem(403, "Forbidden", "a letter is shown only in a frame of the console's own pages")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise Problem(415, "Unsupported Media Type", "a letter comes as a form (application/x-www-form-urlencoded)")
    body = await request.body()
    if len(body) > MAX_LETTER:
        raise Problem(413, "Request too large", f"a letter is limited to {MAX_LETTER} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Problem(400, "Bad Request", "the form is not UTF-8") from None
    html = fields.get("html")
    if html is None or len(html) != 1:
        raise Problem(422, "Unprocessable Content", "the form needs one field `html`, the letter's markup")
    return Response(html[0], media_type="text/html; charset=utf-8", headers=LETTER_HEADERS)


@pages.get("/console/{name:path}")
async def console_asset(name: str) -> Response:
    return console_file(name)


def console_file(name: str) -> Response:
    found = FILES.get(name)
    if found is None:
        raise Problem(404, "Not Found", f"the console has no file {name!r}")
    body, content_type = found
    return Response(body, media_type=content_type, headers=STRICT_HEADERS)


# Mounted only when GATEWAY_DEVELOPMENT is on and GATEWAY_DEMO_ACCOUNT names the demo school
# (the local stack): anywhere else the paths do not exist.
demo = APIRouter(prefix="/console/demo", tags=["console"], include_in_schema=False)
NO_STORE = {**STRICT_HEADERS, "Cache-Control": "no-store"}


@demo.get("")
async def demo_school(request: Request, response: Response) -> dict[str, Any]:
    """Tells the sign-in page to offer the demo button."""
    response.headers.update(NO_STORE)
    return {"account_id": str(demo_account(request.app.state.settings))}


@demo.post("/token")
async def demo_token(request: Request, response: Response) -> dict[str, Any]:
    """A short-lived owner token for the demo school."""
    settings: Settings = request.app.state.settings
    response.headers.update(NO_STORE)
    token = mint(settings.jwt_secret, account_id=demo_account(settings), user_id=DEMO_USER, role="owner",
                 ttl=DEMO_TOKEN_TTL, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    return {"token": token, "expires_in": int(DEMO_TOKEN_TTL.total_seconds())}


def demo_account(settings: Settings) -> UUID:
    try:
        return UUID(settings.demo_account.strip())
    except ValueError:
        raise ValueError("GATEWAY_DEMO_ACCOUNT must be an account id (a UUID), "
                         f"not {settings.demo_account!r}") from None


def demo_enabled(settings: Settings) -> bool:
    return settings.development and bool(settings.demo_account.strip())
