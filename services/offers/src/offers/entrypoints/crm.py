"""CRM routes of the offers service: the school, its products and offers. Thin, no rules."""

import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response, status
from servicekit.api import problem_responses
from servicekit.db import EngineDep
from servicekit.http import AccountId, Problem, current_correlation_id
from servicekit.idempotency import IdempotencyKeyHeader, fingerprinted
from servicekit.providers import Usable

from .. import service, views
from ..domain.pricing import Discount, PlanPayment
from ..domain.product import CourseDefaults, ModuleDraft
from ..domain.school import SchoolProfile
from .answers import OfferCard, OfferList, OfferVersions, ProductCard, ProductList, SchoolCard
from .common import UnitOfWorkDep
from .bodies import (
    CourseDefaultsIn, DiscountIn, ModuleIn, OfferIn, OfferItemIn, OfferPatch, PlanPaymentIn, ProductIn, ProductPatch,
    SchoolIn,
)

# Every CRM route can answer these before its own code runs: no proof, a path or query the input
# rules refuse, and load shedding. Each route adds what it can refuse itself (403: a viewer's write).
router = APIRouter(tags=["offers"], responses=problem_responses(401, 422, 503))


def _modules(modules: list[ModuleIn]) -> list[ModuleDraft]:
    return [ModuleDraft(m.title, tuple((lesson.id, lesson.title) for lesson in m.lessons), m.id) for m in modules]


def _defaults(d: CourseDefaultsIn) -> CourseDefaults:
    return CourseDefaults(
        lesson_delays=tuple((x.lesson_id, x.days) for x in d.lesson_delays),
        practice_lesson_ids=tuple(d.practice_lesson_ids), checkpoints=d.checkpoints, comments=d.comments,
        certificate=d.certificate, certificate_conditions=d.certificate_conditions,
    )


def _discount(d: Any) -> Discount:
    if d is None:
        return Discount()
    if isinstance(d, DiscountIn):
        return Discount(d.kind, d.value)
    return Discount("amount", d)


def _plan(plan: list[PlanPaymentIn] | None) -> list[PlanPayment] | None:
    if plan is None:
        return None
    return [PlanPayment(p.type, p.amount, p.due_at, p.closes_access) for p in plan]


def _items(items: list[OfferItemIn]) -> list[service.ItemDraft]:
    return [(i.product_id, i.price, i.access) for i in items]


@router.put("/school", response_model=SchoolCard, responses=problem_responses(403),
            summary="Set the school's profile")
async def put_school(body: SchoolIn, account: AccountId, unit_of_work: UnitOfWorkDep) -> dict[str, Any]:
    async with unit_of_work() as uow:
        await service.set_school(uow, account, SchoolProfile(**body.model_dump()), current_correlation_id())
    return body.model_dump()


@router.get("/school", response_model=SchoolCard, responses=problem_responses(404),
            summary="The school's profile")
async def get_school(account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.school(conn, account)
    if found is None:
        raise Problem(404, "Not found", "this school has no profile yet")
    return found


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductCard,
             responses=problem_responses(403), summary="Create a product with its course structure")
async def create_product(body: ProductIn, account: AccountId, unit_of_work: UnitOfWorkDep,
                         idempotency_key: IdempotencyKeyHeader) -> dict[str, Any]:
    async with unit_of_work() as uow:
        product = await service.create_product(
            uow, account, title=body.title, kind=body.kind, modules=_modules(body.modules),
            defaults=_defaults(body.defaults), correlation_id=current_correlation_id(),
            idempotency=fingerprinted(idempotency_key, body))
    return views.product_view(product)


