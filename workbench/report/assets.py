"""The static HTML report's stylesheet and script, inlined into every report (no CDN, no fonts, no images).

Both are files next to the templates (``templates/report.css``, ``templates/report.js``).
The page's Content-Security-Policy allows exactly these two blocks, by the SHA-256 of
their text: no other inline script or style runs, and nothing is fetched.
"""

from __future__ import annotations

import base64
import hashlib
from importlib import resources

from markupsafe import Markup

__all__ = ["CSS", "JS", "content_security_policy", "csp_hash"]


def _asset(name: str, closing: str) -> Markup:
    text = (resources.files("workbench.report") / "templates" / name).read_text(encoding="utf-8")
    if closing in text.lower():  # it would end its own block early
        raise ValueError(f"{name} must not contain {closing}")
    return Markup(text)


CSS = _asset("report.css", "</style")
JS = _asset("report.js", "</script")


def csp_hash(text: str) -> str:
    """The CSP source expression allowing one inline block: ``'sha256-<base64 digest>'``."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(css: str = CSS, js: str = JS) -> Markup:
    """Nothing by default; the page's own style and script blocks by hash; no base URL, no form target.

    Markup (written as is into a double-quoted attribute): it holds only keywords and base64 digests.
    """
    return Markup(
        f"default-src 'none'; script-src {csp_hash(js)}; style-src {csp_hash(css)}; "
        "base-uri 'none'; form-action 'none'"
    )
