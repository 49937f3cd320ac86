"""The package's shape: imports flow one way, and the bot folder's layout has one owner.

The import graph is read from the source (every `import`, function-local ones included), with
`space/` and `templates/` as the `publisher.space` and `publisher.templates` they install as,
beside the checkout's other importable folders: `testkit` (builders of real formats, the
fakes), `benchmarks` and `examples`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

from publisher.bot import layout

ROOT = Path(__file__).resolve().parents[1]
# Source folder of each installed package that does not live under publisher/.
MAPPED = {"publisher.space": ROOT / "space", "publisher.templates": ROOT / "templates"}
# What the checkout imports besides the installed package (from its root, never installed).
CHECKOUT = {name: ROOT / name for name in ("testkit", "benchmarks", "examples")}


def modules() -> dict[str, Path]:
    """Every module of the installed package and of the checkout's folders, by dotted name."""
    found: dict[str, Path] = {}
    roots = {"publisher": ROOT / "publisher", **MAPPED, **CHECKOUT}
    for name, folder in roots.items():
        for path in folder.rglob("*.py"):
            parts = [*name.split("."), *path.relative_to(folder).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that `name` imports, anywhere in the file."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()

    def add(target: str) -> None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            out.add(target)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
            for sub in subs:
                add(sub)
            if len(subs) < len(node.names):
                add(module)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def stage(module: str) -> str:
    """publisher.train.loop -> publisher.train; publisher.pipeline -> publisher.pipeline."""
    return ".".join(module.split(".")[:2])


def test_the_module_graph_has_no_cycle(graph):
    assert cycles(graph) == []


def test_the_graph_covers_the_benchmarks_and_the_testkit(graph):
    assert {"benchmarks.run", "benchmarks.common", "testkit.x_archive"} <= set(graph)
    assert "benchmarks.common" in graph["benchmarks.bench_prepare"]
    assert "testkit.x_archive" in graph["benchmarks.hostile_cases"]
    assert "testkit.x_archive" in graph["examples.make_sample_archive"]


def test_the_testkit_builds_on_nothing_but_itself_and_the_package(graph):
    for name, targets in graph.items():
        if name.startswith("testkit"):
            outside = [t for t in targets if t.startswith(("benchmarks", "examples"))]
            assert outside == [], name


def _top_level_imports(path: Path) -> set[str]:
    """The first part of every absolute import in `path`."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_the_checkout_folders_import_nothing_from_the_tests_and_never_touch_sys_path():
    tests = {p.stem for p in (ROOT / "tests").glob("*.py")} | {"fakes", "archives"}
    for folder in CHECKOUT.values():
        for path in folder.rglob("*.py"):
            where = path.relative_to(ROOT)
            assert not (_top_level_imports(path) & tests), where
            tree = ast.parse(path.read_text(encoding="utf-8"))
            touches = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                       and n.attr in ("insert", "append", "extend", "remove")
                       and ast.unparse(n.value) == "sys.path"]  # fmt: skip
            assert touches == [], f"{where}:{touches} changes sys.path"


def test_the_tests_take_each_builder_from_where_it_is_defined():
    """A test imports a builder of a real format from `testkit`, never through a benchmark."""
    import importlib

    for path in (ROOT / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("benchmarks."):
                module = importlib.import_module(node.module or "")
                for alias in node.names:
                    value = getattr(module, alias.name)
                    home = getattr(value, "__module__", node.module)
                    assert home == node.module, f"{path.name}: {alias.name} is {home}'s"


def test_the_package_graph_has_no_cycle(graph):
    packages: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        packages[stage(source)] |= {stage(t) for t in targets if stage(t) != stage(source)}
    packages.pop("publisher", None)  # the root package's __init__ imports nothing
    assert cycles(packages) == []


def test_the_graph_sees_function_local_imports(graph):
    # `hf-tweetbot publish` imports the pipeline only when it runs (a heavy import).
    assert "publisher.pipeline" in graph["publisher.cli.make"]
    assert "publisher.space.model_thread" in graph["publisher.cli"]


def test_the_space_imports_nothing_from_publisher(graph):
    for name, targets in graph.items():
        if name.startswith("publisher.space"):
            assert all(t.startswith("publisher.space") for t in targets), name


def test_no_package_reaches_into_another_packages_private_names():
    for path in (ROOT / "publisher").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                private = [a.name for a in node.names if a.name.startswith("_")]
                assert not private, f"{path.relative_to(ROOT)} imports {private}"


# The names of a bot folder's entries, which only `publisher/bot/layout.py` may spell out.
LAYOUT_NAMES = {
    layout.DATA, layout.REPO, layout.RAW, layout.CHECKPOINTS, layout.AVATARS, layout.EXPORT,
    layout.RUNS, layout.POSTS, layout.TOKENIZED, layout.GUARD_KEY, layout.MANIFEST,
}  # fmt: skip


def test_only_the_layout_spells_out_paths_inside_a_bot_folder():
    found = []
    # The sources read other layouts (an X archive has its own `data/`).
    for path in (ROOT / "publisher").rglob("*.py"):
        if path == ROOT / "publisher" / "bot" / "layout.py" or "sources" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.BinOp)
                and isinstance(node.op, ast.Div)
                and isinstance(node.right, ast.Constant)
                and node.right.value in LAYOUT_NAMES
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} / {node.right.value!r}")
    assert found == []


def test_the_layout_names_the_key_file_the_space_reads():
    from publisher.space import guard

    assert layout.GUARD_KEY == guard.KEY_FILE
