"""HTML from Jinja2 templates: one configuration for the report and the notebook previews.

Every environment autoescapes (a value from a model, a log or a bundle is text, never
markup), fails on an undefined name (a typo in a template is an error, not an empty
cell) and has the number formatters of :mod:`workbench.core.format` as filters
(``{{ m.accuracy | pct }}``). A package's templates live in its ``templates/`` folder
and ship in the wheel (``pyproject.toml`` package-data).
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2

from workbench.core import format as fmt

__all__ = ["environment", "render"]


@functools.cache
def environment(package: str) -> jinja2.Environment:
    """The environment of ``package``'s ``templates/`` folder (e.g. ``"workbench.report"``)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        pct=fmt.pct, ms=fmt.ms, money=fmt.money, ci=fmt.ci, signed_ci=fmt.signed_ci, count=fmt.count
    )
    return env


def render(package: str, template: str, **context: Any) -> str:
    """Render ``template`` of ``package`` with ``context``."""
    return environment(package).get_template(template).render(**context)
