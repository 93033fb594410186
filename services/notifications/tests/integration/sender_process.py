"""One email sender on its own, configured by NOTIFICATIONS_* variables: the replica the crash tests kill."""

import asyncio

from notifications.workers.sender import email_sender
from notifications.settings import Settings
from sqlalchemy.ext.asyncio import create_async_engine


async def main() -> None:
    settings = Settings()
    engine = create_async_engine(settings.database_url)
    sender = email_sender(engine, settings)
    await sender.start()
    print("sending", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
