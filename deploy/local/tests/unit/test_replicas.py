"""STACK_REPLICAS: what it accepts, the ports the replicas take, and the bench's tables of them."""

import pytest
from localstack import cpu
from localstack.config import LISTENERS, TOPIC_PARTITIONS, StackConfig, idle_replicas, parse_replicas, service_of
from localstack.launch import listeners_for
from localstack.stack import PortsTaken, Stack


def test_replicas_are_read_strictly() -> None:
    assert parse_replicas("") == {}
    assert parse_replicas(" orders=2 , notifications=3 ,") == {"orders": 2, "notifications": 3}
    assert parse_replicas("payments=1") == {"payments": 1}


@pytest.mark.parametrize(("value", "says"), [
    ("gateway=2", "names 'gateway'; it takes offers, orders, payments, notifications"),
    ("order=2", "names 'order'"),
    ("orders=0", "orders=0: the count must be a whole number of at least 1"),
    ("orders=-1", "at least 1"),
    ("orders=two", "at least 1"),
    ("orders=1.5", "at least 1"),
    ("orders", "'orders' is not <service>=<count>"),
    ("orders=", "is not <service>=<count>"),
    ("=2", "is not <service>=<count>"),
    ("orders=2,orders=3", "names orders twice"),
])
def test_replicas_refuse_what_cannot_run(value: str, says: str) -> None:
    with pytest.raises(ValueError, match="STACK_REPLICAS") as refused:
        parse_replicas(value)
    assert says in str(refused.value)


def config(monkeypatch: pytest.MonkeyPatch, replicas: str, base: int = 8000) -> StackConfig:
    monkeypatch.setenv("STACK_REPLICAS", replicas)
    monkeypatch.setenv("STACK_PORT_BASE", str(base))
    return StackConfig()


def test_one_replica_keeps_the_layout_and_the_extra_ones_follow_it(monkeypatch: pytest.MonkeyPatch) -> None:
    single = config(monkeypatch, "")
    assert single.processes() == ["offers", "orders", "payments", "notifications", "gateway"]
    assert {n: single.port(n) for n in LISTENERS} == {
        "gateway": 8000, "offers": 8001, "orders": 8002, "payments": 8003, "notifications": 8004,
        "payments-public": 8005}
    many = config(monkeypatch, "notifications=2,orders=3,payments=2")
    assert {n: many.port(n) for n in LISTENERS} == {n: single.port(n) for n in LISTENERS}
    assert many.processes() == ["offers", "orders", "orders-2", "orders-3", "payments", "payments-2",
                                "notifications", "notifications-2", "gateway"]
    assert [(n, many.port(n)) for n in many.listeners()[len(LISTENERS):]] == [
        ("orders-2", 8006), ("orders-3", 8007), ("payments-2", 8008), ("payments-public-2", 8009),
        ("notifications-2", 8010)]
    assert listeners_for("notifications=2,orders=3,payments=2") == len(many.listeners()) == 11
    assert listeners_for("") == 6


def test_each_replica_has_its_own_ports_and_the_service_s_database(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("STACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PAYMENTS_CREDENTIALS_KEYS", "k")
    stack = Stack(config(monkeypatch, "orders=2,payments=2"))
    stack.admin_url, stack.kafka, stack.smtp = "postgresql+asyncpg://u:p@h:1/postgres", "h:9092", ("h", 25)
    first, second = stack.service_env("orders"), stack.service_env("orders-2")
    assert (first["ORDERS_HTTP_PORT"], second["ORDERS_HTTP_PORT"]) == ("8002", "8006")
    assert {k: v for k, v in first.items() if k != "ORDERS_HTTP_PORT"} == {
        k: v for k, v in second.items() if k != "ORDERS_HTTP_PORT"}
    pay, pay2 = stack.service_env("payments"), stack.service_env("payments-2")
    assert (pay2["PAYMENTS_HTTP_PORT"], pay2["PAYMENTS_PUBLIC_HTTP_PORT"]) == ("8007", "8008")
    assert pay2["PAYMENTS_PUBLIC_BASE_URL"] == pay["PAYMENTS_PUBLIC_BASE_URL"]  # the payers' links stay one URL
    assert stack.service_argv("orders-2")[-2:] == ["orders", "serve"]
    # The gateway calls the first replica of each service.
    assert stack.service_env("gateway")["GATEWAY_ORDERS_URL"] == "http://127.0.0.1:8002"
    assert stack.ports_wanted()["orders-2"] == 8006


def test_a_replica_on_a_port_something_else_of_the_stack_takes_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path) -> None:
    monkeypatch.setenv("STACK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STACK_MAILBOX_PORT", "8007")  # where notifications-2 would listen
    monkeypatch.setenv("STACK_POSTGRES_URL", "postgresql+asyncpg://u:p@h:1/postgres")
    stack = Stack(config(monkeypatch, "orders=2,notifications=2"))
    with pytest.raises(PortsTaken, match=r"8007 \(notifications-2 and the mailbox \(web\)\)"):
        stack.check_ports()


def test_process_names_map_to_their_service() -> None:
    assert [service_of(n) for n in ("orders", "orders-2", "payments-public-2", "gateway", "orders-x")] == [
        "orders", "orders", "payments-public-2", "gateway", "orders-x"]


def test_the_cpu_table_has_a_row_per_replica_and_one_for_the_service() -> None:
    window = {"orders-2": 1.0, "orders": 2.0, "payments": 0.5, "notifications": 0.2, "notifications-2": 0.3,
              "PostgreSQL": 3.0}
    idle = {"orders-2": 0.1, "orders": 0.1, "payments": 0.05, "notifications": 0.0, "notifications-2": 0.05,
            "PostgreSQL": 0.2}
    lines = cpu.table(window, 100, 10.0, idle, 5.0)
    labels = [line[:32].strip() for line in lines[1:]]
    assert labels == ["orders", "orders-2", "orders, 2 replicas", "payments", "notifications", "notifications-2",
                      "notifications, 2 replicas", "PostgreSQL", "total"]
    assert lines[3].split()[3:] == ["3.00", "30.0", "30.0", "40.0", "26.0"]
    assert lines[-1].split()[1:3] == ["7.00", "70.0"]  # the sums are not counted twice
    gone = cpu.table({"orders": 1.0, "orders-2": None}, 10, 10.0)
    assert gone[3].split()[3] == "—"



def test_more_replicas_than_partitions_are_named_as_idle() -> None:
    assert idle_replicas({"orders": 4, "notifications": 2}) == []
    [warning] = idle_replicas({"orders": 6, "notifications": 2})
    assert warning.startswith("orders: 6 replicas, but its topics have 4 partitions") and "2 of them" in warning


def test_services_make_topics_with_the_stack_s_partitions_on_its_own_broker(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path) -> None:
    monkeypatch.setenv("STACK_DATA_DIR", str(tmp_path))
    stack = Stack(config(monkeypatch, "orders=2"))
    stack.admin_url, stack.kafka, stack.smtp = "postgresql+asyncpg://u:p@h:1/postgres", "h:9092", ("h", 25)
    stack.broker = object()  # type: ignore[assignment]  # the stack's own broker runs
    for name in ("offers", "orders", "orders-2", "payments", "notifications"):
        prefix = name.split("-")[0].upper()
        assert stack.service_env(name)[f"{prefix}_KAFKA_TOPIC_PARTITIONS"] == str(TOPIC_PARTITIONS)
