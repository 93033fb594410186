"""Migrations: contacts' languages stored before they were one type are kept as that type."""

import asyncio
import uuid

from contracts import ContactData
from orders.main import MIGRATIONS
from servicekit.migrations import upgrade
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# What a manual contact's language could be given as before (any text of 2 to 20 characters),
# and what it is once migrated.
STORED = {
    "uk": "uk", "uk_UA.UTF-8": "uk", " PL ": "pl", "de-AT": "de", "sr_RS@latin": "sr", "fil": "fil",
    "english": None, "??": None, "uk UA": None, None: None,
}


async def test_a_stored_tag_keeps_its_language_and_what_names_none_is_cleared(infra):
    url = await asyncio.to_thread(infra.new_database, "orders_langs")
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "0012")
    account = uuid.uuid4()
    ids = {stored: uuid.uuid4() for stored in STORED}
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for i, (stored, contact_id) in enumerate(ids.items()):
                await conn.execute(text(
                    "INSERT INTO contacts (id, account_id, name, email, email_key, locale) "
                    "VALUES (:id, :a, 'Ann', :e, :e, :l)"), {"id": contact_id, "a": account, "e": f"a{i}@x.io",
                                                             "l": stored})
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        async with engine.connect() as conn:
            rows = dict((await conn.execute(text("SELECT id, locale FROM contacts"))).all())
        assert {stored: rows[contact_id] for stored, contact_id in ids.items()} == STORED
        # Each is what the order card answers and OrderUpdated carries, read back unchanged.
        for locale in rows.values():
            assert ContactData(name="Ann", email="a@x.io", locale=locale).locale == locale
    finally:
        await engine.dispose()
