"""Bodies an eval's calls reuse from its plan's renders past the render cache (``prompt.bodies``)."""

from __future__ import annotations

import secrets
from pathlib import Path

from workbench.prompt import render as render_mod
from workbench.prompt.bodies import BodyCache
from workbench.prompt.render import Prompt

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"
QUESTIONS = [
    "slow endpoints for android users yesterday",
    "error rate by service over the last day",
    "p99 latency of checkout in the last 3 hours",
    "how many requests did ios users make this week",
    "which regions had the most 5xx responses",
]


def test_a_body_comes_back_as_it_was_kept() -> None:
    cache = BodyCache()
    bodies = [
        {"model": "m", "messages": [{"role": "user", "content": f"question {i} ü"}], "seed": i}
        for i in range(3)
    ]
    for i, body in enumerate(bodies):
        assert cache.put(f"q{i}", body)
    assert [cache.get(f"q{i}") for i in range(3)] == bodies
    assert cache.get("q9") is None
    got = cache.get("q0")
    got["model"] = "changed"  # a new dict each time: the kept one is unchanged
    assert cache.get("q0") == bodies[0]


def test_the_byte_limit_is_kept_and_later_bodies_are_not() -> None:
    bodies = [{"messages": [{"role": "user", "content": secrets.token_hex(2500)}]} for _ in range(10)]
    probe = BodyCache()
    probe.put("primer", {"other": secrets.token_hex(2500)})  # the first body kept is the dictionary
    probe.put("one", bodies[0])
    one = probe.nbytes - probe.size_of("primer")
    cache = BodyCache(limit=int(one * 3.5))  # random text: each body after the first takes about as much
    kept = [cache.put(f"q{i}", body) for i, body in enumerate(bodies)]
    assert kept == [True] * 4 + [False] * 6
    assert cache.nbytes <= cache.limit and cache.get("q9") is None


def test_past_the_render_cache_the_calls_reuse_bodies_not_renders(small_dataset, monkeypatch) -> None:
    monkeypatch.setattr(render_mod, "RENDER_CACHE_BYTES", 1)  # no whole render fits
    prompt = Prompt.load(PROMPTS / "compact.yaml", small_dataset)
    expected = [prompt.render(q).body for q in QUESTIONS]  # the plan's renders
    rendered: list[str] = []
    real = Prompt._render
    monkeypatch.setattr(
        Prompt, "_render", lambda self, q, current: rendered.append(q) or real(self, q, current)
    )
    assert [prompt.request_body(q) for q in QUESTIONS] == expected
    assert rendered == []  # none rendered again
    assert (
        prompt.request_body("a question the plan never saw")
        == prompt.render("a question the plan never saw").body
    )
    assert rendered == ["a question the plan never saw"] * 2
