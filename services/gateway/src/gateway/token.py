"""Mint a CRM token for local use: python -m gateway.token --account <uuid> [--user u] [--role owner].

Signed with GATEWAY_JWT_SECRET, or the local stack's development secret when that is not set.
"""

import argparse
from datetime import timedelta
from uuid import UUID

from .auth import ROLES, mint
from .settings import DEV_SECRET, Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--account", type=UUID, required=True, help="the school (account) id")
    parser.add_argument("--user", default="local-user", help="the user id to put in 'sub'")
    parser.add_argument("--role", choices=ROLES, default="owner")
    parser.add_argument("--days", type=int, default=30, help="how long the token is valid")
    args = parser.parse_args()
    print(mint(Settings().jwt_secret or DEV_SECRET, account_id=args.account, user_id=args.user, role=args.role,
               ttl=timedelta(days=args.days)))


if __name__ == "__main__":
    main()
