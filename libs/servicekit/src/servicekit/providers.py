"""Which payment providers a school can sell through: a copy of what payments announces.

Payments owns the schools' provider credentials and publishes `PaymentProvidersUpdated` with the
whole set whenever they change. A service that lets a school choose a provider (offers for an
offer, orders for a manual order) keeps the latest set here and refuses a provider the school
cannot be paid through, with a clear problem, instead of selling something no link can be made
for. The sandbox needs no credentials: it is usable exactly where the deployment turned it on.
"""

from collections.abc import Collection
from typing import Annotated
from uuid import UUID

from contracts import PaymentProvidersUpdated
from fastapi import Depends, Request
from sqlalchemy import ARRAY, Column, DateTime, MetaData, Table, Text, select
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from .db import EngineDep
from .http import AccountId, Problem

SANDBOX = "sandbox"


def providers_table(metadata: MetaData) -> Table:
    return Table(
        "payment_providers",
        metadata,
        Column("account_id", PG_UUID(as_uuid=True), primary_key=True),
        Column("providers", ARRAY(Text), nullable=False),
        # When payments said so: an older announcement arriving late never undoes a newer one.
        Column("announced_at", DateTime(timezone=True), nullable=False),
    )


_table = providers_table(MetaData())


async def on_providers_updated(conn: AsyncConnection, event: PaymentProvidersUpdated) -> None:
    """Keep the newest set payments announced for the school."""
    statement = insert(_table).values(
        account_id=event.account_id, providers=sorted(set(event.providers)), announced_at=event.occurred_at,
    )
    await conn.execute(statement.on_conflict_do_update(
        index_elements=[_table.c.account_id],
        set_={"providers": statement.excluded.providers, "announced_at": statement.excluded.announced_at},
        where=_table.c.announced_at < statement.excluded.announced_at,
    ))


async def configured_providers(conn: AsyncConnection, account_id: UUID) -> frozenset[str]:
    found = await conn.scalar(select(_table.c.providers).where(_table.c.account_id == account_id))
    return frozenset(found or ())


class UsableProviders:
    """The providers one school can sell through in this deployment, and the refusal of others."""

    def __init__(self, configured: Collection[str], *, sandbox_enabled: bool) -> None:
        self.configured = frozenset(configured)
        self.sandbox_enabled = sandbox_enabled

    def __contains__(self, provider: object) -> bool:
        return provider in self.configured or (provider == SANDBOX and self.sandbox_enabled)

    def refuse_unusable(self, provider: str | None, *, field: str = "provider") -> None:
        """A 422 naming the field when `provider` cannot take this school's payments (None: not chosen)."""
        if provider is None or provider in self:
            return
        if provider == SANDBOX:
            message = "the sandbox is off in this deployment: choose a provider the school has set up"
        else:
            message = (f"the school has no {provider} credentials yet: its owner sets them under the payment "
                       f"providers settings (PUT /api/v1/providers/{provider}); if they were just saved, "
                       "try again in a moment")
        if self.configured:
            message += f" (set up: {', '.join(sorted(self.configured))})"
        raise Problem(422, "Invalid request", f"{field}: {message}", errors=[{"field": field, "message": message}])


async def _usable(request: Request, account: AccountId, engine: EngineDep) -> UsableProviders:
    async with engine.connect() as conn:
        configured = await configured_providers(conn, account)
    return UsableProviders(configured, sandbox_enabled=getattr(request.app.state.settings, "sandbox_enabled", False))


# The route's school's usable providers; a route that takes a provider calls `.refuse_unusable`.
Usable = Annotated[UsableProviders, Depends(_usable)]
