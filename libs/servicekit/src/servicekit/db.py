"""Database engine and connection helpers (asyncpg under SQLAlchemy Core)."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .statements import count_statements


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # No pre-ping: it costs a round trip per transaction. A connection broken by a database
    # restart fails once; consumers retry that as transient, HTTP callers get a 500 and retry.
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
    return count_statements(engine)


def asyncpg_dsn(url: str) -> str:
    """The same database as a plain libpq URL, for raw asyncpg connections (LISTEN)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


# Routes open their own transaction (`async with engine.begin()`), so a 2xx is only
# ever sent after the commit.
EngineDep = Annotated[AsyncEngine, Depends(_engine)]
