"""Make the key pair the gateway signs its calls to the services with: python -m gateway.keys.

The private key goes to the gateway only (GATEWAY_SIGNING_KEY); the public key to every service
(OFFERS_GATEWAY_KEYS, ORDERS_GATEWAY_KEYS, PAYMENTS_GATEWAY_KEYS, NOTIFICATIONS_GATEWAY_KEYS).
To rotate: give the services both public keys, then the gateway the new private key, then drop
the old public key.
"""

from servicekit.caller import new_key_pair


def main() -> None:
    private, public = new_key_pair()
    print("# GATEWAY_SIGNING_KEY (keep secret, the gateway only):")
    print(private, end="")
    print("# <SERVICE>_GATEWAY_KEYS (every service):")
    print(public, end="")


if __name__ == "__main__":
    main()
