"""No import cycles between the package's modules (grimp: the graph import-linter checks).

``lint-imports`` (pyproject's ``[tool.importlinter]``) checks the modules of each package;
this checks every module of ``workbench`` against every other, across packages, with
function-level and ``TYPE_CHECKING`` imports counted. None is allowed (the offline model's
parser, once one cycle of eight modules, is a state object plus an ordered tuple of passes).
"""

from __future__ import annotations

import grimp
import pytest


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("workbench", cache_dir=None)


def in_cycles(graph: grimp.ImportGraph) -> dict[str, list[str]]:
    """Each module that is in an import cycle, with one shortest cycle through it."""
    out = {}
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                out[module] = [module, *back]
                break
    return out


def test_no_module_is_in_an_import_cycle(graph: grimp.ImportGraph) -> None:
    cycles = in_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles.values())


def test_the_check_sees_a_cycle() -> None:
    """The check can fail: an import that closes a loop puts its modules in a cycle."""
    graph = grimp.build_graph("workbench", cache_dir=None)
    graph.add_import(importer="workbench.sql.filters", imported="workbench.sql.compiler")
    assert {"workbench.sql.filters", "workbench.sql.compiler"} <= set(in_cycles(graph))
