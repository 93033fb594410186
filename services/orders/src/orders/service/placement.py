"""Where an order goes in the school's funnel, and the default funnel a school gets on first use."""

from uuid import UUID

from ..domain.pipeline import Pipeline, new_default_pipeline, placement
from .unit_of_work import Pipelines


async def default_pipeline(pipelines: Pipelines, account: UUID) -> Pipeline:
    """The school's default pipeline, made on first use."""
    found = await pipelines.default(account)
    if found is not None:
        return found
    made = new_default_pipeline()
    if await pipelines.add_default(account, made):
        return made
    found = await pipelines.default(account)  # made by a concurrent first use, now committed
    assert found is not None
    return found


async def place(pipelines: Pipelines, account: UUID, pipeline_id: UUID | None, stage_id: UUID | None) -> tuple[UUID, UUID]:
    """The chosen pipeline and stage, or the default pipeline and its first stage (domain.pipeline.placement)."""
    chosen = await pipelines.get(account, pipeline_id) if pipeline_id is not None else None
    of_stage = await pipelines.holding(account, stage_id) if stage_id is not None else None
    default = await default_pipeline(pipelines, account) if pipeline_id is None and stage_id is None else None
    return placement(pipeline_id=pipeline_id, stage_id=stage_id, chosen=chosen, of_stage=of_stage, default=default)
