"""A product's course structure as other services may know it, and the one rule over it:
access terms name only modules and lessons the product has.

Offers owns products; it publishes their outline with ProductUpdated, and orders checks the
terms of manual lines against its copy with the same rule offers applies to its offers.
"""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from .access import AccessTerms, Certificate, LessonDelay


class _Outline(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class LessonOutline(_Outline):
    id: UUID
    title: str = Field(max_length=300)


class ModuleOutline(_Outline):
    id: UUID
    title: str = Field(max_length=300)
    lessons: list[LessonOutline] = Field(default=[], max_length=2_000)


class CourseDefaultsOutline(_Outline):
    """What a line whose terms say "as in the course" gets: the product's own delays, practice
    lessons, checkpoints, comments and certificate, as the school set them on the product."""

    lesson_delays: list[LessonDelay] = Field(default=[], max_length=2_000)
    practice_lesson_ids: list[UUID] = Field(default=[], max_length=2_000)
    checkpoints: bool = False
    comments: bool = True
    certificate: Certificate = "none"
    certificate_conditions: str | None = Field(default=None, max_length=2_000)


def access_problems(title: str, modules: list[ModuleOutline], access: AccessTerms, at: str) -> list[tuple[str, str]]:
    """(field, message) for each module or lesson the terms name that the product does not have."""
    module_ids = {m.id for m in modules}
    every = {lesson.id for m in modules for lesson in m.lessons}
    chosen = every if access.module_ids is None else {
        lesson.id for m in modules if m.id in set(access.module_ids) for lesson in m.lessons}
    problems: list[tuple[str, str]] = []
    for n, module_id in enumerate(access.module_ids or []):
        if module_id not in module_ids:
            problems.append((f"{at}.module_ids.{n}", f"no module {module_id} in product '{title}'"))
    for n, lesson_id in enumerate(access.lesson_ids or []):
        if lesson_id not in chosen:
            problems.append((f"{at}.lesson_ids.{n}", f"no lesson {lesson_id} in the chosen modules of '{title}'"))
    for n, delay in enumerate(access.delay_overrides):
        if delay.lesson_id not in every:
            problems.append((f"{at}.delay_overrides.{n}.lesson_id", f"no lesson {delay.lesson_id} in '{title}'"))
    for n, lesson_id in enumerate(access.practice_lesson_ids):
        if lesson_id not in every:
            problems.append((f"{at}.practice_lesson_ids.{n}", f"no lesson {lesson_id} in '{title}'"))
    return problems
