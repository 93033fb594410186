"""Products and their course structure: ordered modules of ordered lessons, and the course's defaults."""

from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID, uuid4

from contracts import (
    AccessTerms, CourseDefaultsOutline, LessonOutline, ModuleOutline, ProductUpdated, access_problems,
)
from contracts.access import Certificate

from .errors import OfferError, ProductError

ProductKind = Literal["course", "group", "consultation", "other"]


@dataclass(frozen=True)
class Lesson:
    id: UUID
    title: str


@dataclass(frozen=True)
class Module:
    id: UUID
    title: str
    lessons: tuple[Lesson, ...] = ()


@dataclass(frozen=True)
class CourseDefaults:
    """What an order line gets when its terms say "as in the course"."""

    lesson_delays: tuple[tuple[UUID, int], ...] = ()  # (lesson id, days after access starts)
    practice_lesson_ids: tuple[UUID, ...] = ()
    checkpoints: bool = False
    comments: bool = True
    certificate: Certificate = "none"
    certificate_conditions: str | None = None


@dataclass(frozen=True)
class ModuleDraft:
    """A module as a request describes it: an id keeps an existing module, none makes a new one."""

    title: str
    lessons: tuple[tuple[UUID | None, str], ...] = ()
    id: UUID | None = None


@dataclass
class Product:
    id: UUID
    account_id: UUID
    title: str
    kind: ProductKind = "course"
    modules: list[Module] = field(default_factory=list)
    defaults: CourseDefaults = CourseDefaults()

    def module_ids(self) -> set[UUID]:
        return {m.id for m in self.modules}

    def lesson_ids(self, of_modules: set[UUID] | None = None) -> set[UUID]:
        return {lesson.id for m in self.modules if of_modules is None or m.id in of_modules for lesson in m.lessons}

    def restructure(self, drafts: list[ModuleDraft]) -> None:
        """Replace the structure; modules and lessons named by id keep their ids (and whatever refers to them)."""
        known_modules, known_lessons = self.module_ids(), self.lesson_ids()
        seen: set[UUID] = set()
        modules: list[Module] = []
        for m, draft in enumerate(drafts):
            module_id = _keep_or_new(draft.id, known_modules, seen, f"modules.{m}.id", "module")
            lessons = tuple(
                Lesson(_keep_or_new(lesson_id, known_lessons, seen, f"modules.{m}.lessons.{n}.id", "lesson"), title)
                for n, (lesson_id, title) in enumerate(draft.lessons)
            )
            modules.append(Module(module_id, draft.title, lessons))
        self.modules = modules

    def validate_defaults(self) -> None:
        lessons = self.lesson_ids()
        for n, (lesson_id, _days) in enumerate(self.defaults.lesson_delays):
            if lesson_id not in lessons:
                raise ProductError(f"defaults.lesson_delays.{n}.lesson_id", f"no lesson {lesson_id} in this product")
        for n, lesson_id in enumerate(self.defaults.practice_lesson_ids):
            if lesson_id not in lessons:
                raise ProductError(f"defaults.practice_lesson_ids.{n}", f"no lesson {lesson_id} in this product")
        if self.defaults.certificate == "conditional" and not self.defaults.certificate_conditions:
            raise ProductError("defaults.certificate_conditions", "a conditional certificate needs its conditions")

    def check_access(self, access: AccessTerms, at: str) -> None:
        """The terms name only modules and lessons this product has (the rule orders applies too)."""
        problems = access_problems(self.title, self.outline(), access, at)
        if problems:
            raise OfferError(*problems[0])

    def outline(self) -> list[ModuleOutline]:
        return [ModuleOutline(id=m.id, title=m.title,
                              lessons=[LessonOutline(id=lesson.id, title=lesson.title) for lesson in m.lessons])
                for m in self.modules]

    def updated(self, *, correlation_id: UUID) -> ProductUpdated:
        return ProductUpdated(account_id=self.account_id, correlation_id=correlation_id, product_id=self.id,
                              title=self.title, kind=self.kind, modules=self.outline(),
                              defaults=CourseDefaultsOutline.model_validate(self.defaults_json()))

    def structure_json(self) -> list[dict[str, Any]]:
        return [
            {"id": str(m.id), "title": m.title,
             "lessons": [{"id": str(lesson.id), "title": lesson.title} for lesson in m.lessons]}
            for m in self.modules
        ]

    def defaults_json(self) -> dict[str, Any]:
        d = self.defaults
        return {
            "lesson_delays": [{"lesson_id": str(lesson), "days": days} for lesson, days in d.lesson_delays],
            "practice_lesson_ids": [str(lesson) for lesson in d.practice_lesson_ids],
            "checkpoints": d.checkpoints,
            "comments": d.comments,
            "certificate": d.certificate,
            "certificate_conditions": d.certificate_conditions,
        }


def modules_from_json(data: list[dict[str, Any]] | None) -> list[Module]:
    return [
        Module(UUID(m["id"]), m["title"], tuple(Lesson(UUID(lesson["id"]), lesson["title"]) for lesson in m["lessons"]))
        for m in data or []
    ]


def defaults_from_json(data: dict[str, Any] | None) -> CourseDefaults:
    if not data:
        return CourseDefaults()
    return CourseDefaults(
        lesson_delays=tuple((UUID(d["lesson_id"]), int(d["days"])) for d in data.get("lesson_delays", [])),
        practice_lesson_ids=tuple(UUID(x) for x in data.get("practice_lesson_ids", [])),
        checkpoints=bool(data.get("checkpoints", False)),
        comments=bool(data.get("comments", True)),
        certificate=data.get("certificate", "none"),
        certificate_conditions=data.get("certificate_conditions"),
    )


def _keep_or_new(given: UUID | None, known: set[UUID], seen: set[UUID], at: str, what: str) -> UUID:
    if given is None:
        return uuid4()
    if given not in known:
        raise ProductError(at, f"no {what} {given} in this product (leave the id out for a new {what})")
    if given in seen:
        raise ProductError(at, f"{what} {given} appears twice")
    seen.add(given)
    return given
