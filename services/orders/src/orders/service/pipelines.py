"""Pipelines: a school's funnels and their stages."""

from uuid import UUID, uuid4

from servicekit.idempotency import Idempotent

from ..entrypoints.bodies import NewPipeline, PipelineChanges, StageFields
from ..domain.actor import Actor
from ..domain.pipeline import InvalidPipeline, StageTemplate, check_stages, deletion_refused
from .errors import NotFound
from .placement import default_pipeline
from .unit_of_work import UnitOfWork


def _check(stages: list[StageFields]) -> None:
    check_stages([StageTemplate(s.name, s.on_full_payment, s.on_cancel) for s in stages])


async def create_pipeline(
    uow: UnitOfWork, actor: Actor, command: NewPipeline, *, idempotency: Idempotent | None = None
) -> UUID:
    """A repeat under its key is the pipeline it made, not a second one."""
    if (earlier := await uow.idempotency.made_before(str(actor.account_id), idempotency)) is not None:
        return earlier
    _check(command.stages)
    await default_pipeline(uow.pipelines, actor.account_id)  # the school's first pipeline stays its default
    pipeline_id = uuid4()
    await uow.pipelines.add(actor.account_id, pipeline_id, command.name)
    await uow.pipelines.replace_stages(actor.account_id, pipeline_id, [
        {"id": uuid4(), "name": s.name, "on_full_payment": s.on_full_payment, "on_cancel": s.on_cancel}
        for s in command.stages], [])
    if command.is_default:
        await uow.pipelines.make_default(actor.account_id, pipeline_id)
    await uow.idempotency.remember(str(actor.account_id), idempotency, pipeline_id)
    return pipeline_id


async def edit_pipeline(uow: UnitOfWork, actor: Actor, pipeline_id: UUID, changes: PipelineChanges) -> None:
    """Stages come in their new order; a stage given with its id is kept (orders stay in it), one
    without an id is new, and one left out is removed, unless orders are still in it."""
    if await uow.pipelines.lock(actor.account_id, pipeline_id) is None:
        raise NotFound(f"no pipeline {pipeline_id}")
    if changes.name is not None:
        await uow.pipelines.rename(pipeline_id, changes.name)
    if changes.stages is not None:
        _check(changes.stages)
        current = await uow.pipelines.stage_ids(pipeline_id)
        wanted = []
        for n, stage in enumerate(changes.stages):
            if stage.id is not None and stage.id not in current:
                raise InvalidPipeline(f"stages.{n}.id", f"no stage {stage.id} in this pipeline")
            wanted.append({"id": stage.id or uuid4(), "existing": stage.id is not None, "name": stage.name,
                           "on_full_payment": stage.on_full_payment, "on_cancel": stage.on_cancel})
        if len({s["id"] for s in wanted}) != len(wanted):
            raise InvalidPipeline("stages", "a stage is listed twice")
        removed = sorted(current - {s["id"] for s in wanted})
        busy = await uow.pipelines.stages_holding_orders(removed)
        if busy:
            raise InvalidPipeline("stages", f"stages still holding orders cannot be removed: "
                                            f"{', '.join(sorted(map(str, busy)))}")
        await uow.pipelines.replace_stages(actor.account_id, pipeline_id, wanted, removed)
    if changes.is_default:
        await uow.pipelines.make_default(actor.account_id, pipeline_id)


async def delete_pipeline(uow: UnitOfWork, actor: Actor, pipeline_id: UUID) -> None:
    """Only an empty pipeline that is not the default goes, with its stages.

    The row lock is taken before counting: an order moving in waits for it (the foreign key),
    so the count cannot go stale before the delete.
    """
    is_default = await uow.pipelines.lock(actor.account_id, pipeline_id)
    if is_default is None:
        raise NotFound(f"no pipeline {pipeline_id}")
    refused = deletion_refused(is_default=is_default, orders=await uow.pipelines.orders_in(pipeline_id))
    if refused is not None:
        raise refused
    await uow.pipelines.delete(pipeline_id)


async def ensure_default_pipeline(uow: UnitOfWork, account_id: UUID) -> None:
    await default_pipeline(uow.pipelines, account_id)
