"""The service layer reaches the world only through its unit of work: no SQL, no table, no adapter."""

import ast
from pathlib import Path

import notifications.service

SERVICE = Path(notifications.service.__file__).parent
FORBIDDEN = ("sqlalchemy", "asyncpg", "notifications.adapters", "servicekit.db", "servicekit.outbox",
             "servicekit.inbox")


def imported(source: str) -> set[str]:
    """The modules (and names from them) a module of the service package imports, relative ones
    resolved against the package, nested imports too."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["notifications", "service"][:max(2 - node.level + 1, 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def test_no_module_of_the_service_layer_imports_sql_tables_or_adapters():
    modules = sorted(SERVICE.glob("*.py"))
    assert modules, "the service package has modules"
    found = {
        f"{path.name}: {name}"
        for path in modules for name in imported(path.read_text())
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN) or name.rsplit(".", 1)[-1] == "tables"
    }
    assert not found, f"the service layer reaches past its unit of work: {sorted(found)}"


def test_relative_imports_are_resolved_as_python_does():
    names = imported("from ..adapters import repository\nfrom .unit_of_work import UnitOfWork\n"
                     "def late():\n    from ..adapters.tables import outbox\n")
    assert {"notifications.adapters.repository", "notifications.service.unit_of_work",
            "notifications.adapters.tables.outbox"} <= names
