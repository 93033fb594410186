"""Access windows: when a line's access starts and ends, from its terms and the order's payments.

The window hangs on the first qualifying payment (the first payment that was paid): nothing is
granted before money arrived, whatever the terms say. A fixed start date is the later of that date
and the payment; periods count from the payment (start) or from the start (end). Months keep the
day of month and clamp to the month's end, so 31 January plus one month is 28 or 29 February.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts import AccessStatus, AccessTerms, Period


def add_period(moment: datetime, period: Period) -> datetime:
    if period.unit == "days":
        return moment + timedelta(days=period.count)
    months = moment.month - 1 + period.count
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class AccessWindow:
    status: AccessStatus
    starts_at: datetime | None
    ends_at: datetime | None  # None: never ends

    def moved_from(self, other: "AccessWindow | None") -> bool:
        """Whether the course platform must hear about this window (it opened, moved or changed state)."""
        return other != self


def window_bounds(terms: AccessTerms, first_paid_at: datetime) -> tuple[datetime, datetime | None]:
    start = terms.start
    if start.kind == "at_date":
        assert start.at is not None
        starts_at = max(start.at, first_paid_at)
    elif start.kind == "after_period":
        assert start.period is not None
        starts_at = add_period(first_paid_at, start.period)
    else:
        starts_at = first_paid_at
    end = terms.end
    if end.kind == "at_date":
        assert end.at is not None
        ends_at: datetime | None = max(end.at, starts_at)
    elif end.kind == "after_period":
        assert end.period is not None
        ends_at = add_period(starts_at, end.period)
    else:
        ends_at = None
    return starts_at, ends_at


def access_window(
    terms: AccessTerms, *, first_paid_at: datetime | None, now: datetime,
    suspended: bool = False, revoked: bool = False,
) -> AccessWindow | None:
    """The line's window as of `now`; None while nothing has been paid."""
    if first_paid_at is None:
        return None
    starts_at, ends_at = window_bounds(terms, first_paid_at)
    if revoked:
        status: AccessStatus = "revoked"
    elif ends_at is not None and now >= ends_at:
        status = "ended"
    elif suspended:
        status = "suspended"
    elif now < starts_at:
        status = "scheduled"
    else:
        status = "open"
    return AccessWindow(status, starts_at, ends_at)


def order_window(
    terms: AccessTerms, *, first_paid_at: datetime | None, held: bool, order_status: str, payment_status: str,
    now: datetime,
) -> AccessWindow | None:
    """A line's window within its order: an overdue payment holding access suspends it, and a
    cancelled order or one whose money all went back revokes it."""
    return access_window(terms, first_paid_at=first_paid_at, now=now, suspended=held,
                         revoked=order_status == "cancelled" or payment_status == "refunded")
