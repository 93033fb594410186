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


class InvalidPipeline(ValueError):
    """A pipeline the school cannot have (`message`), and the request field that says so (`field`),
    listed in the problem as InvalidOrder's are."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PipelineKept(Exception):
    """The pipeline cannot be deleted; `orders` counts the orders still in it."""

    def __init__(self, message: str, *, orders: int = 0) -> None:
        super().__init__(message)
        self.orders = orders
        self.facts = {"orders": orders}


def deletion_refused(*, is_default: bool, orders: int) -> PipelineKept | None:
    """Why a pipeline cannot go: every order keeps a pipeline, and every school a default one."""
    if orders:
        noun = "order is" if orders == 1 else "orders are"
        return PipelineKept(f"{orders} {noun} in this pipeline: move them to another pipeline first",
                            orders=orders)
    if is_default:
        return PipelineKept("this is the school's default pipeline: make another pipeline the default first")
    return None


def check_stages(stages: list[StageTemplate]) -> None:
    """A funnel has stages with names, and at most one stage for each automatic move."""
    if not stages:
        raise InvalidPipeline("stages", "a pipeline needs at least one stage")
    for marker in ("on_full_payment", "on_cancel"):
        marked = [n for n, s in enumerate(stages) if getattr(s, marker)]
        if len(marked) > 1:
            raise InvalidPipeline(f"stages.{marked[1]}.{marker}", f"only one stage can be marked {marker}")
    for n, stage in enumerate(stages):
        if not stage.name.strip():
            raise InvalidPipeline(f"stages.{n}.name", "a stage needs a name")
        if stage.on_full_payment and stage.on_cancel:
            raise InvalidPipeline(f"stages.{n}", "a stage cannot be both on_full_payment and on_cancel")
