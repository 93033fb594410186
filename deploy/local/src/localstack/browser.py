"""The console in a real browser, for the end-to-end tests: Chromium (the machine's own, never
one Playwright downloads), a fresh profile per test that fails on any Content-Security-Policy
refusal, and the ways a test signs in."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gateway.auth import mint
from gateway.settings import DEV_SECRET

CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium")
# The browser waits this long for what the page shows next (the stack answers in well under it).
WAIT_MS = 20_000


@contextlib.contextmanager
def launched_chromium() -> Iterator[Any]:
    import pytest

    if not Path(CHROMIUM).is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: the console's browser tests need one. Run `make install` "
            "(on Debian as root it installs the distribution's chromium package), or install Chromium "
            "yourself and set TEST_CHROMIUM to its path.", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            launched.close()


@contextlib.contextmanager
def console_page(browser: Any, base_url: str, locale: str = "en-US") -> Iterator[Any]:
    """A new browser profile (its own sessionStorage and localStorage) whose browser speaks
    `locale` (the console's first language unless one is chosen); no page may break the console's
    Content-Security-Policy."""
    context = browser.new_context(base_url=base_url, accept_downloads=True, locale=locale)
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    refused: list[str] = []
    opened.on("console", lambda message: refused.append(message.text)
              if "Content Security Policy" in message.text else None)
    try:
        yield opened
    finally:
        context.close()
    assert not refused, refused


def sign_in_as_demo_owner(page: Any, where: str = "") -> None:
    from playwright.sync_api import expect

    page.goto(f"/console/{where}")
    page.click("#demo-sign-in")
    expect(page.locator("#role")).to_have_text("owner")


def sign_in_with(page: Any, token: str, where: str = "") -> None:
    page.goto(f"/console/{where}")
    page.fill("#token", token)
    page.click("#sign-in button[type=submit]")


def token_for(account_id: str, role: str) -> str:
    """A CRM token of the local stack's signing secret for a user with `role` in that school."""
    secret = os.environ.get("GATEWAY_JWT_SECRET", DEV_SECRET)
    return mint(secret, account_id=account_id, user_id=f"e2e-{role}", role=role)


@contextlib.contextmanager
def live_updates_held(page: Any) -> Iterator[None]:
    """The console's polls (conditional GETs, If-None-Match) answered "not modified" inside the
    block: the page keeps the version it shows, as when someone else's change lands between two
    polls; a test of what a stale page does then is not raced by the next poll."""

    def answer(route: Any) -> None:
        if "if-none-match" in route.request.headers:
            route.fulfill(status=304)
        else:
            route.continue_()

    page.route("**/api/v1/**", answer)
    try:
        yield
    finally:
        page.unroute("**/api/v1/**", answer)


# The currencies Intl writes with a sign in English; every other is written with its code.
_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£"}


def shown_money(amount: str, currency: str) -> str:
    """An amount as the console shows it in English (the browser's Intl for en-US): "UAH 1,500.00",
    "€180.00". Playwright reads the no-break space Intl puts after a code as a space."""
    whole, point, cents = amount.partition(".")
    figure = f"{int(whole):,}{point}{cents}"
    return f"{_SIGNS[currency]}{figure}" if currency in _SIGNS else f"{currency} {figure}"

