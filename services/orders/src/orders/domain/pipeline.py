"""Pipelines: the funnel of stages an order moves through."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StageTemplate:
    name: str
    on_full_payment: bool = False
    on_cancel: bool = False


# Every school starts with this funnel; orders move to "Paid" on full payment.
DEFAULT_PIPELINE_NAME = "Sales"
DEFAULT_STAGES: tuple[StageTemplate, ...] = (
    StageTemplate("New"),
    StageTemplate("In progress"),
    StageTemplate("Awaiting payment"),
    StageTemplate("Paid", on_full_payment=True),
    StageTemplate("Cancelled", on_cancel=True),
)
