"""House words the examples teach, and what the model does around them.

A team's own words ("faceplants" for failed spans, "androiders" for Android users) are learned from
the prompt's examples. These tests cover what a reader does with them beyond the word itself: a word
that modifies a taught word and that nothing explains is a condition the model declines to drop; a
taught population counted with "how many" counts its members the way the prompt counts users; a
concept word the examples consistently filter ("traces" as root spans) means that filter when the
prompt states nothing. Each test also shows the answer without the signal, so it can fail. The words,
columns and questions are written here, not taken from any question set.
"""

from __future__ import annotations

from offline_prompt import MIDNIGHT, body, core_columns, spec_of

from workbench.offline import complete
from workbench.schema.columns import ColumnInfo

FAILED = {"column": "error", "op": "=", "value": True}
ANDROID = {"column": "app.platform", "op": "=", "value": "android"}
ROOT = {"column": "trace.parent_id", "op": "does-not-exist"}

#: "faceplants" = failed spans, "androiders" = Android users, each in more than one sentence
HOUSE = [
    ("faceplants per service in the last hour",
     {"calculations": [{"op": "COUNT"}], "filters": [FAILED], "breakdowns": ["service.name"], "time_range": 3600}),
    ("count of faceplants this week", {"calculations": [{"op": "COUNT"}], "filters": [FAILED], "time_range": 604800}),
    ("androider traffic by route", {"calculations": [{"op": "COUNT"}], "filters": [ANDROID],
     "breakdowns": ["http.route"], "time_range": 1209600}),
    ("p90 latency for androiders over the past day", {"calculations": [{"op": "P90", "column": "duration_ms"}],
     "filters": [ANDROID], "time_range": 86400}),
]  # fmt: skip


def _columns(platform_description: str) -> list[ColumnInfo]:
    return [
        ColumnInfo(c.name, c.type, platform_description, values=c.values) if c.name == "app.platform" else c
        for c in core_columns()
    ]


def _ask(question: str, examples: list, columns: list[ColumnInfo] | None = None, **kw) -> dict | None:
    return spec_of(complete(body(question, examples=examples, columns=columns, **kw)))


def test_an_unknown_word_modifying_a_taught_word_is_declined_not_dropped() -> None:
    spec = _ask("tablet faceplants by route yesterday", HOUSE)
    assert spec is None  # "tablet" is a condition nothing in the prompt explains
    message = complete(body("tablet faceplants by route yesterday", examples=HOUSE))["choices"][0]["message"]
    assert "tablet" in (message.get("content") or "")
    assert _ask("faceplants by route yesterday", HOUSE) == {
        "calculations": [{"op": "COUNT"}],
        "filters": [FAILED],
        "breakdowns": ["http.route"],
        "start_time": MIDNIGHT - 86400,
        "end_time": MIDNIGHT,
    }
    assert _ask("androider faceplants by route yesterday", HOUSE)["filters"] == [ANDROID, FAILED]


def test_how_many_of_a_taught_population_counts_its_members() -> None:
    people = _columns("platform of the user's client app")
    question = "how many androiders visited the cart service this week"
    spec = _ask(question, HOUSE, people)
    assert spec is not None
    assert spec["calculations"] == [{"op": "COUNT_DISTINCT", "column": "user.id"}]
    assert ANDROID in spec["filters"]
    # what is counted of them, or a word that is not a population, stays a count of events
    assert _ask("how many androider requests hit the cart service this week", HOUSE, people)[
        "calculations"
    ] == [{"op": "COUNT"}]
    assert _ask("how many faceplants this week", HOUSE, people)["calculations"] == [{"op": "COUNT"}]
    # a filter column that says nothing of people (the platform of a host, say) is no population
    hosts = _ask(question, HOUSE, _columns("platform the host runs"))
    assert hosts is not None and hosts["calculations"] == [{"op": "COUNT"}]


def test_a_population_is_counted_the_way_the_examples_count_another_one() -> None:
    people = _columns("platform of the user's client app")
    tier = {"column": "app.user_tier", "op": "=", "value": "enterprise"}
    examples = [
        *HOUSE,
        ("how many bigwigs signed in today", {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}],
         "filters": [tier], "start_time": MIDNIGHT, "end_time": MIDNIGHT + 86400}),
        ("bigwig traffic per region", {"calculations": [{"op": "COUNT"}], "filters": [tier],
         "breakdowns": ["cloud.region"], "time_range": 1209600}),
    ]  # fmt: skip
    spec = _ask("how many androiders visited the cart service this week", examples, people, conventions=None)
    assert spec is not None and spec["calculations"] == [{"op": "COUNT_DISTINCT", "column": "user.id"}]


