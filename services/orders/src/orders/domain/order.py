"""The order: what one contact gets, at what price, how much of it is paid, and the access it opens."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Literal, NamedTuple
from uuid import UUID, uuid4

from contracts import (
    CURRENCY_EXPONENTS, MAX_AMOUNT, AccessChanged, AccessTerms, ContactData, DiscountKind, Event, OfferCopyLine, OfferCopyRequested,
    OfferOpened, OfferUpdated, OrderCreated, OrderLine, OrderUpdated, PaymentCancelled, PaymentOverdue,
    PaymentRefunded, PaymentSucceeded, PlannedPayment, check_currency, check_scale, quantize,
)

from .access import AccessWindow, order_window
from .actor import SYSTEM, Actor

# What kind of deal an order is, for the team's reports; it changes no rule.
#   regular: a first purchase; renewal: the same product again after access ended;
#   upsell: an addition to something the contact already has; gift: granted at no charge.
OrderType = Literal["regular", "renewal", "upsell", "gift"]


class InvalidOrder(ValueError):
    """A value the order cannot take (`message`), and the request field that carried it (`field`).

    The problem lists them in `errors` (servicekit.http.field_errors): the message alone beside
    the field, as the CRM shows it, where the detail names the field first.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_amount(field: str, amount: Decimal, currency: str) -> Decimal:
    if amount < 0:
        raise InvalidOrder(field, "must not be negative")
    try:
        return check_scale(amount, currency)
    except ValueError as exc:
        raise InvalidOrder(field, str(exc)) from None


HUNDRED = Decimal(100)
# As offers take a percent: to a hundredth of a basis point, which is what the column keeps.
PERCENT_STEP = Decimal("0.0001")


