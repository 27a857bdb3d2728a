"""The package's layers, read from its import statements (those inside functions too):
each module imports only its own layer and those below, the packages form no cycle, and no
module outside `models/` and `families.py` compares a family name.

Run with `-s` to see the layering as the test reads it.
"""

import ast
import collections

from tests.helpers import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "clue_tf"
# Lowest first; a module may import its own layer and the ones below.
LAYERS = [
    ("errors", "families", "rows", "io", "progress", "private_api"),
    ("tokenization", "models"),
    ("checkpoints", "data"),
    ("training", "serving", "inference"),
    ("tasks",),
    ("cli",),
]
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}
FAMILY_NAMES = ("bert", "albert", "t5", "pegasus", "electra", "ernie", "roformer", "nezha")


def part_of(module: str) -> str:
    """clue_tf.X.Y -> X; the top-level `python -m clue_tf.COMMAND` shims belong to the CLI."""
    parts = module.split(".")
    if len(parts) == 1:
        return "errors"  # clue_tf/__init__.py: the version, at the bottom
    if len(parts) == 2 and (PACKAGE / "cli" / f"{parts[1]}.py").exists():
        return "cli"
    return parts[1]


def modules() -> dict[str, ast.Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def imports(tree: ast.Module) -> set[str]:
    """Every clue_tf module a module imports, at the top or inside a function."""
    named = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("clue_tf"):
            named.add(node.module)
        elif isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names if alias.name.startswith("clue_tf"))
    return named


def package_graph() -> dict[str, set[str]]:
    graph = collections.defaultdict(set)
    for module, tree in modules().items():
        for target in imports(tree):
            if part_of(target) != part_of(module):
                graph[part_of(module)].add(part_of(target))
    return graph


def test_every_import_points_down_or_sideways():
    upward = []
    for module, tree in modules().items():
        for target in imports(tree):
            here, there = part_of(module), part_of(target)
            assert here in RANK and there in RANK, f"{module} -> {target}: a package missing from LAYERS"
            if RANK[there] > RANK[here]:
                upward.append(f"{module} -> {target}")
    graph = package_graph()
    for rank, parts in enumerate(LAYERS):
        print(f"layer {rank}: " + "; ".join(f"{p} -> {', '.join(sorted(graph[p])) or '-'}" for p in parts))
    assert upward == []


def test_the_packages_form_no_cycle():
    graph = package_graph()
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_no_family_name_is_compared_outside_the_models():
    found = []
    for module, tree in modules().items():
        if part_of(module) in ("models", "families"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                strings = [n.value for n in operands if isinstance(n, ast.Constant)]
                strings += [e.value for n in operands if isinstance(n, (ast.Tuple, ast.List, ast.Set))
                            for e in n.elts if isinstance(e, ast.Constant)]
                if any(s in FAMILY_NAMES for s in strings):
                    found.append(f"{module}:{node.lineno}")
    assert found == []
