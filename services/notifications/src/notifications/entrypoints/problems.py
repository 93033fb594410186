"""The notifications rules' refusals as the API answers them: one table, installed by build_app.

A route needs no try/except for these; a refusal the table does not name is a 500 to fix.
"""

from servicekit.http import ProblemTable

from ..domain.delivery import NotResendable

PROBLEMS: ProblemTable = {
    # Each refusal names itself (still being sent, cancelled, refused by the mail server).
    NotResendable: (409, None),
}
