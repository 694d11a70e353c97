"""What a failed model request means: a one-line message, and whether (and when) to try again.

Retryable: 408, 409, 429 and 5xx answers, timeouts and connection errors, unless the
server says otherwise (``x-should-retry``) or the 429 is an exhausted quota
(``insufficient_quota``: waiting does not cure it). The wait the server asks for comes
from ``retry-after-ms`` (OpenAI's, in milliseconds) or ``Retry-After`` (seconds or an
HTTP date).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["CallFailure", "failure_from", "retry_after_seconds"]


class CallFailure(Exception):
    """One HTTP attempt failed. ``retryable``: worth another attempt; ``retry_after_s``: what the server asked for."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after_s = retry_after_s


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` (OpenAI) or ``retry-after`` (seconds or an HTTP date); ``None`` if absent."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
            except (TypeError, ValueError):
                return None
    return None


def failure_from(exc: Exception, timeout_s: float, *, scrub: Callable[[str], str] = str) -> CallFailure:
    """Classify an ``openai`` exception: status, a one-line message, whether and when to retry.

    ``scrub`` removes the key from messages a server may echo it in.
    """
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return CallFailure(f"timeout: no answer within {timeout_s:g} s", retryable=True)
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return CallFailure(scrub(f"connection error: {cause}"), retryable=True)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        body = exc.body if isinstance(exc.body, dict) else {}
        code = body.get("code") or body.get("type")
        detail = body.get("message") or exc.message
        param = f" (param: {body['param']})" if body.get("param") else ""
        message = scrub(f"HTTP {status}{f' {code}' if code else ''}: {detail}{param}")
        headers = exc.response.headers
        should = (headers.get("x-should-retry") or "").lower()
        if should in ("true", "false"):
            retryable = should == "true"
        else:
            retryable = status in (408, 409, 429) or status >= 500
        if code == "insufficient_quota":  # a 429 that waiting does not cure
            retryable = False
        return CallFailure(
            message, status=status, retryable=retryable, retry_after_s=retry_after_seconds(headers)
        )
    return CallFailure(scrub(f"{type(exc).__name__}: {exc}"))
