"""The gateway's committed OpenAPI document is what the services' documents make today.

Built the way `make openapi` builds it: each service's app (built, never started) gives its
document, the gateway merges them with its routes. A service route changed without `make
openapi` fails here, and so does a gateway route its service does not have or answers otherwise.
"""

from gateway.contract import COMMITTED, dumped
from localstack.contract import build


def test_the_committed_gateway_document_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == dumped(build()), \
        "the gateway's openapi.json is stale: run `make openapi` and commit it"
