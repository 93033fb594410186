"""A school's provider credentials: stored sealed, and announced to the services that sell."""

from typing import Any
from uuid import UUID

from contracts import PaymentProvidersUpdated

from ..domain.payment import PlanInvalid
from ..domain.providers import PaymentProvider, changed_settings
from .unit_of_work import UnitOfWork


async def set_credentials(
    uow: UnitOfWork, account_id: UUID, provider: str, settings: dict[str, Any], *,
    correlation_id: UUID,
) -> None:
    """Offers and orders learn the school can now sell through `provider`; links that waited
    for these credentials are asked for at once instead of at their next backoff."""
    await uow.credentials.put(account_id, provider, settings)
    await uow.outbox.add(PaymentProvidersUpdated(
        account_id=account_id, correlation_id=correlation_id,
        providers=await uow.credentials.configured(account_id),
    ))
    await uow.link_requests.wake(account_id, provider)


async def change_credentials(
    uow: UnitOfWork, account_id: UUID, provider: PaymentProvider, changes: dict[str, Any], *,
    correlation_id: UUID,
) -> dict[str, Any]:
    """Some of a school's settings changed, the rest (its secrets unless new ones are sent) kept:
    the whole is checked as the provider's settings and sealed again as set_credentials seals it.
    Raises ProviderNotSetUp when there is nothing stored to keep, and pydantic's ValidationError
    when what the change leaves is not a whole set of settings."""
    assert provider.settings_model is not None
    stored = await uow.credentials.get(account_id, provider.name, for_update=True)
    merged = changed_settings(stored, changes, provider.name)
    settings = provider.settings_model.model_validate(merged).model_dump(exclude_none=True)
    await set_credentials(uow, account_id, provider.name, settings, correlation_id=correlation_id)
    return settings


async def announce_all(uow: UnitOfWork, *, correlation_id: UUID) -> int:
    """Announce every school's providers again (after a consumer's copy was lost); returns how many."""
    schools = await uow.credentials.schools()
    await uow.outbox.add(*[
        PaymentProvidersUpdated(account_id=account_id, correlation_id=correlation_id, providers=providers)
        for account_id, providers in schools.items()
    ])
    return len(schools)


async def require_credentials(uow: UnitOfWork, account_id: UUID, provider: str) -> None:
    """A payment a team member adds goes through a provider the school has set up."""
    if provider not in await uow.credentials.configured(account_id):
        raise PlanInvalid("provider", 
            f"the school has no {provider} credentials yet: its owner sets them under the payment providers "
            f"settings (PUT /api/v1/providers/{provider})"
        )
