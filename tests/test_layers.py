"""Nothing imports upward: every `import` in `src/safeconduct`, including those inside
functions, goes to the same layer or a lower one (DESIGN.md, Architecture, Layers)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"
ROOT = "safeconduct"

# Bottom up. A module belongs to the layer of its top-level name, except the routers of
# the packages below `http` (`api.py`, or `api_<part>.py` when a router is split), which
# sit above it with the other routers.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"config", "db", "clock", "logging"}),
    frozenset({"security"}),
    frozenset({"audit"}),
    frozenset({"runtime"}),
    frozenset(
        {
            "accounts",
            "people",
            "intake",
            "channels",
            "custody",
            "disclosure",
            "tracing",
            "treatment",
            "repatriation",
            "bureau",
            "inquiries",
            "models",
            "migrate",
            "migrations",
            "schemas_common",
            # Its router is `health.api`; its table is a model `models` gathers like any other.
            "health",
        }
    ),
    frozenset({"http"}),
    frozenset(),  # the routers: every `<domain>.api`, placed by `layer`
    frozenset({"web"}),
    frozenset({"demo", "cli", "commands"}),
)
LAYER_OF = {name: level for level, names in enumerate(LAYERS) for name in names}
HTTP = LAYER_OF["http"]
ROUTERS = HTTP + 1

Edge = tuple[str, str]


class UnplacedModuleError(LookupError):
    """A module with no layer: place it in LAYERS (and in DESIGN.md) first."""


def layer(module: str) -> int:
    """Return the layer of a dotted module name under `safeconduct`."""
    parts = module.split(".")[1:]
    if not parts:
        return 0  # the root package: at the bottom, it holds no code
    if parts[0] not in LAYER_OF:
        raise UnplacedModuleError(module)
    level = LAYER_OF[parts[0]]
    if len(parts) > 1 and _is_router(parts[1]) and level < HTTP:
        return ROUTERS
    return level


def _is_router(name: str) -> bool:
    return name == "api" or name.startswith("api_")


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, src: Path) -> bool:
    base = src.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _from_base(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    package = package[: len(package) - node.level + 1]
    return ".".join([*package, *([node.module] if node.module else [])])


def imports(path: Path, src: Path) -> Iterator[str]:
    """Yield every module under ROOT that a file imports, wherever the import stands."""
    module = module_name(path, src)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _from_base(node, module, path.name == "__init__.py")
            for alias in node.names:
                # `from pkg import mod` imports the module; `from mod import name` the module.
                target = f"{base}.{alias.name}"
                yield target if _is_module(target, src) else base


def upward_edges(src: Path) -> list[Edge]:
    """Return every (importer, imported) pair that goes from a lower layer to a higher one."""
    found: set[Edge] = set()
    for path in sorted((src / ROOT).rglob("*.py")):
        importer = module_name(path, src)
        for target in imports(path, src):
            if target.split(".")[0] == ROOT and layer(target) > layer(importer):
                found.add((importer, target))
    return sorted(found)


def _report(edges: list[Edge]) -> str:
    return "\n".join(f"  {a} (layer {layer(a)}) -> {b} (layer {layer(b)})" for a, b in edges)


def test_nothing_imports_upward() -> None:
    edges = upward_edges(SRC)
    assert edges == [], "upward imports:\n" + _report(edges)


def test_every_module_has_a_layer() -> None:
    for path in (SRC / ROOT).rglob("*.py"):
        layer(module_name(path, SRC))


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_checker_finds_an_upward_import(tmp_path: Path) -> None:
    for package in ("", "people/", "http/", "web/", "custody/"):
        _write(tmp_path, f"{ROOT}/{package}__init__.py", "")
    _write(tmp_path, f"{ROOT}/db.py", "")
    _write(tmp_path, f"{ROOT}/http/auth.py", "from safeconduct import db\n")
    _write(tmp_path, f"{ROOT}/web/app.py", "from safeconduct.people import service\n")
    _write(tmp_path, f"{ROOT}/custody/api.py", "from safeconduct.http import auth\n")
    # Upward, one at the top of a file, one hidden in a function, one relative.
    _write(tmp_path, f"{ROOT}/people/service.py", "import safeconduct.web.app\n")
    _write(
        tmp_path,
        f"{ROOT}/people/policy.py",
        "def f() -> None:\n    from safeconduct.http import auth\n",
    )
    _write(tmp_path, f"{ROOT}/people/schemas.py", "from ..custody import api\n")
    assert upward_edges(tmp_path) == [
        ("safeconduct.people.policy", "safeconduct.http.auth"),
        ("safeconduct.people.schemas", "safeconduct.custody.api"),
        ("safeconduct.people.service", "safeconduct.web.app"),
    ]


def test_an_unplaced_module_is_refused() -> None:
    with pytest.raises(UnplacedModuleError):
        layer("safeconduct.newthing")
    assert layer("safeconduct.audit.api") == layer("safeconduct.health.api") == ROUTERS
    assert layer("safeconduct.accounts.api_admin") == ROUTERS
    assert layer("safeconduct.accounts.apis") == LAYER_OF["accounts"]
    assert layer("safeconduct.audit.service") == LAYER_OF["audit"]
    assert layer("safeconduct.http.auth") < ROUTERS < layer("safeconduct.web.app")
