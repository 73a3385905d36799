"""A small, safe expression language for ``when:`` and ``constraint:``.

Scripts are data, so conditions are parsed here rather than handed to
``eval``. The grammar::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") operand)?
    operand := NUMBER | STRING | true | false | null | "${" id "}" | "${.}"
             | name "(" [expr ("," expr)*] ")" | "(" expr ")" | "[" [expr ("," expr)*] "]"

``${q}`` is the answer to question ``q`` (in a repeat group, the same step's
answer); ``${.}`` is the value being checked by a ``constraint``. Functions:
``tags(${q}, "touchpoint")`` the labels a tagger put on an answer,
``sentiment(${q})``, ``predicted_grade(${q})``, ``answered(${q})``,
``count(x)``, ``empty(x)``, ``lower(x)``, ``step()`` (the step number).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

FUNCTIONS = {
    "tags": 2,
    "sentiment": 1,
    "predicted_grade": 1,
    "answered": 1,
    "count": 1,
    "empty": 1,
    "lower": 1,
    "step": 0,
}
# Functions whose first argument names a question rather than its value.
REF_FUNCTIONS = frozenset({"tags", "sentiment", "predicted_grade", "answered"})
TAG_FUNCTIONS = frozenset({"tags", "sentiment", "predicted_grade"})
TAG_KINDS = ("touchpoint", "sentiment", "emotion", "grade")


class ExpressionError(ValueError):
    """A condition that cannot be parsed; ``column`` is 1-based."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.column = column


# ------------------------------------------------------------------- the tree
@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Ref:
    question_id: str  # "." for the value under a constraint


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class ListOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Literal | Ref | Call | ListOf | Unary | Binary


@dataclass(frozen=True)
class Expression:
    """A parsed condition and the questions it reads."""

    source: str
    tree: Node

    @property
    def refs(self) -> frozenset[str]:
        """Question ids the expression reads (``.`` excluded)."""
        return frozenset(r for r in _walk_refs(self.tree) if r != ".")

    @property
    def tag_refs(self) -> frozenset[str]:
        """Question ids whose tags the expression reads."""
        return frozenset(_walk_tag_refs(self.tree))


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListOf):
        return node.items
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    return ()


def _walk_refs(node: Node) -> list[str]:
    found = [node.question_id] if isinstance(node, Ref) else []
    for child in _children(node):
        found += _walk_refs(child)
    return found


def _walk_tag_refs(node: Node) -> list[str]:
    found: list[str] = []
    if isinstance(node, Call) and node.name in TAG_FUNCTIONS and node.args:
        first = node.args[0]
        if isinstance(first, Ref):
            found.append(first.question_id)
    for child in _children(node):
        found += _walk_tag_refs(child)
    return found


# -------------------------------------------------------------------- parsing
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<ref>\$\{\s*(?P<refname>[A-Za-z_][A-Za-z0-9_]*|\.)\s*\})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)

_KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {source[pos]!r}", pos + 1)
        kind = match.lastgroup or ""
        if kind == "refname":  # the inner group of a ref
            kind = "ref"
        if kind != "space":
            text = match.group("refname") if kind == "ref" else match.group(0)
            if kind == "name" and text in _KEYWORDS:
                kind = "keyword"
            tokens.append(_Token(kind, text, pos + 1))
        pos = match.end()
    tokens.append(_Token("end", "", len(source) + 1))
    return tokens


