"""What the use cases refuse with, besides the domain's own refusals (domain.order, domain.pipeline)."""

from ..domain.order import StaleVersion, Unchanged


class NotFound(Exception):
    """The school has no such order, contact or pipeline."""


__all__ = ["NotFound", "StaleVersion", "Unchanged"]
