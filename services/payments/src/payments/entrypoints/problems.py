"""The payments rules' refusals as the CRM and the sandbox page answer them: one table, installed by build_app.

A route needs no try/except for these; by the time one answers, its transaction has rolled back.
The webhooks answer a provider, in its terms, and catch what they refuse themselves.
"""

from servicekit.http import ProblemTable

from ..domain.payment import AmountMismatch, NotEditable, NotPayable, PaymentNotFound, PlanInvalid, UnknownProvider
from ..domain.providers import ProviderNotSetUp
from ..domain.reminders import ScheduleInvalid
from ..service import OrderClosed, OrderNotFound

PROBLEMS: ProblemTable = {
    PaymentNotFound: (404, "Not found"),
    OrderNotFound: (404, "Not found"),
    PlanInvalid: (422, "Invalid payment"),
    UnknownProvider: (422, "Invalid payment"),
    AmountMismatch: (422, "Amount mismatch"),
    ScheduleInvalid: (422, "Invalid request"),
    NotEditable: (409, "Payment cannot change"),
    NotPayable: (409, "Payment cannot do that"),
    OrderClosed: (409, "Order closed"),
    ProviderNotSetUp: (409, "Provider not set up"),
}
