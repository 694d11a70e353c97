"""Request bodies remembered compactly: what an eval's calls need of the renders its plan made.

A plan renders every question before the run (for its token and cost bound) and the calls need
only each render's body. A ``Prompt`` keeps whole renders up to ``RENDER_CACHE_BYTES`` (about
320 ``compact`` ones); the bodies of the renders past that are kept here as compact JSON,
zlib-compressed with the first kept body as the dictionary (the system prompt and tool schema
every body repeats), within ``BODY_CACHE_BYTES``. Reading one back costs about 0.1 ms, rendering
the question again about 1.3 ms (``benchmarks/bench_eval_profile.py``).
"""

from __future__ import annotations

import json
import threading
import zlib
from typing import Any

__all__ = ["BODY_CACHE_BYTES", "BodyCache"]

#: compressed bytes each ``Prompt`` keeps bodies in (a ``compact`` body: about 14 KB of JSON, a few KB kept);
#: when full, a new body is not kept, so the calls reuse the plan's first ones and render the rest
BODY_CACHE_BYTES = 8 * 1024 * 1024


class BodyCache:
    """Request bodies by key (a question), compressed, within a byte limit; thread-safe."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = BODY_CACHE_BYTES if limit is None else limit
        self._lock = threading.Lock()
        self._bodies: dict[str, bytes] = {}
        self._size = 0
        self._zdict: bytes | None = None

    def __len__(self) -> int:
        return len(self._bodies)

    @property
    def nbytes(self) -> int:
        """Compressed bytes held."""
        return self._size

    def size_of(self, key: str) -> int:
        """Compressed bytes kept for ``key`` (0 when none)."""
        with self._lock:
            return len(self._bodies.get(key, b""))

    def put(self, key: str, body: dict[str, Any]) -> bool:
        """Keep ``body`` under ``key`` if it fits (True); a key kept before keeps its first body."""
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        with self._lock:
            if key in self._bodies:
                return True
            if self._zdict is None:
                self._zdict = text[-32768:]  # zlib's window: what later bodies can refer back to
            zdict = self._zdict
        packer = zlib.compressobj(1, zdict=zdict)
        packed = packer.compress(text) + packer.flush()
        with self._lock:
            if key in self._bodies or self._size + len(packed) > self.limit:
                return key in self._bodies
            self._bodies[key] = packed
            self._size += len(packed)
            return True

    def get(self, key: str) -> dict[str, Any] | None:
        """The body kept under ``key`` (a new dict each time), or None."""
        with self._lock:
            packed, zdict = self._bodies.get(key), self._zdict
        if packed is None or zdict is None:
            return None
        unpacker = zlib.decompressobj(zdict=zdict)
        return json.loads(unpacker.decompress(packed) + unpacker.flush())
