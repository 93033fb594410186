"""The gateway's OpenAPI document, the one a front end generates its client from, describes its
errors as the Problem every answer really is, not as FastAPI's validation error."""

from gateway.main import create_app
from gateway.settings import Settings

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def test_the_gateways_document_shows_the_problem_schema_for_its_validation_errors() -> None:
    document = create_app(Settings(jwt_secret=SECRET, log_json=False)).openapi()
    schemas = document["components"]["schemas"]
    assert "Problem" in schemas and "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    refused = [(path, method, operation["responses"]["422"]) for path, operations in document["paths"].items()
               for method, operation in operations.items() if "422" in operation.get("responses", {})]
    assert refused, "no operation documents its 422"
    for path, method, response in refused:
        assert list(response["content"]) == ["application/problem+json"], (method, path)
        assert response["content"]["application/problem+json"]["schema"]["$ref"].endswith("/Problem"), (method, path)
