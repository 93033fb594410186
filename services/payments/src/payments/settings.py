from pydantic_settings import SettingsConfigDict
from servicekit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/payments"
    http_port: int = 8003
    # Where visitors and providers reach this service's public pages and webhooks: the base of
    # sandbox links, of the webhook URLs given to providers and of the pages payers return to.
    public_base_url: str = "http://127.0.0.1:8005"
    # The listener of those public routes (webhooks, /sandbox, /thanks), apart from the CRM API
    # on http_port, which only the gateway may reach. 0: one listener serves both (tests only).
    public_http_port: int = 8005
    # Stripe's API; set only to point the SDK at a stand-in.
    stripe_api_base: str | None = None
    stripe_max_network_retries: int = 2
    # How far from now a signed Stripe webhook's timestamp may be, in the past or the future (the SDK's default).
    stripe_webhook_tolerance_seconds: int = 300
    wayforpay_api_url: str = "https://api.wayforpay.com/api"
    # How long a WayForPay invoice stays payable: a week, so an emailed link still works.
    wayforpay_order_timeout_seconds: int = 604_800
    # How old (by its processingDate) a WayForPay callback may be: three days. WayForPay repeats a
    # callback until it is accepted, within hours; anything older is a replay or lost in a queue,
    # and reconciliation (CHECK_STATUS) settles the payment anyway.
    wayforpay_callback_max_age_seconds: int = 259_200
    # How often the worker looks for reminders and overdue payments (links wake it at once).
    worker_poll_seconds: float = 5.0
    worker_enabled: bool = True
    # The sandbox provider settles payments with no money moving: a development tool. Off unless
    # a deployment turns it on (the local stack and the tests do); while off, nothing may choose it.
    sandbox_enabled: bool = False
    # Seal schools' provider credentials at rest: `kid:key` pairs (see adapters/sealing.py; the
    # first seals, all open). No default: `python -m payments new-key` prints one.
    credentials_keys: str = ""
