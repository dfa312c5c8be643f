"""The house rules a newcomer relies on, checked: the import graph of monitor/ and spiders/ has
no cycle (it can be read bottom-up), library code never imports a spider, and only the storage
package (monitor/archive/) writes to the archive.

Every module is parsed with ast, imports inside functions included (a lazy import is still a
dependency), so a cycle cannot hide behind an import moved into a function body.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("monitor", "spiders")
ALLOWED: set[tuple[str, str]] = set()  # no edge is excused: any cycle fails the test


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its body, inside functions too (the parent
    packages Python imports on the way are not counted: they are not a choice of the module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {  # `if TYPE_CHECKING:` imports are for the type checker, not a runtime edge
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for n in ast.walk(stmt)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            subs = [f"{base}.{a.name}" for a in node.names]
            # `from pkg import sub` needs pkg/__init__ only to reach sub; a name that is not a
            # module is read from pkg itself, a dependency on it
            targets = subs + ([base] if any(t not in known for t in subs) else [])
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative enough)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_imports_inside_functions() -> None:
    edges = graph()
    assert "monitor.crawl" in edges["monitor.distributed.worker"]  # imported in worker_settings
    assert "monitor.poll" in edges["spiders.base"]


def test_no_import_cycle_among_monitor_and_spiders() -> None:
    edges = graph()
    pruned = {v: {w for w in ws if (v, w) not in ALLOWED} for v, ws in edges.items()}
    assert cycles(pruned) == []


def test_library_code_does_not_import_spiders() -> None:
    """monitor/ may run a spider, never import one for its parts (the poll signal and the Poll
    live in monitor/poll.py). The runners: `monitor run`, `monitor check`'s probe, the scale-out
    spider and the backfill walk."""
    runners = ("monitor.crawl", "monitor.check", "monitor.distributed.spider", "monitor.backfill")
    leaks = {
        v: sorted(w for w in ws if w.startswith("spiders"))
        for v, ws in graph().items()
        if v.startswith("monitor") and not v.startswith(runners)
    }
    assert {v: ws for v, ws in leaks.items() if ws} == {}


def test_scoring_stays_out_of_the_monitor_path() -> None:
    """monitor/evaluation/ scores the shipped code against labels; nothing the watch runs may
    import it, or a label could leak into what is measured."""
    users = {
        v
        for v, ws in graph().items()
        if not v.startswith("monitor.evaluation")
        and any(w.startswith("monitor.evaluation") for w in ws)
    }
    assert users == set()


SQL_WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|VACUUM|BEGIN|COMMIT)\b"
)  # upper case, as all our SQL is: a docstring saying "Drop entries..." is prose
# sqlite-utils' writing methods (db["t"].insert(...), table.upsert_all(...), ...)
TABLE_WRITES = {
    "insert",
    "insert_all",
    "upsert",
    "upsert_all",
    "delete_where",
    "create",
    "create_index",
    "add_column",
    "transform",
    "enable_fts",
    "create_view",
    "executescript",
}
# The benchmark archive grower copies rows in bulk on purpose (it builds a synthetic archive of
# ten years for benchmarks/browse.py and the browser tests, never a user's archive).
WRITER_EXCEPTIONS = {"monitor.datasette.grow"}


def writes_in(path: Path) -> list[str]:
    """SQL write statements in string literals, and sqlite-utils write calls, in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SQL_WRITE.match(node.value) and " " in node.value.strip():
                found.append(f"{path.name}:{node.lineno}: {node.value.strip()[:40]!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in TABLE_WRITES
            and isinstance(node.func.value, ast.Subscript)  # db["table"].insert(...)
        ):
            found.append(f"{path.name}:{node.lineno}: .{node.func.attr}(")
    return found


def test_only_the_storage_package_writes_to_the_archive() -> None:
    """ "Only monitor/archive/ writes" stays true: no SQL write outside it (reads are free)."""
    outside = {
        name: hits
        for name, path in modules().items()
        if not name.startswith("monitor.archive") and name not in WRITER_EXCEPTIONS
        if (hits := writes_in(path))
    }
    assert outside == {}


def test_the_writer_check_sees_a_write(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'def f(db):\n    db.execute("UPDATE sources SET status = ?", ["ok"])\n'
        '    db["runs"].insert({"status": "running"})\n'
    )
    assert sorted(h.split(": ", 1)[1] for h in writes_in(sample)) == [
        "'UPDATE sources SET status = ?'",
        ".insert(",
    ]
