"""The offers rules' refusals as the API answers them: one table, installed by build_app.

A route needs no try/except for these; a refusal the table does not name is a 500 to fix.
"""

from servicekit.http import ProblemTable

from ..domain.errors import (
    NotFound, OfferArchived, OfferError, OfferNotPayable, OfferUnavailable, ProductError, StaleVersion,
)

PROBLEMS: ProblemTable = {
    OfferError: (422, "Invalid offer"),
    ProductError: (422, "Invalid product"),
    NotFound: (404, "Not found"),
    StaleVersion: (409, "Version conflict"),
    # Not there, or not for sale to the public: the visitor cannot tell which, on purpose.
    OfferUnavailable: (404, "Offer not available"),
    # There, and known to the visitor, but it cannot be bought now.
    OfferArchived: (409, "Offer not available"),
    OfferNotPayable: (409, "Offer not available"),
}
