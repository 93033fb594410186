"""A school's pipelines, on the in-memory unit of work: stages kept by id, and what may not go."""

import uuid

import pytest
from orders.entrypoints.bodies import NewPipeline, PipelineChanges
from orders.domain.actor import Actor
from orders.domain.pipeline import DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, InvalidPipeline, PipelineKept
from orders.service import NotFound, create_pipeline, delete_pipeline, edit_pipeline, ensure_default_pipeline

STAGES = [{"name": "New"}, {"name": "Paid", "on_full_payment": True}, {"name": "Lost", "on_cancel": True}]


def actor_of(school) -> Actor:
    return Actor(school.account, "manager-1", uuid.uuid4())


@pytest.fixture
def funnel(uow, school):
    uow.pipelines.defaults[school.account] = school.pipeline  # the school's default, from the first look on
    return uow.pipelines


async def test_a_new_pipeline_has_its_stages_in_order_and_becomes_the_default_only_when_asked(uow, funnel, school):
    first = await create_pipeline(uow, actor_of(school), NewPipeline(name="Webinars", stages=STAGES))
    assert funnel.names[first] == "Webinars" and funnel.defaults[school.account] == school.pipeline
    assert [funnel.stage_rows[s]["name"] for s in funnel.known[first][1]] == ["New", "Paid", "Lost"]
    second = await create_pipeline(uow, actor_of(school),
                                   NewPipeline(name="Courses", stages=STAGES, is_default=True))
    assert funnel.defaults[school.account] == second


async def test_an_edit_keeps_the_stages_given_by_id_and_refuses_removing_one_holding_orders(uow, funnel, school):
    pipeline_id = await create_pipeline(uow, actor_of(school), NewPipeline(name="Webinars", stages=STAGES))
    new, paid, lost = funnel.known[pipeline_id][1]
    funnel.busy_stages.add(lost)
    with pytest.raises(InvalidPipeline) as refused:
        await edit_pipeline(uow, actor_of(school), pipeline_id, PipelineChanges(stages=[
            {"id": str(paid), "name": "Paid", "on_full_payment": True}, {"name": "Cancelled", "on_cancel": True}]))
    assert refused.value.field == "stages" and str(lost) in refused.value.message
    await edit_pipeline(uow, actor_of(school), pipeline_id, PipelineChanges(name="Live", stages=[
        {"id": str(paid), "name": "Paid", "on_full_payment": True}, {"id": str(lost), "name": "Lost", "on_cancel": True},
        {"name": "Later"}]))
    assert funnel.names[pipeline_id] == "Live" and funnel.known[pipeline_id][1][:2] == [paid, lost]
    assert new not in funnel.stage_rows and pipeline_id in funnel.locked


async def test_an_edit_names_a_stage_of_another_pipeline_or_one_given_twice(uow, funnel, school):
    pipeline_id = await create_pipeline(uow, actor_of(school), NewPipeline(name="Webinars", stages=STAGES))
    new = funnel.known[pipeline_id][1][0]
    with pytest.raises(InvalidPipeline) as refused:
        await edit_pipeline(uow, actor_of(school), pipeline_id, PipelineChanges(stages=[
            {"id": str(school.stages[0]), "name": "New"}, *STAGES[1:]]))
    assert refused.value.field == "stages.0.id"
    with pytest.raises(InvalidPipeline) as refused:
        await edit_pipeline(uow, actor_of(school), pipeline_id, PipelineChanges(stages=[
            {"id": str(new), "name": "New"}, {"id": str(new), "name": "Again"}, *STAGES[1:]]))
    assert refused.value.field == "stages"
    with pytest.raises(NotFound):
        await edit_pipeline(uow, actor_of(school), uuid.uuid4(), PipelineChanges(name="X"))


async def test_only_an_empty_pipeline_other_than_the_default_is_deleted(uow, funnel, school):
    pipeline_id = await create_pipeline(uow, actor_of(school), NewPipeline(name="Webinars", stages=STAGES))
    funnel.orders[pipeline_id] = 2
    with pytest.raises(PipelineKept) as kept:
        await delete_pipeline(uow, actor_of(school), pipeline_id)
    assert kept.value.orders == 2
    with pytest.raises(PipelineKept) as kept:
        await delete_pipeline(uow, actor_of(school), school.pipeline)
    assert "default pipeline" in str(kept.value)
    funnel.orders[pipeline_id] = 0
    await delete_pipeline(uow, actor_of(school), pipeline_id)
    assert pipeline_id not in funnel.known
    with pytest.raises(NotFound):
        await delete_pipeline(uow, actor_of(school), pipeline_id)


async def test_every_school_has_its_default_pipeline(uow, funnel, school):
    await ensure_default_pipeline(uow, school.account)
    assert funnel.defaults[school.account] == school.pipeline


async def test_a_school_without_pipelines_gets_the_default_funnel_on_its_first_look_once(uow, school):
    await ensure_default_pipeline(uow, school.account)
    made = uow.pipelines.defaults[school.account]
    assert made != school.pipeline and uow.pipelines.names[made] == DEFAULT_PIPELINE_NAME
    assert [uow.pipelines.stage_rows[s]["name"] for s in uow.pipelines.known[made][1]] == [
        s.name for s in DEFAULT_STAGES]
    await ensure_default_pipeline(uow, school.account)
    assert uow.pipelines.defaults[school.account] == made and len(uow.pipelines.known) == 2


async def test_a_first_pipeline_made_by_hand_leaves_the_default_funnel_the_default(uow, school):
    made = await create_pipeline(uow, actor_of(school), NewPipeline(name="Webinars", stages=STAGES))
    default = uow.pipelines.defaults[school.account]
    assert default != made and uow.pipelines.names[default] == DEFAULT_PIPELINE_NAME


async def test_a_default_made_by_a_concurrent_first_look_is_the_one_used(uow, school):
    pipelines = uow.pipelines
    add_default = pipelines.add_default

    async def raced(account_id, pipeline):
        await add_default(account_id, pipeline.__class__(uuid.uuid4(), pipeline.stages[:1], "Theirs", True))
        return await add_default(account_id, pipeline)  # the index refuses the second

    pipelines.add_default = raced
    await ensure_default_pipeline(uow, school.account)
    assert pipelines.names[pipelines.defaults[school.account]] == "Theirs"
