"""The validator and the compiler agree: every spec validation accepts compiles, in every dialect."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_validate_fuzz import SCHEMA, near_valid, spec_like

from workbench.core.errors import WorkbenchError
from workbench.spec.query import parse_spec
from workbench.spec.validate.layers import validate
from workbench.sql.compiler import DIALECTS, compile_spec

#: times anywhere a model might put them: far past, far future, milliseconds instead of seconds
wild_times = st.integers(-(10**13), 10**13) | st.floats(-1e13, 1e13, allow_nan=False)


@st.composite
def with_wild_times(draw: st.DrawFn, base: st.SearchStrategy) -> dict[str, Any]:
    spec = draw(base)
    if isinstance(spec, dict):
        for key in draw(st.lists(st.sampled_from(["start_time", "end_time", "time_range"]), unique=True)):
            spec[key] = draw(wild_times)
    return spec


def _agree(raw: Any) -> None:
    result = validate(raw, SCHEMA)
    if not result.ok or result.spec is None:
        return
    spec = parse_spec(result.spec.to_dict())
    compile_spec(spec, SCHEMA)  # raises (e.g. "time ... is out of range") on disagreement
    for dialect in DIALECTS:
        try:
            compile_spec(spec, SCHEMA, dialect=dialect)
        except WorkbenchError as exc:  # an op a dialect cannot express (documented), nothing else
            assert "has no equivalent in the" in str(exc), exc


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(with_wild_times(near_valid()))
def test_valid_specs_compile(raw: dict[str, Any]) -> None:
    _agree(raw)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(with_wild_times(spec_like()))
def test_valid_spec_shaped_json_compiles(raw: dict[str, Any]) -> None:
    _agree(raw)


def test_times_out_of_range_are_refused_by_validation() -> None:
    for raw in (
        {"calculations": [{"op": "COUNT"}], "start_time": -998204824000, "end_time": 1795176000},
        {"calculations": [{"op": "COUNT"}], "end_time": 10**13, "time_range": 3600},
        {"calculations": [{"op": "COUNT"}], "time_range": 10**13},
    ):
        result = validate(raw, SCHEMA)
        assert not result.ok, raw
        assert any("range" in f.message or "time" in f.message for f in result.findings), result.findings
