"""Pipelines: the funnel of stages an order moves through."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple
from uuid import UUID, uuid4

from contracts import Event, OfferOpened

from .order import Contact, Funnel, InvalidOrder, Order, filled_by_a_visit


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


@dataclass(frozen=True)
class Stage:
    id: UUID
    name: str = ""
    on_full_payment: bool = False
    on_cancel: bool = False


@dataclass(frozen=True)
class Pipeline:
    """A school's funnel, its stages in their order."""

    id: UUID
    stages: tuple[Stage, ...]
    name: str = ""
    is_default: bool = False

    @property
    def first_stage(self) -> UUID:
        """Where a new order lands, and a reopened one goes back to."""
        return self.stages[0].id

    @property
    def funnel(self) -> Funnel:
        """The stages an order's own rules move it to: back to the first, on full payment, on cancel."""
        return Funnel(self.id, self.stages[0].id if self.stages else None,
                      next((s.id for s in self.stages if s.on_full_payment), None),
                      next((s.id for s in self.stages if s.on_cancel), None))


def new_default_pipeline(new_id: Callable[[], UUID] = uuid4) -> Pipeline:
    """The funnel a school gets on first use: DEFAULT_STAGES under DEFAULT_PIPELINE_NAME."""
    return Pipeline(new_id(), tuple(Stage(new_id(), s.name, s.on_full_payment, s.on_cancel) for s in DEFAULT_STAGES),
                    DEFAULT_PIPELINE_NAME, is_default=True)


def placement(
    *, pipeline_id: UUID | None, stage_id: UUID | None, chosen: Pipeline | None, of_stage: Pipeline | None,
    default: Pipeline | None,
) -> tuple[UUID, UUID]:
    """Where an order goes: the stage given (in the pipeline given, if both are), else the first stage
    of the pipeline given, else the first stage of the school's default pipeline.

    `chosen` is the school's pipeline `pipeline_id` names and `of_stage` the one holding `stage_id`
    (None where the school has none); `default` is needed only when neither is given.
    """
    if pipeline_id is not None and chosen is None:
        raise InvalidOrder("pipeline_id", f"no pipeline {pipeline_id} in this school")
    if stage_id is not None:
        if of_stage is None:
            raise InvalidOrder("stage_id", f"no stage {stage_id} in this school")
        if pipeline_id is not None and of_stage.id != pipeline_id:
            raise InvalidOrder("stage_id", "the stage belongs to another pipeline")
        return of_stage.id, stage_id
    if chosen is not None:
        return chosen.id, chosen.first_stage
    assert default is not None, "a school always has its default pipeline (made on first use)"
    return default.id, default.first_stage


class Visit(NamedTuple):
    """What the school has for a visit to an offer: the order already made for its checkout (then
    nothing else is done), the school's default pipeline (None before its first use), its contact
    with the visit's email (None for a new email) and the number the new order takes."""

    existing_order: UUID | None
    default: Pipeline | None
    contact: Contact | None
    number: int | None


@dataclass(frozen=True)
class Intake:
    """A visit's new order as it is written, in one go: the order (placed in the default pipeline's
    first stage, priced as the offer was, its history so far) with its contact, new or the school's
    own given only what it lacks; and the school's name and locale, for a profile that lacks them."""

    order: Order
    school_name: str | None
    school_locale: str | None

    @property
    def contact(self) -> Contact:
        assert self.order.contact is not None
        return self.order.contact

    @classmethod
    def of_visit(cls, event: OfferOpened, visit: Visit, *, default: Pipeline, order_id: UUID,
                 new_contact_id: UUID) -> "tuple[Intake, list[Event]]":
        """The order a visit makes, where `visit` found the school's contact (or none) and its number,
        in `default`, the school's default pipeline; and its events. A new contact is `new_contact_id`."""
        assert visit.number is not None, "a number is taken for every checkout without its order"
        pipeline_id, stage_id = placement(pipeline_id=None, stage_id=None, chosen=None, of_stage=None,
                                          default=default)
        visitor, known = event.contact, visit.contact
        contact = (Contact(new_contact_id, visitor.name, str(visitor.email), visitor.phone, visitor.locale)
                   if known is None else
                   replace(known, **filled_by_a_visit(known, phone=visitor.phone, locale=visitor.locale)))
        order, events = Order.from_offer(event, order_id=order_id, number=visit.number, contact=contact,
                                         pipeline_id=pipeline_id, stage_id=stage_id)
        return cls(order, event.school_name, event.school_locale), events


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
