"""What a manual order line may sell: a product of the school's catalog, with terms naming only
modules and lessons it has (the same rule offers applies to its offers); and what a line's terms
"as in the course" come to with the product's own defaults."""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from contracts import AccessTerms, CourseDefaultsOutline, ModuleOutline, access_problems

from .order import InvalidOrder


@dataclass(frozen=True)
class CatalogProduct:
    """A product as offers last announced it."""

    id: UUID
    title: str
    modules: tuple[ModuleOutline, ...] = ()
    defaults: CourseDefaultsOutline | None = None  # None: announced before the event carried them


def check_line(product: CatalogProduct | None, product_id: UUID, access: AccessTerms, *, at: str = "") -> str:
    """The product's title, or InvalidOrder naming the field (`at` prefixes it, e.g. "lines.0.")."""
    if product is None:
        raise InvalidOrder(f"{at}product_id", f"no product {product_id} in this school's catalog (one made a "
                                              "moment ago may take a moment to arrive: try again)")
    problems = access_problems(product.title, list(product.modules), access, f"{at}access")
    if problems:
        raise InvalidOrder(*problems[0])
    return product.title


def granted(terms: AccessTerms, product: CatalogProduct | None) -> dict[str, Any]:
    """The lessons a line opens, their delays and its practice lessons, with "course" read from the
    product's defaults (only for the lessons the line opens). None where the catalog does not tell:
    a product not announced yet, or announced without its defaults."""
    if product is None:
        return {"lesson_ids": None, "lesson_delays": None, "practice_lesson_ids": None}
    modules = [m for m in product.modules if terms.module_ids is None or m.id in terms.module_ids]
    opened = [lesson.id for m in modules for lesson in m.lessons
              if terms.lesson_ids is None or lesson.id in terms.lesson_ids]
    defaults = product.defaults
    delays: list[dict[str, Any]] | None
    if terms.lesson_delays == "none":
        delays = []
    elif terms.lesson_delays == "custom":
        delays = [d.model_dump(mode="json") for d in terms.delay_overrides]
    else:
        delays = None if defaults is None else [d.model_dump(mode="json") for d in defaults.lesson_delays
                                                if d.lesson_id in opened]
    practice: list[str] | None
    if terms.practice == "none":
        practice = []
    elif terms.practice == "custom":
        practice = [str(lesson) for lesson in terms.practice_lesson_ids]
    else:
        practice = None if defaults is None else [str(lesson) for lesson in defaults.practice_lesson_ids
                                                  if lesson in opened]
    return {"lesson_ids": [str(lesson) for lesson in opened], "lesson_delays": delays,
            "practice_lesson_ids": practice}
