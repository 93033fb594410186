"""The use cases know only the domain and their ports: no SQL, no table, no adapter, read from their imports."""

import ast
from pathlib import Path

import payments.service

SERVICE = Path(payments.service.__file__).parent
# SQL, the service's own adapters and tables, and the kit's pieces that work on a connection: the
# outbox, the inbox, the engine's connection tools, the leased queues, the idempotency table's reads and writes.
FORBIDDEN = (
    "sqlalchemy", "asyncpg", "payments.adapters", "servicekit.db", "servicekit.outbox", "servicekit.inbox",
    "servicekit.queues", "servicekit.idempotency.made_before", "servicekit.idempotency.remember",
    "servicekit.idempotency.idempotency_table",
)


def imported(path: Path) -> list[str]:
    """Every module the file imports, relative ones resolved from the service package."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "payments.service".split(".")[: 2 - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return names


def forbidden_in(path: Path) -> list[str]:
    return [name for name in imported(path) if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)]


def test_the_service_layer_imports_no_sql_table_or_adapter():
    modules = sorted(SERVICE.glob("*.py"))
    assert len(modules) > 5  # the package was found
    found = {path.name: forbidden_in(path) for path in modules}
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_the_check_sees_each_way_of_importing_them(tmp_path):
    for line in ("from ..adapters import repository as repo", "from ..adapters.tables import outbox",
                 "import sqlalchemy", "from sqlalchemy.ext.asyncio import AsyncConnection",
                 "from servicekit.outbox import add_to_outbox", "from servicekit.idempotency import made_before",
                 "from payments.adapters.unit_of_work import SqlUnitOfWork", "from .. import adapters"):
        module = tmp_path / "use_case.py"
        module.write_text(line + "\n")
        assert forbidden_in(module), line
    module.write_text("from ..domain.payment import Payment\nfrom .unit_of_work import UnitOfWork\n"
                      "from servicekit.idempotency import Idempotent\nfrom servicekit.errors import NotYet\n")
    assert forbidden_in(module) == []