# A condition is a line or two of logic: these bounds keep a hostile script from
# exhausting the parser's (recursive) descent or Python's integer conversion.
MAX_TOKENS = 400
MAX_DEPTH = 50
MAX_NUMBER_DIGITS = 30


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        if len(self.tokens) > MAX_TOKENS:
            raise ExpressionError(f"expression too long (more than {MAX_TOKENS:,} terms)", 1)
        self.pos = 0
        self.depth = 0

    def nested(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested more than {MAX_DEPTH} deep", column)

    def peek(self) -> _Token:
        return self.tokens[self.pos]

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token.kind in ("op", "keyword") and token.text == text:
            self.pos += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            token = self.peek()
            found = token.text or "end of expression"
            raise ExpressionError(f"expected {text!r}, found {found!r}", token.column)

    def parse(self) -> Node:
        node = self.or_()
        token = self.peek()
        if token.kind != "end":
            raise ExpressionError(f"unexpected {token.text!r}", token.column)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.accept("or"):
            node = Binary("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.accept("and"):
            node = Binary("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.accept("not"):
            self.nested(self.peek().column)
            node = Unary("not", self.not_())
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.operand()
        token = self.peek()
        if token.kind == "op" and token.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Binary(token.text, left, self.operand())
        if self.accept("in"):
            return Binary("in", left, self.operand())
        if token.kind == "keyword" and token.text == "not":
            nxt = self.tokens[self.pos + 1]
            if nxt.kind == "keyword" and nxt.text == "in":
                self.pos += 2
                return Unary("not", Binary("in", left, self.operand()))
        return left

    def operand(self) -> Node:
        token = self.take()
        if token.kind == "number":
            if len(token.text) > MAX_NUMBER_DIGITS:
                raise ExpressionError("number too long", token.column)
            return Literal(float(token.text) if "." in token.text else int(token.text))
        if token.kind == "string":
            return Literal(_unquote(token.text))
        if token.kind == "ref":
            return Ref(token.text)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            return Literal({"true": True, "false": False, "null": None}[token.text])
        if token.kind == "op" and token.text == "(":
            self.nested(token.column)
            node = self.or_()
            self.expect(")")
            self.depth -= 1
            return node
        if token.kind == "op" and token.text == "[":
            self.nested(token.column)
            items = self.items("]")
            self.depth -= 1
            return ListOf(items)
        if token.kind == "name":
            if token.text not in FUNCTIONS:
                known = ", ".join(sorted(FUNCTIONS))
                raise ExpressionError(
                    f"unknown function {token.text!r} (known: {known}); "
                    "refer to answers as ${question_id}",
                    token.column,
                )
            self.expect("(")
            self.nested(token.column)
            args = self.items(")")
            self.depth -= 1
            arity = FUNCTIONS[token.text]
            if len(args) != arity:
                raise ExpressionError(
                    f"{token.text}() takes {arity} argument(s), got {len(args)}", token.column
                )
            if token.text in REF_FUNCTIONS and not isinstance(args[0], Ref):
                raise ExpressionError(
                    f"{token.text}() needs a question reference like ${{question_id}}", token.column
                )
            if token.text == "tags":
                kind = args[1]
                if not (isinstance(kind, Literal) and kind.value in TAG_KINDS):
                    raise ExpressionError(
                        f"tags() kind must be one of {', '.join(TAG_KINDS)}", token.column
                    )
            return Call(token.text, args)
        found = token.text or "end of expression"
        raise ExpressionError(f"expected a value, found {found!r}", token.column)

    def items(self, closer: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self.accept(closer):
            return ()
        while True:
            items.append(self.or_())
            if self.accept(closer):
                return tuple(items)
            self.expect(",")


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse_expression(source: str) -> Expression:
    """Parse a condition; raises ExpressionError with the column of the problem."""
    if not source.strip():
        raise ExpressionError("empty expression", 1)
    return Expression(source, _Parser(source).parse())


# ----------------------------------------------------------------- evaluation
class Context(Protocol):
    """What an expression can read while it is evaluated."""

    def value(self, question_id: str) -> Any:
        """The answer's value, or None if unanswered or skipped."""

    def answered(self, question_id: str) -> bool:
        """True if the question has an answer (skipped counts as answered)."""

    def tags(self, question_id: str, kind: str) -> list[str] | None:
        """Labels of this kind on the answer; None when it is not tagged yet."""

    def tag_score(self, question_id: str, kind: str) -> float | None:
        """The score of the single tag of this kind (sentiment, grade)."""

    def step_number(self) -> int:
        """1-based position of the current journey step, 0 outside steps."""


class Unknown:
    """Result of reading tags that are not there yet: false in any test."""

    def __repr__(self) -> str:
        return "Unknown"


UNKNOWN = Unknown()


def evaluate(expression: Expression, context: Context, dot: Any = None) -> Any:
    """Evaluate an expression; comparisons with missing values are false."""
    return _eval(expression.tree, context, dot)


def truthy(value: Any) -> bool:
    """How a condition's result decides: unknowns and empties are false."""
    if value is UNKNOWN or value is None:
        return False
    return bool(value)


def _eval(node: Node, ctx: Context, dot: Any) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        return dot if node.question_id == "." else ctx.value(node.question_id)
    if isinstance(node, ListOf):
        return [_eval(item, ctx, dot) for item in node.items]
    if isinstance(node, Unary):
        inner = _eval(node.operand, ctx, dot)
        if inner is UNKNOWN:
            return UNKNOWN
        return not truthy(inner)
    if isinstance(node, Binary):
        return _binary(node, ctx, dot)
    return _call(node, ctx, dot)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _binary(node: Binary, ctx: Context, dot: Any) -> Any:
    if node.op == "and":
        left = _eval(node.left, ctx, dot)
        if left is not UNKNOWN and not truthy(left):
            return False
        right = _eval(node.right, ctx, dot)
        if UNKNOWN in (left, right):
            return UNKNOWN if right is UNKNOWN or truthy(right) else False
        return truthy(right)
    if node.op == "or":
        left = _eval(node.left, ctx, dot)
        if truthy(left):
            return True
        right = _eval(node.right, ctx, dot)
        if truthy(right):
            return True
        return UNKNOWN if UNKNOWN in (left, right) else False
    left = _eval(node.left, ctx, dot)
    right = _eval(node.right, ctx, dot)
    if left is UNKNOWN or right is UNKNOWN:
        return UNKNOWN
    if node.op == "==":
        return _loose_equal(left, right)
    if node.op == "!=":
        return not _loose_equal(left, right)
    if node.op == "in":
        if isinstance(right, list | tuple | set | frozenset):
            return any(_loose_equal(left, item) for item in right)
        if isinstance(right, str) and isinstance(left, str):
            return left.lower() in right.lower()
        return False
    if left is None or right is None:
        return False
    try:
        return _COMPARE[node.op](_number_or_self(left), _number_or_self(right))
    except TypeError:
        return False


def _number_or_self(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _loose_equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().lower() == right.strip().lower()
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right or left == right
    return bool(left == right)


def _call(node: Call, ctx: Context, dot: Any) -> Any:
    name = node.name
    if name == "step":
        return ctx.step_number()
    if name in REF_FUNCTIONS:
        ref = node.args[0]
        assert isinstance(ref, Ref)
        qid = ref.question_id
        if name == "answered":
            return ctx.answered(qid)
        if not ctx.answered(qid):
            return None
        if name == "tags":
            kind = _eval(node.args[1], ctx, dot)
            labels = ctx.tags(qid, str(kind))
            return UNKNOWN if labels is None else labels
        if name == "sentiment":
            labels = ctx.tags(qid, "sentiment")
            if labels is None:
                return UNKNOWN
            return labels[0] if labels else None
        score = ctx.tag_score(qid, "grade")  # predicted_grade
        return UNKNOWN if score is None else score
    value = _eval(node.args[0], ctx, dot)
    if value is UNKNOWN:
        return UNKNOWN
    if name == "count":
        if value is None:
            return 0
        return len(value) if isinstance(value, list | tuple | str | dict) else 1
    if name == "empty":
        return value is None or (isinstance(value, list | tuple | str | dict) and len(value) == 0)
    if name == "lower":
        return value.lower() if isinstance(value, str) else value
    raise AssertionError(f"unhandled function {name}")
