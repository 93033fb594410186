"""The orders rules' refusals as the API answers them: one table, installed by build_app.

A route needs no try/except for these; by the time one answers, its transaction has rolled back.
A refusal the table does not name is a 500 to fix.
"""

from servicekit.http import ProblemTable

from ..domain.order import InvalidOrder
from ..domain.pipeline import InvalidPipeline, PipelineKept
from ..service import EmailTaken, NotFound, StaleVersion

PROBLEMS: ProblemTable = {
    InvalidOrder: (422, "Invalid request"),
    InvalidPipeline: (422, "Invalid request"),
    NotFound: (404, "Not found"),
    PipelineKept: (409, "Pipeline kept"),
    StaleVersion: (409, "Version conflict"),
    EmailTaken: (409, "Email taken"),
}