def round_half_up(amount: Decimal, currency: str) -> Decimal:
    """To the currency's minor unit, halves away from zero, as a receipt and the offers round."""
    return amount.quantize(Decimal(1).scaleb(-CURRENCY_EXPONENTS[check_currency(currency)]), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Discount:
    """The discount as the manager gave it: an `amount` off the subtotal, or a `percent` of it.

    A percent is the rule, the amount its result: when the lines change, the amount follows them.
    """

    kind: DiscountKind = "amount"
    value: Decimal = Decimal(0)

    @classmethod
    def of(cls, given: Any) -> "Discount":
        """A request's discount: a bare amount, or something naming its kind and value."""
        if isinstance(given, Decimal):
            return cls("amount", given)
        return cls(given.kind, given.value)

    @property
    def percent(self) -> Decimal | None:
        return self.value if self.kind == "percent" else None

    def amount_off(self, subtotal: Decimal, currency: str) -> Decimal:
        if self.kind == "amount":
            return check_amount("discount", self.value, currency)
        if self.value < 0:
            raise InvalidOrder("discount.value", "a percent discount must not be negative")
        if self.value > HUNDRED:
            raise InvalidOrder("discount.value", f"a percent discount is at most 100, not {self.value}")
        if self.value != self.value.quantize(PERCENT_STEP):
            raise InvalidOrder("discount.value", "a percent discount has at most 4 decimal places")
        return round_half_up(subtotal * self.value / HUNDRED, currency)


class Priced(NamedTuple):
    subtotal: Decimal
    discount: Decimal
    total: Decimal


def priced(prices: Iterable[Decimal], discount: Discount, currency: str) -> Priced:
    """Subtotal of lines at these prices, the discount's amount off it, and what is left (never below zero)."""
    subtotal = sum(prices, Decimal(0))
    if subtotal >= MAX_AMOUNT:
        raise InvalidOrder("lines", f"the lines add up to {subtotal}, more than an order can cost")
    off = discount.amount_off(subtotal, currency)
    if off > subtotal:
        raise InvalidOrder("discount", f"the discount {off} is above the subtotal {subtotal}")
    return Priced(subtotal, off, subtotal - off)


def price(prices: Iterable[Decimal], discount: Decimal, currency: str) -> tuple[Decimal, Decimal]:
    """Subtotal and total of lines at these prices, less an amount off (never below zero)."""
    subtotal, _, total = priced(prices, Discount("amount", discount), currency)
    return subtotal, total


def check_plan(amounts: list[Decimal], total: Decimal, currency: str) -> None:
    """The planned payments add up to the total, to the minor unit."""
    for n, amount in enumerate(amounts):
        check_amount(f"payments.{n}.amount", amount, currency)
        if amount == 0:
            raise InvalidOrder(f"payments.{n}.amount", "a payment must be above zero")
    if amounts and sum(amounts, Decimal(0)) != total:
        raise InvalidOrder("payments", f"the payments add up to {sum(amounts, Decimal(0))}, not the total {total}")


class PaymentStatus(StrEnum):
    NOT_PAID = "not_paid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    OVERPAID = "overpaid"
    REFUNDED = "refunded"


def payment_status(total: Decimal, paid: Decimal, refunded: Decimal = Decimal(0)) -> PaymentStatus:
    """Derived from the total and the money received; never set by hand."""
    if refunded > 0 and paid - refunded <= 0:
        return PaymentStatus.REFUNDED
    net = paid - refunded
    if net <= 0:
        # A free order (total 0) counts as paid as soon as it exists.
        return PaymentStatus.PAID if total == 0 else PaymentStatus.NOT_PAID
    if net < total:
        return PaymentStatus.PARTIALLY_PAID
    if net == total:
        return PaymentStatus.PAID
    return PaymentStatus.OVERPAID


FULLY_PAID = frozenset({PaymentStatus.PAID, PaymentStatus.OVERPAID})


def amount_due(total: Decimal, paid: Decimal, refunded: Decimal = Decimal(0)) -> Decimal:
    """What is still owed; an overpaid order owes nothing (the surplus is not a negative due)."""
    return max(total - (paid - refunded), Decimal(0))


def becomes_fully_paid(before: str, after: str) -> bool:
    """Whether a change of the money or the total is the one that made the order fully paid."""
    return PaymentStatus(after) in FULLY_PAID and PaymentStatus(before) not in FULLY_PAID


class PaymentMismatch(ValueError):
    """A payment in another currency than the order's cannot be counted."""


class StaleVersion(Exception):
    """The order moved on since the version the client edited."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the order changed since you loaded it (now version {current}); reload and retry")
        self.current = current
        # The version to reload, for the editor to show what changed meanwhile.
        self.facts = {"current_version": current}


class Unchanged(Exception):
    """The request changes nothing: nothing is written."""


@dataclass(frozen=True)
class Contact:
    """Who the order is for, as OrderUpdated names them."""

    id: UUID
    name: str
    email: str
    phone: str | None = None
    locale: str | None = None


# One contact per email in a school: a repeated visit to an offer fills these when the contact has
# none, and never overwrites what the contact (or the team) already gave.
FILLED_BY_A_VISIT = ("phone", "locale")


def filled_by_a_visit(known: Contact, *, phone: str | None, locale: str | None) -> dict[str, str]:
    """What a visit (or a manual order typing the contact in) adds to the contact the school already
    has under that email: only what it lacks; the name and anything it has stay as they are."""
    given = {"phone": phone, "locale": locale}
    return {f: given[f] for f in FILLED_BY_A_VISIT if getattr(known, f) is None and given[f] is not None}


@dataclass(frozen=True)
class Funnel:
    """The stages of the order's pipeline that its own rules move it to."""

    pipeline_id: UUID | None = None
    first_stage: UUID | None = None
    on_full_payment: UUID | None = None
    on_cancel: UUID | None = None


@dataclass
class Line:
    """A product of the order, at its agreed price and terms, and the window last announced for it."""

    id: UUID
    product_id: UUID
    product_title: str
    price: Decimal
    terms: AccessTerms
    offer_id: UUID | None = None
    offer_title: str | None = None
    customised: bool = False
    offer_version: int | None = None
    position: int = 0
    window: AccessWindow | None = None
    # The overdue payment a suspended window was last announced with.
    window_hold: UUID | None = None


@dataclass(frozen=True)
class Received:
    """A confirmed payment counted towards the order."""

    payment_id: UUID
    amount: Decimal
    paid_at: datetime


@dataclass(frozen=True)
class Entry:
    """One row of the order's history: who, what kind of change, and its details."""

    actor: str
    kind: str
    details: dict[str, Any]


# What OrderCreated names a school that has not said its name.
DEFAULT_SCHOOL_NAME = "Online school"
# What OrderChanges may set, besides the version the client saw.
EDITABLE = ("type", "managers", "tags", "comment", "contact_id", "discount", "pipeline_id", "stage_id", "status")
# The card's fields a payment fact can change besides `paid` (net of refunds) and `access_suspended`.
_MONEY_FIELDS = ("refunded", "payment_status", "stage_id", "paid_at")
# The title of the system copy of an offer whose terms an order changed.
COPY_SUFFIX = " (Copy system)"
# Written when they change, never shown as an edit.
_UNSHOWN = ("closed_at", "reopened_at")


def _shown(before: dict[str, Any], settled: dict[str, Any]) -> dict[str, Any]:
    """A line edit's consequences for the order, for its history entry."""
    if not settled:
        return {}
    return {"order_changes": {k: {"before": before[k], "after": v} for k, v in settled.items()}}


@dataclass
class Order:
    """The order aggregate: the card, its lines, the payments picture, the holds and the access windows.

    Its methods apply one command or fact, keep every rule that ties those together, record the
    history entries (`entries`, written when the order is saved) and return the events to announce.
    `status` is the payment status, as it always was on this class; the order's own lifecycle
    (active, cancelled, expired) is `state`.
    """

    id: UUID
    account_id: UUID
    number: int
    currency: str
    total: Decimal
    paid: Decimal = Decimal(0)
    stage_id: UUID | None = None
    version: int = 1
    counted_payments: set[UUID] = field(default_factory=set)
    refunded: Decimal = Decimal(0)
    contact: Contact | None = None
    funnel: Funnel = field(default_factory=Funnel)
    state: str = "active"
    type: str = "regular"
    managers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    comment: str | None = None
    subtotal: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    discount_percent: Decimal | None = None
    payment_status: str | None = None  # as last stored; None: derive it
    paid_at: datetime | None = None
    first_paid_at: datetime | None = None
    # Overdue payments holding access closed, in their order of arrival, with what each PaymentOverdue said.
    holds: dict[UUID, dict[str, Any]] = field(default_factory=dict)
    closed_at: datetime | None = None
    reopened_at: datetime | None = None
    source: str = "manual"  # page, widget or manual
    checkout_id: UUID | None = None
    offer_id: UUID | None = None
    lines: list[Line] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)  # counted since loaded, to be saved
    entries: list[Entry] = field(default_factory=list)  # history since loaded, to be saved

    def __post_init__(self) -> None:
        if self.payment_status is None:
            self.payment_status = self.status.value

    @classmethod
    def from_offer(
        cls, event: OfferOpened, *, order_id: UUID, number: int, contact: Contact, pipeline_id: UUID, stage_id: UUID,
    ) -> "tuple[Order, list[Event]]":
        """A visit to an offer makes an order with the offer's terms and prices as they were, placed
        where the caller found (the default pipeline's first stage); and its OrderCreated."""
        lines = [Line(uuid4(), line.product_id, line.product_title, line.price, line.access, offer_id=event.offer_id,
                      offer_title=event.offer_title, offer_version=event.offer_version, position=n)
                 for n, line in enumerate(event.lines)]
        order = cls(
            id=order_id, account_id=event.account_id, number=number, currency=event.currency, total=event.total,
            contact=contact, funnel=Funnel(pipeline_id), stage_id=stage_id, type="regular",
            subtotal=sum((line.price for line in lines), Decimal(0)), discount=event.discount, source=event.source,
            checkout_id=event.checkout_id, offer_id=event.offer_id, lines=lines,
        )
        order.entries.append(Entry(SYSTEM, "created", {
            "source": event.source, "offer_id": str(event.offer_id), "offer_version": event.offer_version,
            "checkout_id": str(event.checkout_id)}))
        return order, [OrderCreated.caused_by(
            event,
            order_id=order.id, order_number=number, checkout_id=event.checkout_id, offer_id=event.offer_id,
            school_name=event.school_name, contact_id=contact.id, contact=event.contact, currency=event.currency,
            lines=order.order_lines(quantized=False), discount=event.discount, total=event.total,
            payment_plan=event.payment_plan, provider=event.provider, send_payment_link=True,
            school_locale=event.school_locale, source=event.source,
        )]

    @classmethod
    def by_hand(
        cls, actor: Actor, *, order_id: UUID, number: int, currency: str, contact: Contact, pipeline_id: UUID,
        stage_id: UUID, lines: list[Line], prices: Priced, discount: Discount, payments: list[PlannedPayment],
        type: str = "regular", managers: list[str] | None = None, tags: list[str] | None = None,
        comment: str | None = None, provider: str, send_payment_link: bool = True, send_confirmation: bool = False,
        school_name: str | None = None, school_locale: str | None = None,
    ) -> "tuple[Order, list[Event]]":
        """An order a manager made: its lines checked and priced by the caller (`prices`, from
        `priced`, and a plan `check_plan` accepted); and its OrderCreated."""
        order = cls(
            id=order_id, account_id=actor.account_id, number=number, currency=currency, total=prices.total,
            contact=contact, funnel=Funnel(pipeline_id), stage_id=stage_id, type=type,
            managers=list(managers or []), tags=list(tags or []), comment=comment, subtotal=prices.subtotal,
            discount=prices.discount, discount_percent=discount.percent, source="manual", lines=lines,
        )
        order.entries.append(Entry(actor.user, "created", {
            "source": "manual", "payments": [p.model_dump(mode="json") for p in payments],
            "send_payment_link": send_payment_link, "send_confirmation": send_confirmation}))
        # None planned is one payment of the total; a free order has nothing to pay.
        plan = payments or ([PlannedPayment(amount=prices.total)] if prices.total > 0 else [])
        return order, [actor.event(
            OrderCreated,
            order_id=order.id, order_number=number, school_name=school_name or DEFAULT_SCHOOL_NAME,
            school_locale=school_locale, contact_id=contact.id,
            contact=ContactData(name=contact.name, email=contact.email, phone=contact.phone, locale=contact.locale),
            currency=currency, lines=order.order_lines(quantized=False), discount=prices.discount,
            total=prices.total, payment_plan=plan, provider=provider, send_payment_link=send_payment_link,
            source="manual", send_confirmation=send_confirmation,
        )]

    def order_lines(self, *, quantized: bool = True) -> list[OrderLine]:
        """The lines as events carry them; OrderCreated has always carried the prices as given."""
        return [OrderLine(line_id=line.id, product_id=line.product_id, product_title=line.product_title,
                          price=quantize(line.price, self.currency) if quantized else line.price,
                          offer_id=line.offer_id, access=line.terms)
                for line in self.lines]

    # --- the payments picture ------------------------------------------------------------

    @property
    def status(self) -> PaymentStatus:
        return payment_status(self.total, self.paid, self.refunded)

    @property
    def net_paid(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def due(self) -> Decimal:
        return amount_due(self.total, self.paid, self.refunded)

    @property
    def fully_paid(self) -> bool:
        return self.status in FULLY_PAID

    @property
    def pipeline_id(self) -> UUID | None:
        return self.funnel.pipeline_id

    @property
    def access_suspended(self) -> bool:
        return bool(self.holds)

    def record_refund(self, amount: Decimal, currency: str) -> None:
        """Money went back: it no longer counts as paid (never below nothing paid)."""
        if currency != self.currency:
            raise PaymentMismatch(f"refund in {currency} for an order in {self.currency}")
        self.refunded = min(self.refunded + amount, self.paid)
        self.payment_status = self.status.value
        self.version += 1

    def record_payment(self, payment_id: UUID, amount: Decimal, currency: str) -> bool:
        """Count a confirmed payment once; returns False if it was already counted."""
        if currency != self.currency:
            raise PaymentMismatch(f"payment in {currency} for an order in {self.currency}")
        if payment_id in self.counted_payments:
            return False
        self.counted_payments.add(payment_id)
        self.paid += amount
        self.payment_status = self.status.value
        self.version += 1
        return True

    # --- payment facts -----------------------------------------------------------------------

    def record_payment_succeeded(self, event: PaymentSucceeded, now: datetime) -> list[Event]:
        """Money arrived: count it once, recompute the payment status, move the stage on full payment,
        open access (or resume it, if this was the overdue payment holding it closed)."""
        before, was_fully_paid = self._card(), self.fully_paid
        if not self.record_payment(event.payment_id, event.amount, event.currency):
            return []
        if not was_fully_paid and self.fully_paid:
            self.paid_at = event.paid_at
            # Only an active order moves on: a cancelled one stays where cancelling put it.
            if self.state == "active":
                self.stage_id = self.funnel.on_full_payment or self.stage_id
        # Every access window hangs on the first money received, whatever order the facts arrive in.
        self.first_paid_at = min(self.first_paid_at or event.paid_at, event.paid_at)
        self.received.append(Received(event.payment_id, event.amount, event.paid_at))
        resumed = self._release(event.payment_id)
        details: dict[str, Any] = {
            "payment_id": str(event.payment_id), "amount": format(event.amount, "f"), "currency": event.currency,
            "method": event.method, "payment_status": self.status.value,
        }
        if event.marked_by:
            actor_name = event.marked_by
            details.update(marked_by=event.marked_by, summary=f"marked paid by {event.marked_by}")
        else:
            actor_name = event.provider or SYSTEM
            details["summary"] = f"paid through {event.provider}" if event.provider else "paid"
        if event.provider:
            details["provider"] = event.provider
        self.entries.append(Entry(actor_name, "payment_received", details))
        actor = Actor.of(event)
        return [*self._announce_if_changed(actor, before),
                *self.refresh_access(actor, "resumed" if resumed else "paid", now)]

    def record_payment_refunded(self, event: PaymentRefunded, now: datetime) -> list[Event]:
        before = self._card()
        self.record_refund(event.amount, event.currency)
        actor = Actor.of(event)
        self.entries.append(Entry(actor.user, "payment_refunded", {
            "payment_id": event.payment_id, "amount": event.amount, "currency": event.currency,
            "payment_status": self.status.value}))
        return [*self._announce_if_changed(actor, before), *self.refresh_access(actor, "refunded", now)]

    def record_payment_overdue(self, event: PaymentOverdue, now: datetime) -> list[Event]:
        """An overdue payment that closes access suspends every window until it is paid or cancelled."""
        before, actor = self._card(), Actor.of(event)
        self.entries.append(Entry(actor.user, "payment_overdue", {
            "payment_id": event.payment_id, "amount": event.amount, "due_at": event.due_at,
            "closes_access": event.closes_access}))
        said = {"amount": format(event.amount, "f"), "currency": event.currency, "due_at": event.due_at.isoformat()}
        if not (event.closes_access and self._hold(event.payment_id, said)):
            return []
        return [*self._announce_if_changed(actor, before), *self.refresh_access(actor, "overdue", now)]

    def record_payment_cancelled(self, event: PaymentCancelled, now: datetime) -> list[Event]:
        before, actor = self._card(), Actor.of(event)
        self.entries.append(Entry(actor.user, "payment_cancelled", {
            "payment_id": event.payment_id, "amount": event.amount}))
        if not self._release(event.payment_id):
            return []
        return [*self._announce_if_changed(actor, before), *self.refresh_access(actor, "resumed", now)]

    def _hold(self, payment_id: UUID, said: dict[str, Any]) -> bool:
        """Whether the payment is a new hold; holds keep their order of arrival (the first one is shown)."""
        if payment_id in self.holds:
            return False
        self.holds[payment_id] = said
        return True

    def _release(self, payment_id: UUID) -> bool:
        return self.holds.pop(payment_id, None) is not None

    def _card(self) -> tuple[Any, ...]:
        return (self.version, self.net_paid, self.access_suspended, *(getattr(self, f) for f in _MONEY_FIELDS))

    def _announce_if_changed(self, actor: Actor, before: tuple[Any, ...]) -> list[Event]:
        """Payments and notifications keep the latest picture of the order: whatever a payment fact
        changed on the card makes a new version and an OrderUpdated naming the fields."""
        version, net_paid, suspended, *money = before
        changed = [f for f, was in zip(_MONEY_FIELDS, money, strict=True) if getattr(self, f) != was]
        if self.net_paid != net_paid:
            changed.append("paid")
        if self.access_suspended != suspended:
            changed.append("access_suspended")
        if not changed:
            return []
        if self.version == version:
            self.version += 1
        return [self.announced(actor, changed)]

    # --- edits from the CRM ------------------------------------------------------------------

    def check_version(self, version: int) -> None:
        """Every edit is of the version the client saw: of two edits of one version, one wins."""
        if version != self.version:
            raise StaleVersion(self.version)

    def edit(
        self, actor: Actor, version: int, given: dict[str, Any], *, now: datetime, contact: Contact | None = None,
        placement: "tuple[UUID, UUID] | InvalidOrder | None" = None,
    ) -> list[Event]:
        """Apply the fields given (`EDITABLE`; `discount` as a Discount); `contact` is the one
        `contact_id` names, if the school has it; `placement` where the pipeline and stage given
        put the order (or why they cannot)."""
        self.check_version(version)
        new_version = version + 1
        current = self._fields()
        new: dict[str, Any] = {}
        for name in ("type", "managers", "tags", "comment", "contact_id"):
            if name in given and given[name] != current[name]:
                new[name] = given[name]
        if "type" in new and new["type"] is None:
            raise InvalidOrder("type", "an order has a type")
        for name in ("managers", "tags"):
            if name in new:
                new[name] = list(dict.fromkeys(v.strip() for v in new[name] or [] if v.strip()))
                if new[name] == list(current[name]):
                    del new[name]
        if "contact_id" in new and (new["contact_id"] is None or contact is None or contact.id != new["contact_id"]):
            raise InvalidOrder("contact_id", f"no contact {new['contact_id']} in this school")
        if "discount" in given:
            discount = given["discount"]
            if discount is None:
                raise InvalidOrder("discount", "give an amount or a percent, 0 for none")
            _, off, total = priced([line.price for line in self.lines], discount, self.currency)
            if off != self.discount:
                new["discount"] = off
            if discount.percent != self.discount_percent:
                new["discount_percent"] = discount.percent
            if total != self.total:
                new["total"] = total
        placed = bool(given.keys() & {"pipeline_id", "stage_id"})
        if placed:
            if given.get("pipeline_id") is None and given.get("stage_id") is None:
                raise InvalidOrder("stage_id", "give a stage, a pipeline, or both")
            if isinstance(placement, InvalidOrder):
                raise placement
            assert placement is not None
            pipeline_id, stage_id = placement
            if pipeline_id != self.pipeline_id:
                new["pipeline_id"] = pipeline_id
            if stage_id != self.stage_id:
                new["stage_id"] = stage_id
        cancelling = given.get("status") == "cancelled" and self.state != "cancelled"
        if cancelling:
            new["status"] = "cancelled"
            new["closed_at"] = now
            # A cancelled order goes to its pipeline's cancel stage, unless placed in the same edit.
            if not placed and self.funnel.on_cancel is not None and self.funnel.on_cancel != self.stage_id:
                new["stage_id"] = self.funnel.on_cancel
        # A cancelled or expired order taken back into work starts the funnel again, unless placed.
        reopening = given.get("status") == "active" and self.state != "active"
        if reopening:
            new.update(status="active", closed_at=None, reopened_at=now)
            if not placed and self.funnel.first_stage != self.stage_id:
                new["stage_id"] = self.funnel.first_stage
        if "total" in new:
            new.update(self._settle(new["total"], now, may_move=not (placed or reopening or cancelling)))
        if not new:
            raise Unchanged()
        shown = {k: v for k, v in new.items() if k not in _UNSHOWN}
        self._apply(new)
        if "contact_id" in new:
            self.contact = contact
        self.version = new_version
        self.entries.append(Entry(actor.user, "reopened" if reopening else "updated", {
            "version": self.version,
            "changes": {k: {"before": current[k], "after": v} for k, v in shown.items()}}))
        events: list[Event] = [self.announced(actor, [k.removesuffix("_id") if k == "contact_id" else k
                                                      for k in shown])]
        if cancelling:
            events += self.refresh_access(actor, "cancelled", now)
        if reopening:
            events += self.refresh_access(actor, "resumed", now)
        return events

    # --- its lines ---------------------------------------------------------------------------

    def line(self, line_id: UUID) -> Line:
        found = next((line for line in self.lines if line.id == line_id), None)
        if found is None:
            raise InvalidOrder("line_id", f"no line {line_id} in this order")
        return found

    @property
    def discount_rule(self) -> Discount:
        """Its percent, when a manager gave one (the amount then follows the lines), else its amount."""
        if self.discount_percent is not None:
            return Discount("percent", self.discount_percent)
        return Discount("amount", self.discount)

    def add_line(
        self, actor: Actor, version: int, *, line_id: UUID, product_id: UUID, product_title: str, price: Decimal,
        terms: AccessTerms, offer_id: UUID | None, offer_title: str | None, now: datetime,
    ) -> list[Event]:
        """A product of the catalog (checked by the caller, with the terms in the school's zone)."""
        self.check_version(version)
        check_amount("price", price, self.currency)
        settled, before = self._reprice([*(line.price for line in self.lines), price], now)
        self.lines.append(Line(line_id, product_id, product_title, price, terms, offer_id=offer_id,
                               offer_title=offer_title, position=max((n.position for n in self.lines), default=-1) + 1))
        self.version = version + 1
        self.entries.append(Entry(actor.user, "line_added", {
            "version": self.version, "line_id": line_id, "product_id": product_id, "product_title": product_title,
            "price": price, **_shown(before, settled)}))
        return [self.announced(actor, ["lines", "total", *settled]), *self.refresh_access(actor, "terms_changed", now)]

    def edit_line(
        self, actor: Actor, version: int, line_id: UUID, given: dict[str, Any], *, now: datetime,
        terms: "AccessTerms | InvalidOrder | None" = None,
    ) -> list[Event]:
        """Apply the line's fields given; `terms` are the new access terms in the school's zone, checked
        against the catalog by the caller (or why they cannot be taken)."""
        self.check_version(version)
        line = self.line(line_id)
        was = {"product_title": line.product_title, "price": line.price, "access": line.terms.model_dump(mode="json")}
        new: dict[str, Any] = {}
        if given.get("product_title") and given["product_title"] != line.product_title:
            new["product_title"] = given["product_title"]
        if "price" in given:
            if given["price"] is None:
                raise InvalidOrder("price", "give an amount")
            check_amount("price", given["price"], self.currency)
            if given["price"] != line.price:
                new["price"] = given["price"]
        if "access" in given:
            if given["access"] is None:
                raise InvalidOrder("access", "give the access terms")
            if isinstance(terms, InvalidOrder):
                raise terms
            assert terms is not None
            if terms.model_dump(mode="json") != was["access"]:
                new["access"] = terms.model_dump(mode="json")
        if not new:
            raise Unchanged()
        line.product_title = new.get("product_title", line.product_title)
        line.price = new.get("price", line.price)
        if "access" in new:
            assert terms is not None
            line.terms = terms
        settled, before = self._reprice([n.price for n in self.lines], now) if "price" in new else ({}, {})
        self.version = version + 1
        details: dict[str, Any] = {
            "version": self.version, "line_id": line_id,
            "changes": {k: {"before": was[k], "after": v} for k, v in new.items()}, **_shown(before, settled)}
        events: list[Event] = []
        if (new.keys() & {"price", "access"}) and line.offer_id is not None and not line.customised:
            copy_requested, details["offer_copy"] = self._copy_offer(actor, line.offer_id, line.offer_title)
            events.append(copy_requested)
        self.entries.append(Entry(actor.user, "line_updated", details))
        events.append(self.announced(actor, ["lines", *(["total"] if "price" in new else []), *settled]))
        if "access" in new:
            events += self.refresh_access(actor, "terms_changed", now)
        return events

    def remove_line(self, actor: Actor, version: int, line_id: UUID, now: datetime) -> list[Event]:
        self.check_version(version)
        line = self.line(line_id)
        if len(self.lines) == 1:
            raise InvalidOrder("line_id", "an order keeps at least one line")
        self.lines.remove(line)
        settled, before = self._reprice([n.price for n in self.lines], now)
        self.version = version + 1
        self.entries.append(Entry(actor.user, "line_removed", {
            "version": self.version, "line_id": line_id, "product_id": line.product_id,
            "product_title": line.product_title, "price": line.price, **_shown(before, settled)}))
        return [self.announced(actor, ["lines", "total", *settled])]

    def _reprice(self, prices: list[Decimal], now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
        """New totals from the lines' prices; what else that changed (a percent discount's amount, which
        follows the new subtotal, and what `_settle` says), and what those fields were."""
        try:
            subtotal, off, total = priced(prices, self.discount_rule, self.currency)
        except InvalidOrder as exc:
            raise InvalidOrder("price", f"{exc.message}; lower the discount first") from None
        settled: dict[str, Any] = {"discount": off} if off != self.discount else {}
        settled.update(self._settle(total, now))
        current = self._fields()
        before = {k: current[k] for k in settled}
        self.subtotal, self.total = subtotal, total
        self._apply(settled)
        return settled, before

    def _copy_offer(self, actor: Actor, offer_id: UUID, offer_title: str | None) -> tuple[Event, dict[str, Any]]:
        """The order's terms now differ from the offer's: ask offers for a system copy holding them, and
        point the order's lines of that offer at it, so later changes of the offer no longer reach them."""
        copy_id = uuid4()
        lines = [line for line in self.lines if line.offer_id == offer_id and not line.customised]
        title = f"{offer_title or 'Offer'}{COPY_SUFFIX}"
        for line in lines:
            line.offer_id, line.offer_title, line.customised = copy_id, title, True
        requested = actor.event(
            OfferCopyRequested, copy_id=copy_id, source_offer_id=offer_id, order_id=self.id, order_number=self.number,
            lines=[OfferCopyLine(product_id=line.product_id, price=quantize(line.price, self.currency),
                                 access=line.terms) for line in lines],
        )
        return requested, {"source_offer_id": offer_id, "copy_id": copy_id, "title": title}

    def _settle(self, total: Decimal, now: datetime, *, may_move: bool = True) -> dict[str, Any]:
        """What a new total changes besides itself: the payment status and, when it is the change that
        makes the order fully paid, what a payment would have changed (paid_at, the on_full_payment stage).
        Losing the full payment leaves the stage where it is."""
        status = payment_status(total, self.paid, self.refunded).value
        if status == self.payment_status:
            return {}
        values: dict[str, Any] = {"payment_status": status}
        if becomes_fully_paid(str(self.payment_status), status):
            values["paid_at"] = now
            stage = self.funnel.on_full_payment
            if may_move and self.state == "active" and stage is not None and stage != self.stage_id:
                values["stage_id"] = stage
        return values

    def _fields(self) -> dict[str, Any]:
        """The card's editable fields and their consequences, by the names the history gives them."""
        return {
            "type": self.type, "managers": self.managers, "tags": self.tags, "comment": self.comment,
            "contact_id": self.contact.id if self.contact else None, "discount": self.discount,
            "discount_percent": self.discount_percent, "total": self.total, "pipeline_id": self.pipeline_id,
            "stage_id": self.stage_id, "status": self.state, "closed_at": self.closed_at,
            "reopened_at": self.reopened_at, "payment_status": self.payment_status, "paid_at": self.paid_at,
        }

    def _apply(self, new: dict[str, Any]) -> None:
        for name, value in new.items():
            if name == "status":
                self.state = value
            elif name == "pipeline_id":
                self.funnel = Funnel(pipeline_id=value)  # only placement changes it: its stages are then not needed
            elif name == "contact_id":
                pass  # `edit` takes the contact itself, which OrderUpdated describes
            else:
                setattr(self, name, value)

    # --- facts from elsewhere that change the order ------------------------------------------

    def expire(self, actor: Actor, now: datetime) -> list[Event]:
        """Unpaid past the school's period (the caller chose it): it stops asking for money."""
        self.state, self.closed_at = "expired", now
        self.version += 1
        self.entries.append(Entry(actor.user, "expired", {"reason": "unpaid"}))
        return [self.announced(actor, ["status"])]

    def follow_offer(self, event: OfferUpdated, now: datetime) -> list[Event]:
        """Lines never customised take the offer's newer access terms; agreed prices never change."""
        terms = {line.product_id: line.access for line in event.lines}
        touched = []
        for line in self.lines:
            if line.offer_id != event.offer_id or line.customised:
                continue
            if line.offer_version is not None and line.offer_version >= event.offer_version:
                continue
            line.offer_version, line.offer_title = event.offer_version, event.offer_title
            new_terms = terms.get(line.product_id)
            if new_terms is not None and new_terms != line.terms:
                line.terms = new_terms
                touched.append(line.id)
        if not touched:
            return []
        actor = Actor.of(event)
        self.version += 1
        self.entries.append(Entry(actor.user, "offer_terms_followed", {
            "offer_id": event.offer_id, "offer_version": event.offer_version, "line_ids": touched}))
        return [self.announced(actor, ["lines"]), *self.refresh_access(actor, "terms_changed", now)]

    def contact_changed(self, actor: Actor, contact: Contact, changes: dict[str, Any]) -> list[Event]:
        """The order carries its contact: announced again, so emails go to the new address."""
        self.contact = contact
        self.version += 1
        self.entries.append(Entry(actor.user, "contact_updated", {"contact_id": contact.id, "changes": changes}))
        return [self.announced(actor, ["contact"])]

    # --- what the order announces ------------------------------------------------------------

    def announced(self, actor: Actor, changed: list[str]) -> OrderUpdated:
        """OrderUpdated with the order as it now is."""
        assert self.contact is not None
        contact = self.contact
        return actor.event(
            OrderUpdated,
            order_id=self.id, order_number=self.number, order_version=self.version, status=self.state,
            contact_id=contact.id,
            contact=ContactData(name=contact.name, email=contact.email, phone=contact.phone, locale=contact.locale),
            currency=self.currency,
            lines=self.order_lines(),
            discount=quantize(self.discount, self.currency), total=quantize(self.total, self.currency),
            changed=sorted(set(changed)),
        )

    def window_of(self, terms: AccessTerms, now: datetime) -> AccessWindow | None:
        return order_window(terms, first_paid_at=self.first_paid_at, held=self.access_suspended,
                            order_status=self.state, payment_status=str(self.payment_status), now=now)

    def _overdue(self, hold: UUID | None) -> dict[str, Any]:
        """The overdue payment holding access, as its PaymentOverdue described it (if it did)."""
        if hold is None:
            return {}
        said = self.holds.get(hold) or {}
        if "amount" not in said:
            return {"overdue_payment_id": hold}
        currency = said.get("currency") or self.currency
        return {"overdue_payment_id": hold, "overdue_amount": quantize(Decimal(said["amount"]), currency),
                "currency": currency}

    def refresh_access(self, actor: Actor, reason: str | None, now: datetime) -> list[Event]:
        """Recompute every line's window; AccessChanged for each one that opened, moved or changed state.
        Without a reason, the clock moved it: it opened (as paid for) or ended."""
        events: list[Event] = []
        for line in self.lines:
            window = self.window_of(line.terms, now)
            if window is None:
                continue
            # While suspended, the contact is told which payment to make; another one holding it is news too.
            hold = next(iter(self.holds)) if window.status == "suspended" else None
            if window == line.window and hold == line.window_hold:
                continue
            line.window, line.window_hold = window, hold
            why = reason or ("expired" if window.status == "ended" else "paid")
            if window.status == "suspended" and why == "resumed":
                why = "overdue"  # one overdue payment was settled, another still holds access closed
            events.append(actor.event(
                AccessChanged, order_id=self.id, line_id=line.id, product_id=line.product_id,
                product_title=line.product_title, contact_id=self.contact.id if self.contact else None,
                status=window.status, starts_at=window.starts_at, ends_at=window.ends_at, terms=line.terms,
                reason=why, **self._overdue(hold),
            ))
        return events
