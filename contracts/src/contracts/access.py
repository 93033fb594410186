"""Access terms: when a contact's access to a product starts and ends, and what it includes.

Offers define them per product, orders copy them onto their lines and compute the window
from payments, and the course platform reads them from AccessChanged. One vocabulary for all.
"""

from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator


# What a course's certificate is given for; a product's defaults and a line's terms say it alike.
Certificate = Literal["none", "on_completion", "conditional"]


class _Terms(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Period(_Terms):
    """A calendar period: months keep the day of month (clamped to the month's end)."""

    unit: Literal["days", "months"]
    count: int = Field(ge=1, le=36_500)


class AccessStart(_Terms):
    kind: Literal["after_payment", "at_date", "after_period"] = "after_payment"
    at: AwareDatetime | None = None  # kind == at_date
    period: Period | None = None  # kind == after_period: this long after the first qualifying payment

    @model_validator(mode="after")
    def _complete(self) -> Self:
        _require(self.kind, self.at, self.period, "start")
        return self


class AccessEnd(_Terms):
    kind: Literal["never", "at_date", "after_period"] = "never"
    at: AwareDatetime | None = None  # kind == at_date
    period: Period | None = None  # kind == after_period: this long after access starts

    @model_validator(mode="after")
    def _complete(self) -> Self:
        _require(self.kind, self.at, self.period, "end")
        return self


def _require(kind: str, at: object, period: object, side: str) -> None:
    if kind == "at_date" and at is None:
        raise ValueError(f"{side}.at is required when {side}.kind is at_date")
    if kind == "after_period" and period is None:
        raise ValueError(f"{side}.period is required when {side}.kind is after_period")


class LessonDelay(_Terms):
    lesson_id: UUID
    days: int = Field(ge=0, le=3_650)


class AccessTerms(_Terms):
    """Everything an order line grants. Defaults: from payment, for ever, the whole course as built."""

    start: AccessStart = AccessStart()
    end: AccessEnd = AccessEnd()
    module_ids: list[UUID] | None = None  # None: every module
    lesson_ids: list[UUID] | None = None  # None: every lesson of the chosen modules
    lesson_delays: Literal["course", "none", "custom"] = "course"
    delay_overrides: list[LessonDelay] = []
    checkpoints: bool = True
    practice: Literal["course", "none", "custom"] = "course"
    practice_lesson_ids: list[UUID] = []
    comments: bool = True
    certificate: Certificate = "none"
    certificate_conditions: str | None = Field(default=None, max_length=2_000)

    @field_validator("end")
    @classmethod
    def _ends_after_start(cls, end: AccessEnd, info: ValidationInfo) -> AccessEnd:
        # A field validator, so the error's location names `end`, not the whole terms.
        start = info.data.get("start")
        fixed = start is not None and start.kind == end.kind == "at_date"
        if fixed and end.at is not None and start.at is not None and end.at <= start.at:
            raise ValueError("end.at must be after start.at")
        return end

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.delay_overrides and self.lesson_delays != "custom":
            raise ValueError("delay_overrides need lesson_delays 'custom'")
        if self.practice_lesson_ids and self.practice != "custom":
            raise ValueError("practice_lesson_ids need practice 'custom'")
        if self.certificate == "conditional" and not self.certificate_conditions:
            raise ValueError("certificate_conditions are required for a conditional certificate")
        return self
