"""Settings every service has; each service subclasses with its own env prefix."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    # Pool size per process; a service process handles HTTP and its consumers.
    db_pool_size: int = 10
    # Kafka consumer group; defaults to the service's name. Replicas of a service share it.
    consumer_group: str | None = None
