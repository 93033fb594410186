"""Where an order goes in the school's funnel."""

from uuid import UUID

from ..domain.order import InvalidOrder
from .unit_of_work import Pipelines


async def place(pipelines: Pipelines, account: UUID, pipeline_id: UUID | None, stage_id: UUID | None) -> tuple[UUID, UUID]:
    """The chosen pipeline and stage, or the default pipeline and its first stage."""
    if pipeline_id is not None and not await pipelines.exists(account, pipeline_id):
        raise InvalidOrder("pipeline_id", f"no pipeline {pipeline_id} in this school")
    if stage_id is not None:
        of_stage = await pipelines.pipeline_of_stage(account, stage_id)
        if of_stage is None:
            raise InvalidOrder("stage_id", f"no stage {stage_id} in this school")
        if pipeline_id is not None and of_stage != pipeline_id:
            raise InvalidOrder("stage_id", "the stage belongs to another pipeline")
        return of_stage, stage_id
    if pipeline_id is not None:
        return pipeline_id, await pipelines.first_stage(pipeline_id)
    return await pipelines.default(account)
