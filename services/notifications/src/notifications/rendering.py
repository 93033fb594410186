"""Letters put into words: Jinja2 templates, translated by gettext, money and dates in the letter's locale.

Template texts are marked for translation (`{% trans %}`, `_()`); each locale's catalog is
`locales/<locale>/LC_MESSAGES/messages.po`, compiled in memory when its environment is first
built (no generated binaries in the repository). English is the source language.

A school's own subject and bodies (an override) are rendered in a sandbox with strict
undefined values, so an override can read the letter's values and nothing else.
"""

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any
from uuid import UUID

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import (
    Environment, PackageLoader, StrictUndefined, Template, TemplateError, meta, pass_context, select_autoescape,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from .catalog_calls import newstyle_gettext, newstyle_ngettext
from .domain.delivery import Rendered
from .domain.letters import DEFAULT_LOCALE, TEMPLATE_VARIABLES, Installment, Letter, Line, Override, TemplateName
from .domain.zones import zone_named
from .formats import moment, money

log = logging.getLogger("notifications.rendering")

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


def catalog_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> NullTranslations:
    """The locale's catalog compiled from its .po file (fuzzy entries left out, as gettext does)."""
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    with catalog_path(locale).open("rb") as po:
        catalog = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def _as_html(value: str) -> Markup:
    # A plain-text partial included in an HTML part: everything in it is text, so all of it is escaped.
    return escape(str.__str__(value))


def _prepare(env: Environment, locale: str) -> Environment:
    catalog = translations(locale)
    env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    # The same callables as the extension's, without a context call of their own per text.
    env.globals.update(gettext=newstyle_gettext(catalog.gettext), ngettext=newstyle_ngettext(catalog.ngettext))
    env.filters["money"] = lambda amount, currency: money(amount, currency, locale=locale)
    env.filters["moment"] = pass_context(
        lambda context, value: moment(value, locale=locale, zone=zone_named(context.get("time_zone"))))
    env.filters["as_html"] = _as_html
    return env


class _KeptTemplates(Environment):
    """Templates kept in a plain dict once loaded, for the letters' own renders and their includes
    and layouts alike: they ship with the code, so there is nothing to check on every email (the
    default path builds a cache key with a weak reference and asks an LRU cache, per template)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._kept: dict[str, Template] = {}

    def get_template(self, name: Any, parent: str | None = None, globals: Any = None) -> Template:
        if globals is None and isinstance(name, str):
            kept = self._kept.get(name)
            if kept is None:
                # join_path is not overridden: a template's name does not depend on its parent.
                kept = self._kept[name] = super().get_template(name, parent)
            return kept
        return super().get_template(name, parent, globals)


@cache
def environment(locale: str) -> Environment:
    """One environment per locale: translations and filters are bound to it, never swapped per message."""
    env = _KeptTemplates(
        loader=PackageLoader("notifications", "templates"),
        auto_reload=False,  # the templates ship with the code
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env = _prepare(env, locale)
    # `_()` straight to the catalog's gettext: the extension's alias resolves "gettext" from the
    # context and calls it through the context again. The standard templates set no "gettext" of
    # their own, so it is the same function (schools' overrides keep the alias).
    env.globals["_"] = env.globals["gettext"]
    return env


@cache
def sandbox(locale: str, *, html: bool) -> Environment:
    """Where schools' own templates run: no attribute tricks, no unknown names, HTML escaped in the HTML part."""
    env = ImmutableSandboxedEnvironment(
        autoescape=html, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    return _prepare(env, locale)


PARTS = ("subject", "html", "text")


def _finish(subject: str, text: str, html: str) -> Rendered:
    # A header is one line, whatever a school or product is called.
    return Rendered(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


def _values(letter: Letter) -> dict[str, object]:
    # The zone rides along for the moment filter; it is no variable a template names.
    return {**letter.template_values(), "time_zone": letter.time_zone}


def render_builtin(letter: Letter) -> Rendered:
    env = environment(letter.locale)
    values = _values(letter)
    return _finish(
        env.get_template(f"{letter.template}.subject.txt").render(values),
        env.get_template(f"{letter.template}.txt").render(values),
        env.get_template(f"{letter.template}.html").render(values),
    )


def render_override(letter: Letter, override: Override) -> Rendered:
    values = _values(letter)
    plain = sandbox(letter.locale, html=False)
    return _finish(
        plain.from_string(override.subject).render(values),
        plain.from_string(override.text).render(values),
        sandbox(letter.locale, html=True).from_string(override.html).render(values),
    )


def render(letter: Letter, override: Override | None = None) -> Rendered:
    if override is not None:
        try:
            return render_override(letter, override)
        except Exception:
            # Checked against samples when saved; should a real letter still trip it, the
            # contact gets the standard wording rather than no email.
            log.exception("the school's %s/%s template failed; using the standard one", letter.template, letter.locale)
    return render_builtin(letter)


def sample_letters(template: TemplateName, locale: str) -> list[Letter]:
    """Letters with every value set, and with the optional ones missing: what a saved override must survive."""
    when = datetime(2026, 11, 23, 15, 30, tzinfo=UTC)
    full = Letter(
        template=template, event_id=UUID(int=1), account_id=UUID(int=2), order_id=UUID(int=3),
        correlation_id=UUID(int=4), contact_id=UUID(int=5), to="contact@example.com", locale=locale,
        school_name="School", contact_name="Contact", order_number=1042,
        products=("Course", "Private group"), currency="UAH", total=Decimal("3000.00"), amount=Decimal("1500.00"),
        url="https://pay.example/p/1", due_at=when, days_left=3, paid_at=when - timedelta(days=1),
        overdue=False, starts_at=when, ends_at=when + timedelta(days=90),
        lines=(Line("Course", Decimal("2000.00")), Line("Private group", Decimal("1000.00"))),
        installments=(
            Installment(Decimal("1500.00"), None, when), Installment(Decimal("1000.00"), when, None),
            Installment(Decimal("500.00"), None, None),
        ),
    )
    # What every event of the kind carries stays; what some lack goes.
    sparse = Letter(
        template=template, event_id=UUID(int=1), account_id=UUID(int=2), order_id=UUID(int=3),
        correlation_id=UUID(int=4), contact_id=None, to="contact@example.com", locale=locale,
        school_name="School", contact_name="Contact", order_number=1, products=("Course",), currency="EUR",
        total=Decimal("10.00"), overdue=True,
        amount=Decimal("10.00") if template in ("payment_link", "reminder", "receipt") else None,
        url="https://pay.example/p/2" if template in ("payment_link", "reminder") else None,
        paid_at=when if template == "receipt" else None,
        lines=(Line("Course", Decimal("10.00")),) if template == "order_confirmation" else (),
    )
    return [full, sparse]


def check_override(template: TemplateName, locale: str, override: Override) -> list[dict[str, str]]:
    """What is wrong with an override, per part: syntax, unknown names, or a failure on sample letters."""
    allowed = set(TEMPLATE_VARIABLES[template]) | {"_", "gettext", "ngettext", "pgettext", "npgettext"}
    errors: list[dict[str, str]] = []
    for part in PARTS:
        source = getattr(override, part)
        env = sandbox(locale, html=part == "html")
        try:
            unknown = sorted(meta.find_undeclared_variables(env.parse(source)) - allowed)
        except TemplateError as exc:
            errors.append({"field": part, "message": _describe(exc)})
            continue
        if unknown:
            errors.append({"field": part, "message": f"unknown variable(s): {', '.join(unknown)}"})
            continue
        for sample in sample_letters(template, locale):
            try:
                env.from_string(source).render(_values(sample))
            except Exception as exc:  # any failure at all means it would fail for a contact too
                errors.append({"field": part, "message": _describe(exc)})
                break
    return errors


def _describe(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    where = f" (line {line})" if line else ""
    return f"{type(exc).__name__}: {exc}{where}"[:500]


def template_variables(template: TemplateName) -> list[str]:
    return sorted(TEMPLATE_VARIABLES[template])
