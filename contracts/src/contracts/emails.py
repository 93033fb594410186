"""An email address, as pydantic's `EmailStr` takes it, checked once per distinct address.

`EmailStr` runs email-validator on every value it sees, and every event with a contact carries
one: a purchase's address was checked again by each service, in each event it read and each body
it took (a tenth of orders' CPU per purchase, most of it the validator's per-character rules and
an import it does on every call). The check is a pure function of the text, so its answers are
kept for the most recent addresses; an invalid address is not kept and fails every time, with
`EmailStr`'s own error. The JSON schema is `EmailStr`'s (`"format": "email"`).
"""

from functools import lru_cache
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic.networks import validate_email
from pydantic_core import core_schema

# Enough for every address of the purchases a busy process sees within a minute; bounded, so a
# stream of distinct addresses costs at most this many entries of memory.
_KEPT = 8192


@lru_cache(maxsize=_KEPT)
def normalized_email(value: str) -> str:
    """The address as `EmailStr` gives it back (the domain in lower case); pydantic's error if invalid."""
    return validate_email(value)[1]


class _Checked:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(normalized_email, core_schema.str_schema())

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler,
    ) -> JsonSchemaValue:
        field = handler(schema)
        field.update(type="string", format="email")
        return field


EmailAddress = Annotated[str, _Checked]
