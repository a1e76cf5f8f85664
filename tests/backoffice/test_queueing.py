"""Services queue tasks by name; tasks import their services at the top: no services module
imports a tasks module, so no services ↔ tasks import loop is left, in any app."""

import ast
from pathlib import Path

import pytest
from celery.exceptions import NotRegistered
from django.db import transaction

from backoffice.queueing import send_after_commit

ROOT = Path(__file__).resolve().parents[2]
APPS = sorted(path.parent for path in ROOT.glob("*/tasks.py"))


def _imports(path: Path):
    """(module imported, inside a function?) for every import in `path`, relative ones resolved."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    tree = ast.parse(path.read_text(), filename=str(path))
    in_function = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                   for inner in ast.walk(node) if inner is not node}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        else:
            continue
        yield from ((name, id(node) in in_function) for name in names)


def test_the_apps_with_tasks_are_all_checked():
    assert {"backoffice", "inventory", "orders", "payments"} <= {app.name for app in APPS}


def _is_tasks(name: str) -> bool:
    return name.endswith(".tasks") or ".tasks." in name


@pytest.mark.parametrize("app", APPS, ids=lambda app: app.name)
def test_no_services_module_imports_a_tasks_module_and_tasks_import_their_services_at_the_top(app):
    modules = [path for path in app.rglob("*.py") if "migrations" not in path.parts]
    services = [path for path in modules if path.name == "services.py"]
    assert [(path.name, name) for path in services for name, _ in _imports(path) if _is_tasks(name)] == []
    # A loop broken by an import inside a function (app configs import inside ready() by design).
    lazy = [(str(path.relative_to(ROOT)), name) for path in modules if path.name != "apps.py"
            for name, inside in _imports(path) if inside and (_is_tasks(name) or name.endswith(".services"))]
    assert lazy == []
    if (app / "services.py").exists():
        assert (f"{app.name}.services", False) in set(_imports(app / "tasks.py"))


def test_a_task_queued_by_a_name_no_task_has_is_refused_at_the_call(db):
    with pytest.raises(NotRegistered), transaction.atomic():
        send_after_commit("payments.tasks.no_such_task", 1)
