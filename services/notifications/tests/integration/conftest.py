"""A real SMTP server for the notifications tests, helpers to wait on asynchronous effects, and to record an email."""

import asyncio
import email
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from email import policy
from email.message import EmailMessage
import uuid
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope
from contracts import ContactData, OrderCreated, PaymentLinkIssued
from localstack.ports import free_port
from notifications import service
from notifications.adapters.unit_of_work import SqlUnitOfWork

T = TypeVar("T")


class Mailbox:
    """Accepts and records mail; the recipient's local part picks how the server behaves.

    - `defer-once-...`: 451 for the first DATA, then accepted
    - `bounce-...`: 550 at RCPT (no such mailbox)
    - `reject-...`: 554 at DATA
    - anything else: accepted
    """

    def __init__(self) -> None:
        self.port = 0
        self.accepted: list[Envelope] = []
        self.rcpt_tries: Counter[str] = Counter()
        self.data_tries: Counter[str] = Counter()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Envelope, address: str, options: list[str]) -> str:
        self.rcpt_tries[address] += 1
        if address.startswith("bounce-"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        to = envelope.rcpt_tos[0]
        self.data_tries[to] += 1
        if to.startswith("defer-once-") and self.data_tries[to] == 1:
            return "451 4.3.0 Try again later"
        if to.startswith("reject-"):
            return "554 5.6.0 Message refused"
        self.accepted.append(envelope)
        return "250 OK"

    def envelopes_to(self, address: str) -> list[Envelope]:
        return [e for e in self.accepted if address in e.rcpt_tos]

    @staticmethod
    def parts(message: EmailMessage) -> tuple[str, str]:
        """The plain text and the HTML of a multipart/alternative email."""
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and html is not None, "both a text and an HTML part"
        return text.get_content(), html.get_content()

    def messages_to(self, address: str) -> list[EmailMessage]:
        return [
            email.message_from_bytes(e.content, policy=policy.default)  # type: ignore[misc]
            for e in self.envelopes_to(address)
        ]


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


async def _eventually(check: Callable[[], Awaitable[T] | T], timeout: float = 30, every: float = 0.05) -> T:
    """Poll `check` until it returns something truthy; its last value."""
    async with asyncio.timeout(timeout):
        while True:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value  # type: ignore[return-value]
            await asyncio.sleep(every)


@pytest.fixture
def eventually() -> Callable[..., Awaitable[Any]]:
    """`await eventually(check)`: poll until `check()` (sync or async) is truthy."""
    return _eventually


async def record_link_email(engine, to: str) -> uuid.UUID:
    """What the consumers do for OrderCreated and PaymentLinkIssued: returns the order id."""
    order = OrderCreated(
        account_id=uuid.uuid4(), correlation_id=uuid.uuid4(), order_id=uuid.uuid4(), order_number=5,
        school_name="School", contact_id=uuid.uuid4(), contact=ContactData(name="Ivan", email=to), currency="EUR",
        lines=[], discount="0", total="99.00", payment_plan=[], provider="sandbox",
    )
    link = PaymentLinkIssued.caused_by(
        order, order_id=order.order_id, payment_id=uuid.uuid4(), amount="99.00", currency="EUR",
        provider="sandbox", url="https://pay.example/p",
    )
    async with engine.begin() as conn:
        await service.on_order_created(SqlUnitOfWork(conn), order)
        await service.on_payment_link_issued(SqlUnitOfWork(conn), link)
        # The same event again (a redelivery that got past no inbox): still one delivery.
        await service.on_payment_link_issued(SqlUnitOfWork(conn), link)
    return order.order_id
