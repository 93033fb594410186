"""What a manual order line may sell: a product of the school's catalog, with terms naming only
modules and lessons it has (the same rule offers applies to its offers)."""

from dataclasses import dataclass
from uuid import UUID

from contracts import AccessTerms, ModuleOutline, access_problems

from .order import InvalidOrder


@dataclass(frozen=True)
class CatalogProduct:
    """A product as offers last announced it."""

    id: UUID
    title: str
    modules: tuple[ModuleOutline, ...] = ()


def check_line(product: CatalogProduct | None, product_id: UUID, access: AccessTerms, *, at: str = "") -> str:
    """The product's title, or InvalidOrder naming the field (`at` prefixes it, e.g. "lines.0.")."""
    if product is None:
        raise InvalidOrder(f"{at}product_id", f"no product {product_id} in this school's catalog (one made a "
                                              "moment ago may take a moment to arrive: try again)")
    problems = access_problems(product.title, list(product.modules), access, f"{at}access")
    if problems:
        raise InvalidOrder(*problems[0])
    return product.title
