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
