"""A school's provider credentials: stored sealed, and announced to the services that sell."""

from typing import Any
from uuid import UUID

from contracts import PaymentProvidersUpdated
from servicekit.outbox import add_to_outbox
from sqlalchemy.ext.asyncio import AsyncConnection

from ..adapters import repository as repo
from ..adapters.sealing import Sealer
from ..adapters.tables import outbox
from ..domain.payment import PlanInvalid
from ..domain.providers import PaymentProvider, changed_settings


async def set_credentials(
    conn: AsyncConnection, sealer: Sealer, account_id: UUID, provider: str, settings: dict[str, Any], *,
    correlation_id: UUID,
) -> None:
    """Offers and orders learn the school can now sell through `provider`; links that waited
    for these credentials are asked for at once instead of at their next backoff."""
    await repo.put_provider_settings(conn, sealer, account_id, provider, settings)
    await add_to_outbox(conn, outbox, PaymentProvidersUpdated(
        account_id=account_id, correlation_id=correlation_id,
        providers=await repo.configured_providers(conn, account_id),
    ))
    await repo.wake_link_requests(conn, account_id, provider)


async def change_credentials(
    conn: AsyncConnection, sealer: Sealer, account_id: UUID, provider: PaymentProvider, changes: dict[str, Any], *,
    correlation_id: UUID,
) -> dict[str, Any]:
    """Some of a school's settings changed, the rest (its secrets unless new ones are sent) kept:
    the whole is checked as the provider's settings and sealed again as set_credentials seals it.
    Raises ProviderNotSetUp when there is nothing stored to keep, and pydantic's ValidationError
    when what the change leaves is not a whole set of settings."""
    assert provider.settings_model is not None
    stored = await repo.provider_settings(conn, sealer, account_id, provider.name, for_update=True)
    merged = changed_settings(stored, changes, provider.name)
    settings = provider.settings_model.model_validate(merged).model_dump(exclude_none=True)
    await set_credentials(conn, sealer, account_id, provider.name, settings, correlation_id=correlation_id)
    return settings


async def announce_all(conn: AsyncConnection, *, correlation_id: UUID) -> int:
    """Announce every school's providers again (after a consumer's copy was lost); returns how many."""
    schools = await repo.schools_with_providers(conn)
    await add_to_outbox(conn, outbox, *[
        PaymentProvidersUpdated(account_id=account_id, correlation_id=correlation_id, providers=providers)
        for account_id, providers in schools.items()
    ])
    return len(schools)


async def require_credentials(conn: AsyncConnection, account_id: UUID, provider: str) -> None:
    """A payment a team member adds goes through a provider the school has set up."""
    if provider not in await repo.configured_providers(conn, account_id):
        raise PlanInvalid("provider", 
            f"the school has no {provider} credentials yet: its owner sets them under the payment providers "
            f"settings (PUT /api/v1/providers/{provider})"
        )
