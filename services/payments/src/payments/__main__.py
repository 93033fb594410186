import asyncio
import json
import sys
from uuid import uuid4

from servicekit.db import create_engine
from servicekit.logging import configure_logging
from servicekit.runtime import main

from .adapters.repository import reseal_provider_settings
from .adapters.sealing import Sealer, new_key
from .adapters.unit_of_work import SqlUnitOfWork
from .main import MIGRATIONS, create_app, providers_from
from .reconcile import reconcile
from .service import announce_all
from .settings import Settings


async def _reconcile(settings: Settings) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        print(json.dumps(await reconcile(engine, providers_from(settings), Sealer(settings.credentials_keys))))
    finally:
        await engine.dispose()


async def _reseal(settings: Settings) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with engine.begin() as conn:
            print(json.dumps({"resealed": await reseal_provider_settings(conn, Sealer(settings.credentials_keys))}))
    finally:
        await engine.dispose()


async def _announce(settings: Settings) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        async with SqlUnitOfWork.begin(engine) as uow:
            print(json.dumps({"announced": await announce_all(uow, correlation_id=uuid4())}))
    finally:
        await engine.dispose()


settings = Settings()
command = sys.argv[1] if len(sys.argv) > 1 else "serve"
if command == "reconcile":
    configure_logging("payments", settings.log_level, as_json=settings.log_json)
    asyncio.run(_reconcile(settings))
elif command == "reseal":
    # After a new credentials key is put first: seal every row with it, so the old key can go.
    asyncio.run(_reseal(settings))
elif command == "announce-providers":
    # The relay (a running payments service) publishes them: offers and orders rebuild their copy.
    asyncio.run(_announce(settings))
elif command == "new-key":
    print(new_key())
else:
    main(name="payments", settings=settings, create_app=create_app, migrations_dir=MIGRATIONS,
         public_port=settings.public_http_port)
