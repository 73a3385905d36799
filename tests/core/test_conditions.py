"""The condition language: parsing errors point at the column; evaluation is safe."""

from __future__ import annotations

from typing import Any

import pytest

from cjm_interview.conditions import (
    UNKNOWN,
    ExpressionError,
    evaluate,
    parse_expression,
    truthy,
)


class Ctx:
    def __init__(self, values: dict[str, Any], tags: dict[str, dict[str, list[str]]] | None = None):
        self.values = values
        self.tag_map = tags

    def value(self, question_id: str) -> Any:
        return self.values.get(question_id)

    def answered(self, question_id: str) -> bool:
        return question_id in self.values

    def tags(self, question_id: str, kind: str) -> list[str] | None:
        if self.tag_map is None:
            return None
        return self.tag_map.get(question_id, {}).get(kind, [])

    def tag_score(self, question_id: str, kind: str) -> float | None:
        return None if self.tag_map is None else 4.0

    def step_number(self) -> int:
        return 3


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${g} <= 4", True),
        ("${g} > 4", False),
        ("${ok} == true and not (${g} >= 5)", True),
        ("${name} == 'ANA'", True),  # text comparison ignores case
        ("${missing} == 3", False),
        ("${missing} < 3", False),  # missing values never pass a comparison
        ("'web' in ${channels}", True),
        ("'mail' not in ${channels}", True),
        ("count(${channels}) == 2", True),
        ("empty(${missing})", True),
        ("step() == 3", True),
        ("answered(${g}) and not answered(${missing})", True),
        ("${g} in [1, 2, 3]", True),
    ],
)
def test_evaluation(source: str, expected: bool) -> None:
    ctx = Ctx({"g": 3, "ok": True, "name": "Ana", "channels": ["web", "phone"]})
    assert truthy(evaluate(parse_expression(source), ctx)) is expected


def test_tags_unknown_until_tagged() -> None:
    expr = parse_expression("empty(tags(${action}, 'touchpoint'))")
    assert expr.tag_refs == {"action"}
    untagged = Ctx({"action": "did it"}, tags=None)
    assert evaluate(expr, untagged) is UNKNOWN
    assert truthy(evaluate(expr, untagged)) is False
    tagged = Ctx({"action": "did it"}, tags={"action": {"touchpoint": []}})
    assert evaluate(expr, tagged) is True
    web = Ctx({"action": "did it"}, tags={"action": {"touchpoint": ["web"]}})
    assert evaluate(expr, web) is False


def test_or_with_unknown_short_circuits_on_known_truth() -> None:
    expr = parse_expression("${g} <= 4 or sentiment(${a}) == 'negative'")
    assert evaluate(expr, Ctx({"g": 2, "a": "x"}, tags=None)) is True
    assert evaluate(expr, Ctx({"g": 8, "a": "x"}, tags=None)) is UNKNOWN


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ("${a} ==", 8, "expected a value"),
        ("${a} = 3", 6, "unexpected character"),
        ("__import__('os')", 1, "unknown function"),
        ("tags(${a}, 'mood')", 1, "kind must be one of"),
        ("sentiment('a')", 1, "needs a question reference"),
        ("(${a} == 1", 11, "expected ')'"),
        ("${a} == 1 2", 11, "unexpected '2'"),
    ],
)
def test_parse_errors(source: str, column: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(source)
    assert caught.value.column == column
    assert message in str(caught.value)
