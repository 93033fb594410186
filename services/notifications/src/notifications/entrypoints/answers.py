"""What the notifications CRM API answers: one model per kind of answer, declared on its routes.

The fields follow the JSON the views have always produced, key for key and in that order, so
declaring them changed no byte a client reads: moments keep their `+00:00`, and what a delivery
lacks is null. Money never appears here; the emails carry it already put into words.
"""

from typing import Annotated
from uuid import UUID

from contracts import Locale
from pydantic import BaseModel, Field
from servicekit.api import Timestamp

from ..domain.delivery import CancelReason, Status
from ..domain.letters import TemplateName

# What a school's own wording may name as `{{ name }}`: the template's values and no others.
Variables = Annotated[list[str], Field(description="The values this template may use, by name, sorted")]


class NotificationSummary(BaseModel):
    """One email in the delivery log: to whom, what became of it, and why."""

    id: UUID
    template: TemplateName
    recipient: str = Field(description="The address it was sent to")
    status: Status
    attempts: int = Field(description="Tries so far, the last one included")
    last_error: str | None = Field(description="What the last try came to when it was not a plain success (the "
                                               "error, the mail server's refusal, an unseen answer)")
    subject: str = Field(description="The subject as rendered for the contact")
    created_at: Timestamp
    sent_at: Timestamp | None = Field(description="When it went to the mail server; null until it has")
    order_id: UUID
    contact_id: UUID | None
    locale: Locale = Field(description="The language it was written in")
    resend_of: UUID | None = Field(description="The delivery whose message this one sends again")
    cancel_reason: CancelReason | None = Field(description="Why it was never sent, when it is cancelled")
    refused: bool = Field(description="The mail server refused the address or the message for good; "
                                      "its answer is last_error")


class NotificationCard(NotificationSummary):
    """One email as it was sent (or would have been, if cancelled), with its bodies."""

    next_attempt_at: Timestamp | None = Field(description="When it is tried next; null unless pending")
    text_body: str
    html_body: str


class NotificationPage(BaseModel):
    """A page of the delivery log, newest first."""

    items: list[NotificationSummary]
    next_cursor: str | None = Field(description="The cursor of the next page; null on the last")


class TemplateSummary(BaseModel):
    """One email template: where the school has its own wording and what the wording may use."""

    template: TemplateName
    locales: list[Locale] = Field(description="The languages the template can be written in")
    overridden: list[Locale] = Field(description="The languages in which the school has its own wording")
    variables: Variables


class TemplateList(BaseModel):
    """Every email template."""

    items: list[TemplateSummary]


class Preview(BaseModel):
    """A template rendered on a sample letter."""

    subject: str
    html: str
    text: str


class TemplateView(BaseModel):
    """A template in one language: the school's wording if it has one, with a preview."""

    template: TemplateName
    locale: Locale
    overridden: bool = Field(description="The school has its own wording here; else the standard one is used")
    subject: str | None = Field(description="The school's subject; null when it has none")
    html: str | None = Field(description="The school's HTML body; null when it has none")
    text: str | None = Field(description="The school's plain-text body; null when it has none")
    preview: Preview = Field(description="The wording in use, rendered on a sample letter")
    variables: Variables
