"""The service layer speaks only to its ports: no SQL, no table, no adapter is imported there."""

import ast
from pathlib import Path

import offers.service

SERVICE = Path(offers.service.__file__).parent
# What only the adapters may know: the database's library and driver, the service's SQL and tables,
# and the kit's pieces that take a connection and a table.
FORBIDDEN = ("sqlalchemy", "asyncpg", "offers.adapters", "servicekit.db", "servicekit.outbox", "servicekit.inbox")


def _imported(path: Path) -> list[str]:
    """Every module the file imports, relative imports resolved from the service package."""
    package = ["offers", "service", *path.parent.relative_to(SERVICE).parts]
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return names


def _offending(path: Path) -> list[str]:
    return [name for name in _imported(path)
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN) or name.split(".")[-1] == "tables"]


def test_no_module_of_the_service_layer_imports_sql_a_table_or_an_adapter():
    modules = sorted(SERVICE.rglob("*.py"))
    assert SERVICE / "__init__.py" in modules and SERVICE / "unit_of_work.py" in modules
    assert {str(p.relative_to(SERVICE)): _offending(p) for p in modules if _offending(p)} == {}


def test_the_check_sees_what_it_is_meant_to_refuse(monkeypatch):
    module = SERVICE / "intake.py"  # as if it were there; the check only reads it
    written = {
        "from sqlalchemy.ext.asyncio import AsyncConnection": ["sqlalchemy.ext.asyncio",
                                                               "sqlalchemy.ext.asyncio.AsyncConnection"],
        "import asyncpg": ["asyncpg"],
        "from ..adapters import repository as repo": ["offers.adapters", "offers.adapters.repository"],
        "from ..adapters.tables import outbox": ["offers.adapters.tables", "offers.adapters.tables.outbox"],
        "from servicekit.outbox import add_to_outbox": ["servicekit.outbox", "servicekit.outbox.add_to_outbox"],
        "from offers.adapters.unit_of_work import SqlUnitOfWork": ["offers.adapters.unit_of_work",
                                                                   "offers.adapters.unit_of_work.SqlUnitOfWork"],
    }
    for source, expected in written.items():
        monkeypatch.setattr(Path, "read_text", lambda self, *a, source=source, **k: source)
        assert _offending(module) == expected, source
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: "from ..domain.offer import Offer\n"
                                                                 "from .unit_of_work import UnitOfWork")
    assert _imported(module) == ["offers.domain.offer", "offers.domain.offer.Offer", "offers.service.unit_of_work",
                                 "offers.service.unit_of_work.UnitOfWork"]
    assert _offending(module) == []
