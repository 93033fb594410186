from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/payments"
    http_port: int = 8003
    # Where visitors reach this service's public pages: the base of sandbox payment links.
    public_base_url: str = "http://127.0.0.1:8003"
