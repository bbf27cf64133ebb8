"""The house has no circles: packages import only the layers below them, modules form no cycle.

docs/architecture.md draws the layers; this test is what holds them. It reads the imports of
every module of the service (tests, benchmarks and migrations aside) with ``ast``, including
imports inside functions, which are circles all the same.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bottom first. A package may import its own modules and any package of a lower layer; packages
# of one layer do not import each other.
LAYERS: list[set[str]] = [
    {"core"},
    {"sfu"},
    {"accounts"},
    {"audit"},
    {"identification"},
    {"availability"},
    {"calendars"},
    {"booking"},
    {"reports"},
    {"video", "notifications", "figures"},
    {"publicinfo"},
    {"assessments"},
    {"agenda"},
    {"messaging", "documents", "consents", "plans"},
    {"privacy"},
    {"mypages"},
    {"chat", "discussions"},
    {"demo"},
    {"server"},
]
PACKAGES = {name for layer in LAYERS for name in layer} - {"server", "demo"}
# Pure: computes, never reaches a database, the network or the web.
PURE_PACKAGES = {"availability"}
IMPURE_MODULES = ("aiohttp", "sqlalchemy", "redis", "core.db", "core.app_keys")
# The web layer of a package: everything else (its rules, its models) never imports aiohttp.web.
WEB_MODULE = re.compile(r"(^|_)(routes|pages|keys)$")

MAX_LINES = 800
# Modules over about 600 lines, each with the reason it is one module.
LONG_MODULES: dict[str, str] = {}


def layer_of(name: str) -> int:
    return next(index for index, layer in enumerate(LAYERS) if name in layer)


def service_modules() -> Iterator[Path]:
    yield ROOT / "server.py"
    yield ROOT / "demo.py"
    for package in sorted(PACKAGES):
        yield from sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every module name imported by ``path``, ``from a import b`` as ``a.b`` where b is one."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"


def own_imports(path: Path, known: set[str]) -> set[str]:
    return {name for name in imports_of(path) if name in known}


def graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in service_modules()}
    known = set(paths)
    return {name: own_imports(path, known) - {name} for name, path in paths.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_package_of_the_service_has_a_layer() -> None:
    on_disk = {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench", "migrations"}
    }
    assert on_disk == PACKAGES, "add the new package to LAYERS and to docs/architecture.md"


def test_packages_import_only_the_layers_below_them() -> None:
    wrong = []
    for name, targets in graph().items():
        package = name.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other != package and layer_of(other) >= layer_of(package):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_no_module_imports_itself_round_a_circle() -> None:
    assert cycles(graph()) == []


def test_the_circle_check_finds_a_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]


def test_pure_packages_reach_no_database_network_or_web() -> None:
    wrong = [
        f"{module_name(path)} imports {name}"
        for package in PURE_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for name in imports_of(path)
        if name.startswith(IMPURE_MODULES)
    ]
    assert wrong == []


def test_only_the_web_layer_imports_aiohttp_web() -> None:
    wrong = [
        module_name(path)
        for path in service_modules()
        if path.parent.name in PACKAGES - {"core"}
        and not WEB_MODULE.search(path.stem)
        and any(name in {"aiohttp.web", "aiohttp.web_request"} for name in imports_of(path))
    ]
    assert wrong == []


def test_modules_stay_readable_in_one_sitting() -> None:
    long = {
        str(path.relative_to(ROOT)): length
        for path in service_modules()
        if (length := len(path.read_text().splitlines())) > 600
    }
    assert {path: n for path, n in long.items() if n > MAX_LINES} == {}
    assert set(long) <= set(LONG_MODULES), "split the module, or write down why it is one"


def test_the_image_and_the_tools_know_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    for package in PACKAGES:
        assert f"COPY {package} {package}" in dockerfile, package
        assert f'"{package}"' in pyproject, package
