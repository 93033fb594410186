"""What the HTTP routes share: the unit of work a use case runs on."""

from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from ..service import UnitOfWorkFactory


async def _unit_of_work(request: Request) -> UnitOfWorkFactory:
    return partial(request.app.state.unit_of_work, request.app.state.engine)


# `async with unit_of_work() as uow`: one use case's transaction, committed when the block ends.
UnitOfWorkDep = Annotated[UnitOfWorkFactory, Depends(_unit_of_work)]
