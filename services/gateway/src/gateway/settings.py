from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The local stack's secret: known to everyone, so refused unless `development` is set.
DEV_SECRET = "local-development-secret-do-not-use-in-production"
# What CRM tokens must name as their issuer and audience unless set otherwise.
DEFAULT_ISSUER = "orders-crm"
DEFAULT_AUDIENCE = "orders-crm-api"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    # Signs and checks CRM tokens (HS256): at least 32 characters, no default.
    jwt_secret: str = ""
    jwt_issuer: str = DEFAULT_ISSUER
    jwt_audience: str = DEFAULT_AUDIENCE
    # The school platform's identity provider: a JWKS file or https URL whose keys sign RS256 or
    # ES256 CRM tokens (with the same claims); empty: only HS256 tokens of jwt_secret.
    jwks: str = ""
    # Only the local stack sets this: it lets the gateway run on the development secret.
    development: bool = False
    # The demo school (an account id) whose owner the console's "Sign in as the demo school's
    # owner" button signs in as; honoured only with `development`, empty everywhere else.
    demo_account: str = ""
    offers_url: str = "http://127.0.0.1:8001"
    orders_url: str = "http://127.0.0.1:8002"
    payments_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    upstream_timeout: float = 10.0
    # Connections the gateway keeps to each service, and how long a request waits for one of them
    # when all are busy before it is a 503 with Retry-After (a short wait: a connection is freed
    # in milliseconds or the service is swamped, and waiting longer only piles requests up). As
    # many as a service takes at once (its MAX_IN_FLIGHT): more would only be refused there, and
    # fewer than the gateway's own bound, so one slow service cannot take all of the gateway.
    upstream_max_connections: int = Field(default=32, ge=1)
    upstream_pool_timeout: float = Field(default=0.5, gt=0)
    # Requests the gateway serves at once; the next is a 503 with Retry-After at once (see
    # servicekit's shedding). Twice one service's connections, so one swamped service cannot
    # take all of it and the others stay reachable; small, as each costs the gateway CPU too.
    max_in_flight: int = Field(default=64, ge=1)
    # Public endpoints (open an offer, checkout status): requests per minute per client address.
    public_rate_per_minute: int = 600
    # Proxies in front of the gateway whose X-Forwarded-For is believed (comma-separated CIDRs).
    trusted_proxies: str = ""
    # The Ed25519 private key (PEM) that signs the caller's identity for the services; they
    # trust its public key (`<SERVICE>_GATEWAY_KEYS`). `python -m gateway.keys` makes a pair.
    signing_key: str = ""
