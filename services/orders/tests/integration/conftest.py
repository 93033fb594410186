"""What the orders tests share: a school whose catalog orders has heard of."""

import uuid

import pytest
from contracts import LessonOutline, ModuleOutline, ProductUpdated
from orders import main

# Products every new school sells (manual lines may sell only catalog products); each has one
# module (id + 1000) with one lesson (id + 2000).
CATALOG = tuple(uuid.UUID(int=n) for n in (0, 1, 2, 7, 100, 101))


def product_announced(account: uuid.UUID, product_id: uuid.UUID) -> ProductUpdated:
    return ProductUpdated(
        account_id=account, correlation_id=uuid.uuid4(), product_id=product_id, title=f"Course {product_id.int}",
        kind="course", modules=[ModuleOutline(id=uuid.UUID(int=product_id.int + 1000), title="Basics", lessons=[
            LessonOutline(id=uuid.UUID(int=product_id.int + 2000), title="Intro")])])


@pytest.fixture
def new_school():
    """`await new_school(app)`: a new account whose catalog the service has, as its consumer applies it."""

    async def make(app, products=CATALOG) -> uuid.UUID:
        account = uuid.uuid4()
        async with app.state.engine.begin() as conn:
            for product_id in products:
                await main.on_product_updated(conn, product_announced(account, product_id))
        return account

    return make
