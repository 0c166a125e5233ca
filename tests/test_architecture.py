"""The layers point one way: config < accounts < courses < commerce < social and liveroom <
recommendations < analytics < privacy < the doors (web, api) and demo.

An AST walk over the repository's own modules (every import, also those inside functions)
builds the graph of top-level apps; no two apps may import each other through any path, a domain
app never imports a door, and no app imports one above it in ``LAYERS``. The same walk at the
level of modules finds no circle between two files either.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LAYERS = [
    ("config",),
    ("accounts",),
    ("courses",),
    ("commerce",),
    ("social", "liveroom"),
    ("recommendations",),
    ("analytics",),
    ("privacy",),
    ("web", "api", "demo"),
]
DOORS = {"web", "api"}
APPS = {app for layer in LAYERS for app in layer}
RANK = {app: rank for rank, layer in enumerate(LAYERS) for app in layer}
SKIPPED = {"tests", "bench", ".venv", "migrations", "node_modules"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - node.level + 1]
                names.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                names.add(node.module)
    return names


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Top-level app -> the other top-level apps its modules import."""
    graph: dict[str, set[str]] = {app: set() for app in APPS}
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).parts
        if relative[0] not in APPS or SKIPPED & set(relative):
            continue
        module = _module_name(path) if root == ROOT else ".".join(path.relative_to(root).parts)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in _imported(tree, module, path.name == "__init__.py"):
            target = name.split(".")[0]
            if target in APPS and target != relative[0]:
                graph[relative[0]].add(target)
    return graph


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the repository's modules it imports (``from a.b import c`` counts as importing
    ``a.b.c`` when that is a module, else ``a.b``); a package's ``__init__`` is the package."""
    paths = {}
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).parts
        if relative[0] in APPS and not SKIPPED & set(relative):
            parts = path.relative_to(root).with_suffix("").parts
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {module: set() for module in paths}
    for module, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                while name and name not in paths:
                    name = name.rpartition(".")[0]
                # A module importing its own package's __init__ is not a circle of two files.
                if name and name != module and not module.startswith(name + "."):
                    graph[module].add(name)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(importer, imported) pairs where an app imports one in a higher layer or a door."""
    return sorted(
        (app, target)
        for app, targets in graph.items()
        for target in targets
        if RANK[target] > RANK[app] or (target in DOORS and app not in DOORS)
    )


def test_no_two_apps_import_each_other_through_any_path():
    assert find_cycle(import_graph()) is None


def test_every_import_points_down_the_layers():
    assert upward_imports(import_graph()) == []


def test_no_two_modules_import_each_other_through_any_path():
    assert find_cycle(module_graph()) is None


def test_the_doors_and_the_demo_use_the_domain():
    graph = import_graph()
    assert {"courses", "commerce", "recommendations"} <= graph["web"]
    assert {"courses", "commerce", "recommendations"} <= graph["api"]
    assert not (graph["web"] & {"api", "demo"}) and not (graph["api"] & {"web", "demo"})


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ],
)
def test_the_cycle_finder_finds_circles_direct_and_indirect(graph, cycle):
    assert find_cycle(graph) == cycle


def test_a_circle_written_into_a_tree_is_caught(tmp_path):
    for app, source in {
        "courses": "from commerce.services import order_create\n",
        "commerce": "def f():\n    from courses.models import Course\n",
    }.items():
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
        (tmp_path / app / "mod.py").write_text(source)
    graph = import_graph(tmp_path)
    assert find_cycle(graph) == ["commerce", "courses", "commerce"]
    assert ("courses", "commerce") in upward_imports(graph)


def test_a_circle_between_two_files_of_one_app_is_caught(tmp_path):
    (tmp_path / "recommendations").mkdir()
    (tmp_path / "recommendations" / "tasks.py").write_text("from recommendations import x\n")
    (tmp_path / "recommendations" / "x.py").write_text(
        "def f():\n    from recommendations.tasks import t\n"
    )
    assert find_cycle(module_graph(tmp_path)) == [
        "recommendations.tasks",
        "recommendations.x",
        "recommendations.tasks",
    ]


def test_a_domain_app_importing_a_door_is_caught(tmp_path):
    (tmp_path / "recommendations").mkdir()
    (tmp_path / "recommendations" / "views.py").write_text("from web.home import home_page\n")
    assert upward_imports(import_graph(tmp_path)) == [("recommendations", "web")]
