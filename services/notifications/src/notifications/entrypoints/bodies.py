"""Request bodies of the notifications API."""

from pydantic import Field
from servicekit.inputs import Input


class OverrideBody(Input):
    """A school's own wording of one template in one language: all three parts, checked when saved."""

    subject: str = Field(min_length=1, max_length=500)
    html: str = Field(min_length=1, max_length=200_000)
    text: str = Field(min_length=1, max_length=100_000)
