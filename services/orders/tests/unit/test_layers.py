"""The orders service's layers: its use cases import no adapter (docs/architecture.md, the layers)."""

import ast
from pathlib import Path

import orders

SERVICE = Path(orders.__file__).parent / "service"


def imported(path: Path) -> set[str]:
    """Every module a file imports, relative ones named from the package (`orders.adapters...`)."""
    names: set[str] = set()
    package = ["orders", "service"]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_no_use_case_imports_an_adapter():
    files = sorted(SERVICE.glob("*.py"))
    assert files
    reaching = {f.name: sorted(n for n in imported(f) if n.startswith("orders.adapters")) for f in files}
    assert {name: found for name, found in reaching.items() if found} == {}
