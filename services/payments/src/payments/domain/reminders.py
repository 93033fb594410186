"""When scheduled reminders go out, relative to a payment's planned date."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

# Three days and one day before the planned date, one and three days after.
DEFAULT_OFFSETS_HOURS: tuple[int, ...] = (-72, -24, 24, 72)
MAX_OFFSETS = 10
# A reminder a year away from its date is a typo, not a plan.
MAX_OFFSET_HOURS = 24 * 365


class ScheduleInvalid(ValueError):
    """The reminder offsets cannot be a schedule; `field` is the one input they come from."""

    field = "offsets_hours"


def normalized_offsets(offsets: Iterable[int]) -> list[int]:
    """Sorted and unique; refuses what cannot be a sensible schedule."""
    result = sorted(set(offsets))
    if len(result) > MAX_OFFSETS:
        raise ScheduleInvalid(f"at most {MAX_OFFSETS} reminders per payment")
    for offset in result:
        if abs(offset) > MAX_OFFSET_HOURS:
            raise ScheduleInvalid(f"{offset} hours is more than a year from the planned date")
    return result


def reminder_times(due_at: datetime, offsets_hours: Sequence[int], *, now: datetime) -> list[tuple[int, datetime]]:
    """The reminders still ahead for a planned date; ones whose moment has passed are not sent late."""
    return [(o, due_at + timedelta(hours=o)) for o in offsets_hours if due_at + timedelta(hours=o) > now]
