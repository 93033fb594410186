import asyncio
import json
import sys

from servicekit.db import create_engine
from servicekit.logging import configure_logging
from servicekit.runtime import main

from .main import MIGRATIONS, create_app, providers_from
from .reconcile import reconcile
from .settings import Settings


async def _reconcile(settings: Settings) -> None:
    engine = create_engine(settings.database_url, pool_size=2)
    try:
        print(json.dumps(await reconcile(engine, providers_from(settings))))
    finally:
        await engine.dispose()


settings = Settings()
if len(sys.argv) > 1 and sys.argv[1] == "reconcile":
    configure_logging("payments", settings.log_level, as_json=settings.log_json)
    asyncio.run(_reconcile(settings))
else:
    main(name="payments", settings=settings, create_app=create_app, migrations_dir=MIGRATIONS,
         public_port=settings.public_http_port)
