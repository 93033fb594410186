from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "local-development-secret-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    jwt_secret: str = DEV_SECRET
    offers_url: str = "http://127.0.0.1:8001"
    orders_url: str = "http://127.0.0.1:8002"
    payments_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"
    upstream_timeout: float = 10.0
    # Public endpoints (open an offer, checkout status): requests per minute per client address.
    public_rate_per_minute: int = 600
    # Proxies in front of the gateway whose X-Forwarded-For is believed (comma-separated CIDRs).
    trusted_proxies: str = ""
    # The Ed25519 private key (PEM) that signs the caller's identity for the services; they
    # trust its public key (`<SERVICE>_GATEWAY_KEYS`). `python -m gateway.keys` makes a pair.
    signing_key: str = ""
