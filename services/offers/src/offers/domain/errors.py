"""What the offers rules refuse, and why."""


class OfferError(ValueError):
    """A rule was broken; `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ProductError(OfferError):
    """A rule of a product's own structure or defaults was broken (not of an offer selling it)."""


class OfferUnavailable(Exception):
    """The offer cannot be opened: unknown, or a system copy (never sold publicly)."""

    # Said to a visitor, who learns no more than that it cannot be bought: a system copy is
    # nobody's business outside the school.
    reason = "this offer does not exist or is no longer sold"

    def __init__(self) -> None:
        super().__init__(self.reason)


class OfferArchived(OfferUnavailable):
    """The offer exists but is no longer sold."""

    reason = "this offer is archived and no longer sold"


class OfferNotPayable(OfferUnavailable):
    """The offer's provider can never take a payment here (the sandbox, where it is off)."""

    reason = "this offer cannot take payments at the moment"


class StaleVersion(Exception):
    """The change was made against a version that is no longer the current one."""

    field = "version"

    def __init__(self, current: int) -> None:
        super().__init__(f"the offer is at version {current}; reload it and apply the change again")
        self.current = current
        # The version to reload, for the editor to show what changed meanwhile.
        self.facts = {"current_version": current}


class NotFound(Exception):
    """No such thing in this school."""
