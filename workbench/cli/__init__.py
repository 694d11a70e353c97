"""The ``workbench`` command line: a thin layer over the same objects the widgets use.

Each verb group lives in its own module with a ``register(subparsers)``
function; ``main`` turns every ``WorkbenchError`` (a user mistake) into one
line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import importlib
import os
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import NoReturn

from workbench.core.errors import WorkbenchError

#: verb modules, in the order ``--help`` lists them.
VERB_MODULES: tuple[str, ...] = (
    "data", "spec", "query", "prompt", "ask", "chat", "questions", "evaluate", "runs", "serve", "export", "lab",
)  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Query Workbench: build, measure and ship natural-language-to-query prompts.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for name in VERB_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


#: packages of the ``lab`` extra: the base install (the production runtime) has none of them.
LAB_PACKAGES = frozenset({
    "duckdb", "pandas", "numpy", "ipywidgets", "jupyterlab", "ipykernel", "plotly", "starlette", "uvicorn", "tqdm",
})  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in model text prints escaped, never crashes
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return _run(args)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in LAB_PACKAGES:
            raise
        print(
            f"workbench: error: the workbench needs {exc.name}, which the base install (the production "
            "runtime) leaves out; install the workbench with: pip install 'query-workbench[lab]'",
            file=sys.stderr,
        )
        return 2


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``workbench`` process (console script, ``python -m workbench``): :func:`main`, then exit.

    The interpreter's own exit frees every object one by one before the process ends: 0.4-0.7 s
    after an eval (the ``openai`` package's thousands of pydantic classes, tiktoken's ranks),
    a tenth of a 200-question eval's wall time. Here the exit does what matters of it (the
    ``atexit`` handlers, the standard streams flushed) and lets the OS free the memory at once.
    While another non-daemon thread still runs, the exit is the ordinary one, which waits for it.
    """
    code = main(argv)
    if any(
        t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.current_thread()
    ):
        sys.exit(code)
    atexit._run_exitfuncs()  # what the ordinary exit runs first (logging's flush, temp-file cleanup)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing left to deliver
            stream.flush()
    os._exit(code)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings for the user (an unknown model's tokenizer, ...) as one line, without a source path."""
    print(f"workbench: warning: {message}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("workbench: interrupted; finished work was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # the environment, not a bug: a full disk, a missing folder, no permission
        print(f"workbench: error: {_os_problem(exc)}", file=sys.stderr)
        return 2


def _os_problem(exc: OSError) -> str:
    """One line for a failed file operation, naming the real cause (``ENOSPC`` is "the disk is full")."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"the disk is full (no space left on device){where} (free some space, or write elsewhere)"
    return f"{exc.strerror or exc}{where} (check the path and its permissions)"


if __name__ == "__main__":
    run()
