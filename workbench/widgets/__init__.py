"""Jupyter widgets: thin views over the same objects the CLI uses.

Each view observes its controls, writes to the core objects (``Prompt`` /
``PromptVariant.with_``) and re-renders from core functions; long work runs in a
background thread and errors show inside the view as one red line.

Every view's root widget carries a CSS class (``wb-side-by-side``,
``wb-schema-editor``, ``wb-examples-editor``, ``wb-instructions-editor``, ``wb-inspector``, ``wb-dashboard``,
``wb-workbench``): notebooks and the browser test find them by it.
"""

from __future__ import annotations

from workbench.widgets._query_view import query_widget
from workbench.widgets.app import Workbench
from workbench.widgets.dashboard import Dashboard, RunView
from workbench.widgets.examples_editor import ExamplesEditor
from workbench.widgets.inspector import PromptInspector
from workbench.widgets.instructions_editor import InstructionsEditor
from workbench.widgets.schema_editor import SchemaEditor
from workbench.widgets.side_by_side import SideBySide, VariantColumn

__all__ = [
    "Dashboard",
    "ExamplesEditor",
    "InstructionsEditor",
    "PromptInspector",
    "RunView",
    "SchemaEditor",
    "SideBySide",
    "VariantColumn",
    "Workbench",
    "query_widget",
]
