"""Setting the school's profile: saved and announced, once per change."""

import uuid

from contracts import SchoolUpdated
from offers import service
from offers.domain.school import SchoolProfile


async def test_a_new_profile_is_saved_and_announced(uow):
    account, correlation = uuid.uuid4(), uuid.uuid4()
    profile = SchoolProfile(name="Kyiv Code School", default_locale="uk", time_zone="Europe/Kyiv",
                            reply_to="hello@kyiv.example")
    await service.set_school(uow, account, profile, correlation)
    assert uow.schools.profiles[account] == profile
    assert uow.schools.held == [account]  # held before it is read, so announcements keep their order
    [event] = uow.outbox.events
    assert isinstance(event, SchoolUpdated)
    assert (event.account_id, event.correlation_id, event.name, event.default_locale, event.time_zone,
            event.reply_to) == (account, correlation, "Kyiv Code School", "uk", "Europe/Kyiv", "hello@kyiv.example")


async def test_setting_the_same_profile_again_writes_and_announces_nothing(uow):
    account = uuid.uuid4()
    uow.schools.profiles[account] = SchoolProfile(name="Kyiv Code School")
    await service.set_school(uow, account, SchoolProfile(name="Kyiv Code School"), uuid.uuid4())
    assert uow.schools.saves == 0 and uow.outbox.events == []


async def test_a_changed_profile_replaces_the_old_one_and_is_announced(uow):
    account = uuid.uuid4()
    uow.schools.profiles[account] = SchoolProfile(name="Kyiv Code School")
    await service.set_school(uow, account, SchoolProfile(name="Lviv Code School", default_locale="uk"), uuid.uuid4())
    assert uow.schools.profiles[account] == SchoolProfile(name="Lviv Code School", default_locale="uk")
    assert [(e.name, e.default_locale) for e in uow.outbox.of(SchoolUpdated)] == [("Lviv Code School", "uk")]
