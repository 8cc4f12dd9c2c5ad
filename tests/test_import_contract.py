"""The core knows no PBX: routing, the call records, the call-back notes and the simulation import nothing
from an adapter.

They read bereik.facts, which the Asterisk adapter (bereik.pbx) and the FreeSWITCH adapter
(bereik.freeswitch) produce. Checked on the source with `ast`, imports inside functions and
imports through another bereik module included.
"""
import ast
from pathlib import Path

BEREIK = Path(__file__).parents[1] / "bereik"
CORE = ("bereik.routing", "bereik.records", "bereik.callbacks", "bereik.simulation")
ADAPTERS = ("bereik.pbx", "bereik.freeswitch")


def _modules(package: Path) -> dict[str, Path]:
    found = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]) if node.level else ""
            source = ".".join(part for part in (base, node.module or "") if part)
            named.add(source)
            named.update(f"{source}.{alias.name}" for alias in node.names)
    # `import a.b.c` imports a and a.b too: every bereik module on the way counts.
    return {prefix for name in named for prefix in _prefixes(name) if prefix in known}


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts) + 1)]


def forbidden_imports(package: Path, sources: tuple[str, ...], forbidden: tuple[str, ...]) -> list[list[str]]:
    """For each module under `sources` that reaches a module under `forbidden`: one chain of imports."""
    known = _modules(package)
    graph = {module: _imports(module, path, known) for module, path in known.items()}
    return [chain for start in sorted(m for m in known if m.startswith(sources))
            for chain in _chains(start, graph, forbidden)]


def _chains(start: str, graph: dict[str, set[str]], forbidden: tuple[str, ...]) -> list[list[str]]:
    paths = {start: [start]}
    todo = [start]
    while todo:
        current = todo.pop()
        for nxt in sorted(graph[current] - paths.keys()):
            paths[nxt] = [*paths[current], nxt]
            todo.append(nxt)
    return [path for module, path in sorted(paths.items()) if module.startswith(forbidden)][:1]


def test_routing_records_call_backs_and_simulation_import_no_pbx_adapter():
    chains = forbidden_imports(BEREIK, CORE, ADAPTERS)
    assert chains == [], "the core imports an adapter: " + "; ".join(" -> ".join(c) for c in chains)


def test_the_check_finds_a_direct_a_relative_and_an_indirect_import(tmp_path):
    package = tmp_path / "bereik"
    for name, text in {
        "__init__.py": "", "pbx/__init__.py": "", "pbx/ami.py": "",
        "routing/__init__.py": "", "routing/pure.py": "from bereik.facts import CallFact\n",
        "routing/direct.py": "def later():\n    from bereik.pbx import ami\n",
        "records/__init__.py": "", "records/relative.py": "from ..pbx.ami import x\n",
        "records/indirect.py": "import bereik.helper\n", "helper.py": "import bereik.pbx.ami\n", "facts.py": "",
    }.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text)
    chains = forbidden_imports(package, CORE, ADAPTERS)
    assert chains == [["bereik.records.indirect", "bereik.helper", "bereik.pbx"],
                      ["bereik.records.relative", "bereik.pbx"],
                      ["bereik.routing.direct", "bereik.pbx"]]