_TRACES = [
    ("traces through the search service in the last hour", {"calculations": [{"op": "COUNT"}],
     "filters": [{"column": "service.name", "op": "=", "value": "search"}, ROOT], "time_range": 3600}),
    ("p95 latency of traces by route this week", {"calculations": [{"op": "P95", "column": "duration_ms"}],
     "filters": [ROOT], "breakdowns": ["http.route"], "time_range": 604800}),
]  # fmt: skip


def test_examples_that_all_filter_a_concept_word_teach_that_convention() -> None:
    question = "traces with errors on the cart service yesterday"
    taught = _ask(question, _TRACES, conventions=None)
    assert taught is not None and ROOT in taught["filters"]
    alone = _ask(question, [], conventions=None)
    assert alone is not None and ROOT not in alone.get("filters", [])
    # one example that counts traces without the filter: the examples disagree, nothing is learned
    mixed = [*_TRACES, ("traces on the auth service", {"calculations": [{"op": "COUNT"}],
             "filters": [{"column": "service.name", "op": "=", "value": "auth"}], "time_range": 1209600})]  # fmt: skip
    spec = _ask(question, mixed, conventions=None)
    assert spec is not None and ROOT not in spec.get("filters", [])


def test_a_stated_trace_convention_wins_over_the_examples() -> None:
    stated = "You turn questions into queries.\n\nTraces = distinct trace ids."
    spec = spec_of(
        complete(
            _with_instructions(
                body("traces with errors yesterday", examples=_TRACES, conventions=None), stated
            )
        )
    )
    assert spec is not None and ROOT not in spec.get("filters", [])


def _with_instructions(request: dict, text: str) -> dict:
    system = request["messages"][0]["content"]
    request["messages"][0]["content"] = text + "\n\n" + system.split("\n\n", 1)[1]
    return request


def test_with_no_examples_a_house_word_is_declined_wherever_it_stands() -> None:
    """What is counted ("faceplants by route", "how many androiders") and the object of a verb ("used the
    dashboard") are conditions too: an unknown word there is named in a decline, never dropped."""
    for question, word in [
        ("faceplants by route yesterday", "faceplants"),
        ("tablet faceplants per hour", "tablet"),
        ("how many androiders signed in this week", "androiders"),
        ("how many androiders used the dashboard this week", "dashboard"),
    ]:
        examples = HOUSE if word in ("tablet", "dashboard") else []
        response = complete(body(question, examples=examples))
        assert spec_of(response) is None, question
        assert word in (response["choices"][0]["message"].get("content") or ""), question
    assert _ask("errors by route yesterday", [])["filters"] == [FAILED]  # known words still answer


def _platform_columns() -> list[ColumnInfo]:
    """The client platform under an opaque name beside a header copy and a one-valued cloud platform,
    no descriptions (a block that shows names, types and values only)."""
    kinds = ("android", "ios", "web")
    keep = ("timestamp", "user.id", "service.name", "duration_ms", "error")
    return [
        *(ColumnInfo(c.name, c.type, "", values=c.values) for c in core_columns() if c.name in keep),
        ColumnInfo("cloud.platform", "string", "", values=("gcp_gke",)),
        ColumnInfo("header.x-device-platform", "string", "", values=kinds),
        ColumnInfo("device.kind", "string", "", values=kinds),
    ]


def test_grouping_skips_a_one_valued_column_and_uses_the_examples_copy_of_a_column() -> None:
    columns = _platform_columns()
    question = "unique users per platform yesterday"
    alone = _ask(question, [], columns, conventions=None)
    assert alone is not None and alone["breakdowns"] == ["header.x-device-platform"]  # not the constant one
    examples = [("error count on ios this week", {"calculations": [{"op": "COUNT"}], "filters": [
        {"column": "device.kind", "op": "=", "value": "ios"}, FAILED], "time_range": 604800})]  # fmt: skip
    spec = _ask(question, examples, columns, conventions=None)
    assert spec is not None and spec["breakdowns"] == ["device.kind"]


def test_a_clipped_value_word_is_guessed_and_a_plural_one_counts_people() -> None:
    """A fore-clipping ("droids" for android) is matched to the value it ends, as a reader would guess;
    "how many" of such a value on the user's column counts users, of another column events."""
    people = _columns("platform of the user's client app")
    spec = _ask("how many droids visited the cart service this week", [], people)
    assert spec is not None
    assert spec["calculations"] == [{"op": "COUNT_DISTINCT", "column": "user.id"}]
    assert ANDROID in spec["filters"]
    hosts = _ask("how many droids visited the cart service this week", [], _columns("platform the host runs"))
    assert hosts is not None and hosts["calculations"] == [{"op": "COUNT"}] and ANDROID in hosts["filters"]
