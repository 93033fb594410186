"""What each refusal of the orders rules answers, word for word: the service's one table of problems.

The table is read the way build_app installs it, so the answers stay those the CRM and the gateway
were given before the table existed.
"""

import json
import uuid

import pytest
from orders.domain.order import InvalidOrder, StaleVersion
from orders.domain.pipeline import InvalidPipeline, deletion_refused
from orders.entrypoints.problems import PROBLEMS
from orders.service import EmailTaken, NotFound
from servicekit.http import domain_problem

CONTACT = uuid.uuid4()

ANSWERS = [
    (InvalidOrder("discount", "must not be negative"), 422, {
        "type": "about:blank", "title": "Invalid request", "status": 422, "detail": "discount: must not be negative",
        "errors": [{"field": "discount", "message": "must not be negative"}]}),
    (InvalidPipeline("stages", "a stage is listed twice"), 422, {
        "type": "about:blank", "title": "Invalid request", "status": 422, "detail": "stages: a stage is listed twice",
        "errors": [{"field": "stages", "message": "a stage is listed twice"}]}),
    (NotFound("no pipeline 7"), 404, {
        "type": "about:blank", "title": "Not found", "status": 404, "detail": "no pipeline 7"}),
    (deletion_refused(is_default=False, orders=2), 409, {
        "type": "about:blank", "title": "Pipeline kept", "status": 409,
        "detail": "2 orders are in this pipeline: move them to another pipeline first", "orders": 2}),
    (deletion_refused(is_default=True, orders=0), 409, {
        "type": "about:blank", "title": "Pipeline kept", "status": 409,
        "detail": "this is the school's default pipeline: make another pipeline the default first", "orders": 0}),
    (StaleVersion(4), 409, {
        "type": "about:blank", "title": "Version conflict", "status": 409,
        "detail": "the order changed since you loaded it (now version 4); reload and retry", "current_version": 4}),
    (EmailTaken(CONTACT), 409, {
        "type": "about:blank", "title": "Email taken", "status": 409,
        "detail": "another contact of this school has this email", "contact_id": str(CONTACT),
        "errors": [{"field": "email", "message": "another contact of this school has this email"}]}),
]


@pytest.mark.parametrize(("refusal", "status", "body"), ANSWERS, ids=lambda v: type(v).__name__)
def test_each_refusal_answers_its_problem_word_for_word(refusal, status, body):
    response = domain_problem(refusal, *PROBLEMS[type(refusal)])
    assert response.status_code == status
    assert response.media_type == "application/problem+json"
    assert json.loads(response.body) == body


def test_every_refusal_the_routes_used_to_translate_is_in_the_table():
    # Closest mapping wins: none of these may be answered by a broader entry, nor left to the 500.
    assert {type(refusal) for refusal, _, _ in ANSWERS} == set(PROBLEMS)
