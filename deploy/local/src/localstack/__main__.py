"""`python -m localstack run`: the whole orders CRM on this machine, until Ctrl-C."""

import signal
import sys
import time

from .config import DEMO_ACCOUNT, SERVICES, StackConfig, idle_replicas
from .seed import demo_token, seed
from .stack import Stack, say, write_state


def run() -> int:
    try:
        config = StackConfig()
    except ValueError as exc:  # STACK_PROFILE or STACK_REPLICAS as nothing can run
        say(f"cannot start: {exc}")
        return 2
    for warning in idle_replicas(config.replicas):
        say(warning)
    stack = Stack(config)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        stack.supervisor.stopping = True  # nothing is restarted from now on

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        stack.start_infrastructure()
        stack.migrate()
        stack.start_services()
        token = demo_token(config.jwt_secret, DEMO_ACCOUNT)
        offer = seed(config.url("gateway"), token)
        mailbox = (f"http://{config.host}:{config.mailbox_port}" if not config.smtp_host
                   else f"smtp://{config.smtp_host}:{config.smtp_port}")
        state = {
            "gateway": config.url("gateway"),
            "api_docs": f"{config.url('gateway')}/docs",
            "console": f"{config.url('gateway')}/console/",
            "offer_page": f"{config.url('gateway')}/offer/{offer['id']}",
            "offer_id": offer["id"],
            "offer_total": offer["total"],
            "offer_currency": offer["currency"],
            "mailbox": mailbox,
            "account_id": str(DEMO_ACCOUNT),
            "postgres_url": stack.admin_url,
            "kafka": stack.kafka,
            "token": token,
            "services": {name: config.url(name) for name in ("offers", "orders", "payments", "notifications")},
            # Every process of each service (STACK_REPLICAS): the first is the one the gateway calls.
            "replicas": {name: [config.url(n) for n in config.replica_names(name)] for name in SERVICES},
            # Providers' webhooks and the payer's pages: the only part of payments the outside reaches.
            "payments_public": config.url("payments-public"),
            "logs": str(stack.logs),
            # Started under the profiler switch: `make bench ARGS="--profile <name>"` may profile these.
            "profilable": sorted(config.profile),
            "profiles": str(stack.data / "profiles"),
        }
        write_state(stack.data / "stack.json", state)
        print(
            "\nThe orders CRM is running.\n"
            f"  CRM console:          {state['console']}\n"
            f"  API docs (gateway):   {state['api_docs']}\n"
            f"  Demo offer page:      {state['offer_page']}\n"
            f"  Mailbox:              {state['mailbox']}\n"
            f"  CRM token (owner of the demo school, 30 days):\n    {token}\n"
            f"  Try: curl -H 'Authorization: Bearer <token>' {config.url('gateway')}/api/v1/orders\n"
            f"  Logs: {stack.logs}\n"
            "Press Ctrl-C to stop.\n",
            flush=True,
        )
        # Only Ctrl-C or SIGTERM ends this loop: a process that dies is restarted.
        while not stopping:
            stack.supervise()
            time.sleep(0.25)
        return 0
    except KeyboardInterrupt:
        return 0
    except Exception as exc:
        say(f"failed: {exc}")
        return 1
    finally:
        say("stopping")
        stack.stop()
        say("stopped")


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command != "run":
        raise SystemExit("usage: python -m localstack run")
    raise SystemExit(run())


main()
