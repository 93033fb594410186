"""Build the gateway's public contract from the services' documents: python -m localstack.contract.

Every service is installed here (as in the repository's environment), so each one's OpenAPI
document is built from its app, never started; the gateway merges them with its own routes
(gateway.contract) and the result is written beside the gateway's code, which serves it. With
`--check` nothing is written and the exit status says whether the committed document is current.

The apps are built with the settings of a production deployment where the document depends on
them (the sandbox provider off), so the contract is what a school's front end meets.
"""

import argparse
import sys
from typing import Any

from gateway import contract
from gateway import main as gateway_main
from gateway.routes import UPSTREAMS
from gateway.settings import Settings as GatewaySettings
from notifications import main as notifications_main
from notifications.settings import Settings as NotificationsSettings
from offers import main as offers_main
from offers.settings import Settings as OffersSettings
from orders import main as orders_main
from orders.settings import Settings as OrdersSettings
from payments import main as payments_main
from payments.adapters.sealing import new_key
from payments.settings import Settings as PaymentsSettings
from servicekit.caller import new_key_pair

# Long enough to pass the gateway's check; it signs nothing here.
_DOCUMENTING_SECRET = "a-secret-used-only-to-build-the-api-document-0000"


def service_documents() -> dict[str, dict[str, Any]]:
    return {
        "offers": offers_main.create_app(OffersSettings(log_json=False, sandbox_enabled=False)).openapi(),
        "orders": orders_main.create_app(OrdersSettings(log_json=False, sandbox_enabled=False)).openapi(),
        "payments": payments_main.create_app(PaymentsSettings(
            log_json=False, sandbox_enabled=False, credentials_keys=new_key())).openapi(),
        "notifications": notifications_main.create_app(NotificationsSettings(log_json=False)).openapi(),
    }


def route_document() -> dict[str, Any]:
    """The document of the gateway's own routes, before the services' are merged in."""
    signing_key, _ = new_key_pair()
    app = gateway_main.create_app(GatewaySettings(jwt_secret=_DOCUMENTING_SECRET, signing_key=signing_key,
                                                  log_json=False))
    document: dict[str, Any] = app.state.route_document()
    return document


def build() -> dict[str, Any]:
    return contract.public_document(route_document(), service_documents(), UPSTREAMS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether the committed document is current")
    args = parser.parse_args(argv)
    text = contract.dumped(build())
    current = contract.COMMITTED.read_text(encoding="utf-8") if contract.COMMITTED.exists() else ""
    if args.check:
        if text != current:
            print(f"{contract.COMMITTED.name} is stale: run `make openapi` and commit it", file=sys.stderr)
            return 1
        return 0
    if text != current:
        contract.COMMITTED.write_text(text, encoding="utf-8")
        print(f"wrote {contract.COMMITTED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