@router.get("/products", response_model=ProductList, summary="The school's products")
async def list_products(account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        return {"items": await views.product_list(conn, account)}


@router.get("/products/{product_id}", response_model=ProductCard, responses=problem_responses(404),
            summary="A product")
async def get_product(product_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.product(conn, account, product_id)
    if found is None:
        raise Problem(404, "Not found", f"no product {product_id}")
    return found


@router.patch("/products/{product_id}", response_model=ProductCard, responses=problem_responses(403, 404),
              summary="Change a product's title, kind, structure or defaults")
async def update_product(product_id: UUID, body: ProductPatch, account: AccountId, unit_of_work: UnitOfWorkDep
                         ) -> dict[str, Any]:
    """`modules` replaces the whole structure; modules and lessons sent with their id keep it."""
    async with unit_of_work() as uow:
        product = await service.update_product(
            uow, account, product_id, title=body.title, kind=body.kind,
            modules=None if body.modules is None else _modules(body.modules),
            defaults=None if body.defaults is None else _defaults(body.defaults),
            correlation_id=current_correlation_id())
    return views.product_view(product)


@router.post("/offers", status_code=status.HTTP_201_CREATED, response_model=OfferCard,
             responses=problem_responses(403), summary="Create an offer (version 1)")
async def create_offer(body: OfferIn, account: AccountId, unit_of_work: UnitOfWorkDep, response: Response,
                       usable: Usable, idempotency_key: IdempotencyKeyHeader) -> dict[str, Any]:
    usable.refuse_unusable(body.provider)
    async with unit_of_work() as uow:
        offer = await service.create_offer(
            uow, account, title=body.title, currency=body.currency, items=_items(body.items),
            discount=_discount(body.discount), plan=_plan(body.payment_plan), curators=body.curators,
            provider=body.provider, status=body.status, correlation_id=current_correlation_id(),
            idempotency=fingerprinted(idempotency_key, body),
        )
    response.headers["ETag"] = views.etag(offer)
    return views.offer_view(offer)


@router.get("/offers", response_model=OfferList, summary="The school's offers")
async def list_offers(
    account: AccountId, engine: EngineDep,
    include_system_copies: Annotated[bool, Query(description="also the copies made for customised orders")] = False,
) -> dict[str, Any]:
    async with engine.connect() as conn:
        return {"items": await views.offers(conn, account, include_system_copies=include_system_copies)}


@router.get("/offers/{offer_id}", response_model=OfferCard, responses=problem_responses(404),
            summary="An offer, with its version as the ETag")
async def get_offer(offer_id: UUID, account: AccountId, engine: EngineDep, response: Response) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.offer(conn, account, offer_id)
    if found is None:
        raise Problem(404, "Not found", f"no offer {offer_id}")
    response.headers["ETag"] = views.etag(found)
    return views.offer_view(found)


@router.get("/offers/{offer_id}/versions", response_model=OfferVersions, responses=problem_responses(404),
            summary="Every version of an offer, oldest first")
async def offer_versions(offer_id: UUID, account: AccountId, engine: EngineDep) -> dict[str, Any]:
    async with engine.connect() as conn:
        found = await views.offer_versions(conn, account, offer_id)
    if found is None:
        raise Problem(404, "Not found", f"no offer {offer_id}")
    return {"items": found}


_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def _expected_version(if_match: str | None, body_version: int | None) -> int:
    from_header = None
    if if_match is not None:
        matched = _ETAG.match(if_match)
        if matched is None:
            raise Problem(422, "Invalid request", "If-Match takes the ETag a GET of the offer returned",
                          errors=[{"field": "If-Match", "message": "not an ETag of this offer"}])
        from_header = int(matched.group(1))
    if from_header is not None and body_version is not None and from_header != body_version:
        raise Problem(422, "Invalid request", "If-Match and version name different versions",
                      errors=[{"field": "version", "message": "differs from If-Match"}])
    expected = from_header if from_header is not None else body_version
    if expected is None:
        raise Problem(428, "Version required",
                      "send the version you edited (If-Match with the offer's ETag, or `version`)",
                      errors=[{"field": "version", "message": "required"}])
    return expected


_NOT_NULL = ("title", "currency", "items", "provider", "status")


@router.patch("/offers/{offer_id}", response_model=OfferCard, responses=problem_responses(403, 404, 409, 428),
              summary="Change an offer: a new version, made on the one named")
async def update_offer(
    offer_id: UUID, body: OfferPatch, account: AccountId, unit_of_work: UnitOfWorkDep, response: Response,
    usable: Usable, if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Only the fields sent change; every change is a new version. A stale version is a 409."""
    expected = _expected_version(if_match, body.version)
    if "provider" in body.model_fields_set:
        usable.refuse_unusable(body.provider)
    given = body.model_fields_set - {"version"}
    changes: dict[str, Any] = {}
    for name in given:
        value = getattr(body, name)
        if name in _NOT_NULL and value is None:
            raise Problem(422, "Invalid request", f"{name} cannot be null",
                          errors=[{"field": name, "message": "cannot be null"}])
        if name == "items":
            changes["items"] = _items(value)
        elif name == "discount":
            changes["discount"] = _discount(value)
        elif name == "payment_plan":
            changes["plan"] = _plan(value)
        elif name == "curators":
            changes["curators"] = list(value or [])
        else:
            changes[name] = value
    async with unit_of_work() as uow:
        offer = await service.update_offer(uow, account, offer_id, expected_version=expected, changes=changes,
                                           correlation_id=current_correlation_id())
    response.headers["ETag"] = views.etag(offer)
    return views.offer_view(offer)
