"""Follow-ups: the spec diff, the current-query prompt section, the offline model's edits, the critic, Conversation."""

from __future__ import annotations

import json

import pytest

from workbench.conversation.session import Conversation
from workbench.critic.followup import critique_followup, dropped_context
from workbench.offline import complete
from workbench.offline.followup import current_query
from workbench.prompt.render import Prompt
from workbench.spec.diff import spec_diff

NOW = 1795176000
BASE = {
    "calculations": [{"op": "COUNT"}],
    "filters": [{"column": "error", "op": "=", "value": True}],
    "breakdowns": ["service.name"],
    "start_time": 1795046400,
    "end_time": 1795132800,
}


def test_spec_diff_names_each_change():
    after = {
        **BASE,
        "filters": [{"column": "service.name", "op": "=", "value": "checkout"}],
        "breakdowns": ["cloud.region"],
        "time_range": 3600,
        "granularity": 3600,
        "limit": 3,
    }
    del after["start_time"], after["end_time"]
    d = spec_diff(BASE, after, NOW)
    assert d.filters_added == ("service.name = checkout",)
    assert d.filters_removed == ("error = true",)
    assert d.breakdowns_added == ("cloud.region",) and d.breakdowns_removed == ("service.name",)
    assert d.time == ("yesterday (Nov 19, UTC)", "last 1 hour")
    assert d.granularity == ("none", "per hour") and d.limit == ("none", "3")
    assert spec_diff(BASE, BASE, NOW).empty
    assert "lines" in d.to_dict() and str(d).startswith("+ filter")


def test_current_query_section_is_after_the_stable_prefix_and_counted(small_schema):
    p = Prompt.load("compact", small_schema)
    alone, follow = p.render("only android"), p.render("only android", BASE)
    assert follow.stable_prefix_tokens == alone.stable_prefix_tokens
    assert follow.messages[0] == alone.messages[0]
    assert "## Current query\n" in follow.messages[-1]["content"]
    assert "current_query" not in alone.sections and follow.sections["current_query"] > 0
    assert sum(follow.sections.values()) == follow.total_tokens
    assert current_query(follow.body) == json.loads(json.dumps(BASE))
    readback = p.with_(current_query="readback").render("only android", BASE)
    assert "COUNT" not in readback.messages[-1]["content"].split("## Current query")[1].split("##")[0]
    none = p.with_(current_query="none").render("only android", BASE)
    assert none.messages == alone.messages


def _followup(small_schema, question, current):
    body = Prompt.load("compact", small_schema).render(question, current).body
    args = complete(body)["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    return json.loads(args)


@pytest.mark.parametrize(
    ("question", "check"),
    [
        ("only android", lambda s: {"column": "app.platform", "op": "=", "value": "android"} in s["filters"]),
        ("by region instead", lambda s: s["breakdowns"] == ["cloud.region"]),
        ("also by version", lambda s: s["breakdowns"] == ["service.name", "app.version"]),
        ("p95 latency instead", lambda s: s["calculations"] == [{"op": "P95", "column": "duration_ms"}]),
        ("the last hour", lambda s: s["time_range"] == 3600 and s.get("start_time") is None),
        ("per hour", lambda s: s["granularity"] == 3600),
        ("top 3", lambda s: s["limit"] == 3),
    ],
)
def test_offline_model_changes_only_what_the_followup_says(small_schema, question, check):
    spec = _followup(small_schema, question, BASE)
    assert check(spec), spec
    kept = {k: v for k, v in BASE.items() if k in ("start_time", "end_time")}
    if "hour" not in question or "per" in question:
        assert {k: spec.get(k) for k in kept} == kept  # the window is kept unless the follow-up changes it
    assert {"column": "error", "op": "=", "value": True} in spec["filters"]


def test_offline_model_replaces_and_lifts_filters(small_schema):
    android = {
        **BASE,
        "filters": [*BASE["filters"], {"column": "app.platform", "op": "=", "value": "android"}],
    }
    ios = _followup(small_schema, "for ios instead", android)
    assert {"column": "app.platform", "op": "=", "value": "ios"} in ios["filters"]
    assert all(f.get("value") != "android" for f in ios["filters"])
    lifted = _followup(small_schema, "not just android", android)
    assert all(f["column"] != "app.platform" for f in lifted["filters"])
    assert {"column": "error", "op": "=", "value": True} in lifted["filters"]


def test_dropped_context_warns_only_when_the_followup_never_said_it():
    dropped = {k: v for k, v in BASE.items() if k != "filters"}
    (f,) = dropped_context("by region instead", BASE, {**dropped, "breakdowns": ["cloud.region"]}, NOW)
    assert f.code == "critic_dropped_context" and "error = true" in f.suggestion
    assert dropped_context("ignore the errors, all requests", BASE, dropped, NOW) == []
    assert dropped_context("without the error filter", BASE, dropped, NOW) == []
    window = {k: v for k, v in BASE.items() if k not in ("start_time", "end_time")}
    (t,) = dropped_context("by region instead", BASE, window, NOW)
    assert "yesterday" in t.message
    assert dropped_context("same for last week", BASE, {**window, "time_range": 604800}, NOW) == []


def test_followup_critic_does_not_judge_inherited_parts_again(small_schema):
    # "only android" says nothing about time: the inherited window is not the question's business
    spec = {**BASE, "filters": [*BASE["filters"], {"column": "app.platform", "op": "=", "value": "android"}]}
    codes = {f.code for f in critique_followup("only android", BASE, spec, small_schema)}
    assert "critic_time" not in codes and "critic_dropped_context" not in codes


def test_conversation_ask_undo_history(small_dataset):
    c = Conversation("compact", small_dataset)
    first = c.ask("errors by service yesterday")
    assert first.previous is None and first.spec is not None
    second = c.ask("only checkout")
    assert second.previous == first.spec
    assert "+ filter service.name = checkout" in second.diff.lines()
    assert c.current == second.spec
    assert c.undo() is second and c.current == first.spec
    assert len(c.history()) == 1 and c.history()[0].startswith("1. errors by service yesterday -> ")
    assert second.to_dict()["diff"]["lines"]


def test_followup_sections_are_in_prompt_order(small_schema):
    from workbench.prompt.rendered import FOLLOWUP_SECTIONS

    r = Prompt.load("compact", small_schema).render("only android", BASE)
    assert list(r.sections) == list(FOLLOWUP_SECTIONS)


def test_lifting_a_filter_is_not_read_as_a_negation(small_schema):
    android = {
        **BASE,
        "filters": [*BASE["filters"], {"column": "app.platform", "op": "=", "value": "android"}],
    }
    codes = {f.code for f in critique_followup("not just android", android, BASE, small_schema)}
    assert not codes & {"critic_negation", "critic_dropped_context"}
