from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OFFERS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/offers"
    http_port: int = 8001
    # Where the gateway serves the public checkout status, for `status_url`.
    public_base_url: str = "http://127.0.0.1:8000"
    # The sandbox provider settles payments with no money moving: a development tool. Off unless
    # a deployment turns it on (the local stack and the tests do); while off, nothing may choose it.
    sandbox_enabled: bool = False
