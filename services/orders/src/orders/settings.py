from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/orders"
    http_port: int = 8002
    # Unpaid orders from offer pages and widgets expire after this many days, unless the school set its own.
    default_unpaid_expiry_days: int = 7
    # How often the clock worker expires unpaid orders and opens or ends access windows; 0 turns it off.
    clock_interval_seconds: float = 60.0
    clock_batch_size: int = 200
    # The sandbox provider settles payments with no money moving: a development tool. Off unless
    # a deployment turns it on (the local stack and the tests do); while off, nothing may choose it.
    sandbox_enabled: bool = False
