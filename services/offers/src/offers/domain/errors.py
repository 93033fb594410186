"""What the offers rules refuse, and why."""


class OfferError(ValueError):
    """A rule was broken; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class OfferUnavailable(Exception):
    """The offer cannot be opened: unknown, or a system copy (never sold publicly)."""


class OfferArchived(OfferUnavailable):
    """The offer exists but is no longer sold."""


class OfferNotPayable(OfferUnavailable):
    """The offer's provider can never take a payment here (the sandbox, where it is off)."""


class StaleVersion(Exception):
    """The change was made against a version that is no longer the current one."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the offer is at version {current}; reload it and apply the change again")
        self.current = current


class NotFound(Exception):
    """No such thing in this school."""
