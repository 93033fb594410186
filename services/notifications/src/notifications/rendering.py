"""Letters put into words: Jinja2 templates, with money and dates in the contact's locale.

Template texts are marked for translation (`{% trans %}`, `_()`); a locale is added by
compiling its catalog into `locales/<locale>/LC_MESSAGES/messages.mo` and listing it in
`domain.letters.SUPPORTED_LOCALES`.
"""

from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency
from babel.support import Translations
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .domain.delivery import Rendered
from .domain.letters import DEFAULT_LOCALE, Letter

LOCALES_DIR = Path(__file__).parent / "locales"


def money(amount: Decimal, currency: str, *, locale: str) -> str:
    return format_currency(amount, currency, locale=locale)


def moment(value: datetime, *, locale: str, zone: tzinfo = UTC) -> str:
    """A long date and a short time ("November 23, 2026, 3:30 PM UTC"): seconds mean nothing here."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(zone)
    pattern = get_datetime_format("long", locale=locale).replace("'", "")
    time = f"{format_time(local, 'short', locale=locale)} {local.tzname()}"
    return pattern.replace("{0}", time).replace("{1}", format_date(local, "long", locale=locale))


@cache
def environment(locale: str) -> Environment:
    """One environment per locale: translations and filters are bound to it, never swapped per message."""
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    if locale == DEFAULT_LOCALE:
        env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    else:
        catalog = Translations.load(str(LOCALES_DIR), [locale], domain="messages")
        env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = lambda amount, currency: money(amount, currency, locale=locale)
    env.filters["moment"] = lambda value: moment(value, locale=locale)
    return env


def render(letter: Letter) -> Rendered:
    env = environment(letter.locale)
    values = letter.template_values()
    subject = env.get_template(f"{letter.template}.subject.txt").render(values)
    return Rendered(
        # A header is one line, whatever a school or product is called.
        subject=" ".join(subject.split()),
        text=env.get_template(f"{letter.template}.txt").render(values).strip() + "\n",
        html=env.get_template(f"{letter.template}.html").render(values),
    )
