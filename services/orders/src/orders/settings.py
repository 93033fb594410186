from zoneinfo import ZoneInfo

from pydantic import field_validator
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
    # The IANA zone dates typed without an offset are read in, for a school that has not named its own.
    default_time_zone: str = "UTC"
    # The sandbox provider settles payments with no money moving: a development tool. Off unless
    # a deployment turns it on (the local stack and the tests do); while off, nothing may choose it.
    sandbox_enabled: bool = False

    @field_validator("default_time_zone")
    @classmethod
    def _readable_zone(cls, name: str) -> str:
        # A zone the service cannot read stops the start, rather than every manual order later.
        try:
            ZoneInfo(name)
        except (LookupError, ValueError, OSError):
            raise ValueError(f"{name!r} is not a time zone this system can read (e.g. Europe/Kyiv, UTC)") from None
        return name
