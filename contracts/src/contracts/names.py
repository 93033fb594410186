"""The names every service, its API and its events give the same things: providers and languages.

One type each, so an event field, an API answer, a request body and a path parameter that mean a
payment provider or a language all say so the same way (and the documents show one schema).
"""

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# A payment provider as payments' registry names it ("stripe", "wayforpay", "sandbox"). Providers
# are an open set (a new one is a module in payments), so this is the shape of a name, not a list.
ProviderName = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]

# A language as browsers and systems name it: BCP 47 ("uk", "uk-UA", "zh-Hant-TW", what
# navigator.language sends) or POSIX ("uk_UA", "uk_UA.UTF-8", "sr_RS@latin").
_TAG = r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8}){0,6}(?:\.[A-Za-z0-9-]{1,20})?(?:@[A-Za-z0-9]{1,20})?"
_LANGUAGE_TAG = re.compile(_TAG)


def language_of(tag: str) -> str:
    """The language a tag names, lower case ("uk-UA" and "uk_UA.UTF-8" are "uk"); ValueError if none.

    Emails are translated per language, not per region, so the language is what is kept."""
    found = _LANGUAGE_TAG.fullmatch(tag.strip())
    if found is None:
        raise ValueError("not a language tag: give one such as uk, uk-UA or uk_UA")
    return found.group(1).lower()


# A language: any tag above is taken and kept as its language subtag, lower case ("uk"), so what a
# service stores, answers and publishes is always a two- or three-letter language, which is itself
# a tag of this type: a value read back (from an event, an answer) is read as it was written.
Locale = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=64, pattern=f"^{_TAG}$"), AfterValidator(language_of),
]
