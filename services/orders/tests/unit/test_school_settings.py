"""A school's own CRM settings, on the in-memory unit of work."""

import uuid

import pytest
from orders.entrypoints.bodies import SchoolSettings
from orders.domain.actor import Actor
from orders.domain.order import InvalidOrder
from orders.service import set_settings


def actor_of(school) -> Actor:
    return Actor(school.account, "manager-1", uuid.uuid4())


async def test_only_the_settings_given_change_and_a_region_is_kept_in_capitals(uow, school):
    await set_settings(uow, actor_of(school), SchoolSettings(phone_region="ua"))
    await set_settings(uow, actor_of(school), SchoolSettings(unpaid_expiry_days=14))
    assert uow.schools.settings[school.account] == {"phone_region": "UA", "unpaid_expiry_days": 14}
    assert (await uow.schools.profile(school.account)).phone_region == "UA"
    await set_settings(uow, actor_of(school), SchoolSettings.model_validate({"unpaid_expiry_days": None}))
    assert uow.schools.settings[school.account] == {"phone_region": "UA", "unpaid_expiry_days": None}


async def test_nothing_given_writes_nothing(uow, school):
    await set_settings(uow, actor_of(school), SchoolSettings())
    assert school.account not in uow.schools.settings


async def test_a_region_without_known_phone_numbers_is_refused_naming_its_field(uow, school):
    with pytest.raises(InvalidOrder) as refused:
        await set_settings(uow, actor_of(school), SchoolSettings(phone_region="zz"))
    assert refused.value.field == "phone_region" and refused.value.message.startswith("ZZ ")
    assert school.account not in uow.schools.settings
