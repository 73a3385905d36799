"""Load interview scripts (prompts/*.yaml) and validate them into frozen dataclasses.

Every problem is reported as ``FILE:LINE: what is wrong``; loading collects
all problems it can find before giving up, so an author fixes a script in one
pass rather than one error at a time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from cjm_interview.answers import DIRECTION_CONTROLS, LONGEST_ANSWER
from cjm_interview.conditions import Expression, ExpressionError, parse_expression
from cjm_interview.domain import (
    MAP_FIELDS,
    Choice,
    Question,
    QuestionType,
    Repeat,
    Script,
    Section,
    Stage,
    Text,
    Touchpoint,
)
from cjm_interview.errors import CjmError
from cjm_interview.files import InputFileError, read_limited

MAX_SCRIPT_BYTES = 2_000_000
ID_PATTERN = r"^[a-z][a-z0-9_]*$"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a script, where it is."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ScriptError(CjmError):
    """A script that cannot be used; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}", "Run `cjm script check FILE` to list every problem.")
        self.problems = problems


# ------------------------------------------------------- YAML with line numbers
class _Node(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]


# Anchors and merge keys (``<<: *a``) let a small file expand to billions of
# entries; a script needs few of them, so their use is bounded.
MAX_ALIASES = 1_000
MAX_MERGED_KEYS = 20_000
MAX_EXPANDED_NODES = 200_000
"""Values a script may hold once its aliases are expanded: 81 aliases nested nine deep
made a 547-byte file of 43 million values."""
MAX_MESSAGE_CHARS = 300
# C0 and C1 controls but tab and newline, DEL, and the direction embeddings, overrides and
# isolates: what a terminal runs or a reader is misled by.
_UNSHOWABLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{''.join(sorted(DIRECTION_CONTROLS))}]")
_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,3}")


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no arbitrary objects) that records line numbers and bounds aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.merged_keys = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_ALIASES:,} aliases (*name)", mark
                )
        return super().compose_node(parent, index)

    def construct_document(self, node: yaml.Node) -> Any:
        if _expanded_size(node) > MAX_EXPANDED_NODES:
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases (*name) expand to more than {MAX_EXPANDED_NODES:,} values",
                node.start_mark,
            )
        return super().construct_document(node)

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        merges = any(key.tag == "tag:yaml.org,2002:merge" for key, _ in node.value)
        super().flatten_mapping(node)
        if merges:
            self.merged_keys += len(node.value)
            if self.merged_keys > MAX_MERGED_KEYS:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"merge keys (<<) expand to more than {MAX_MERGED_KEYS:,} entries",
                    node.start_mark,
                )


def _expanded_size(root: yaml.Node) -> int:
    """How many values ``root`` holds with every alias expanded, counted once per node
    (an alias is the same node again), so a bomb is measured without being expanded."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            sizes[id(node)] = 1
            continue
        if children_done:
            total = 1 + sum(sizes.get(id(child), 0) for child in children)
            sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)  # no need to count on
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Node:
    loader.flatten_mapping(node)
    result = _Node()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain text", key_node.start_mark
            )
        key = str(key)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        if key == "version" and isinstance(value_node, yaml.ScalarNode):
            # As written: YAML reads 1.10 as the number 1.1, and 1:30 as 90.
            result[key] = value_node.value
        else:
            result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(node: Any, key: str | None = None, default: int = 1) -> int:
    if isinstance(node, _Node):
        if key is not None and key in node.key_lines:
            return node.key_lines[key]
        return node.line
    return default


# ------------------------------------------------------------------- loading
def load_script(
    path: str | Path, extra_touchpoints: tuple[Touchpoint, ...] | None = None
) -> Script:
    """Read and validate a script file; raise ScriptError listing every problem."""
    shown = str(path)
    try:
        raw = read_limited(path, MAX_SCRIPT_BYTES, "script file")
    except InputFileError as exc:
        message = str(exc).removeprefix(f"{shown}: ")
        raise ScriptError([Problem(shown, 0, message)]) from None
    return parse_script(raw, shown, extra_touchpoints)


def parse_script(
    raw: bytes | str,
    path: str = "<script>",
    extra_touchpoints: tuple[Touchpoint, ...] | None = None,
) -> Script:
    """Validate script text (YAML) into a Script."""
    data_bytes = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # The same limits wherever a script is parsed: files, and copies kept in databases.
    if len(data_bytes) > MAX_SCRIPT_BYTES:
        raise ScriptError([Problem(path, 1, "file is too large to be an interview script")])
    try:
        text = data_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data_bytes[: exc.start].count(b"\n") + 1
        raise ScriptError([Problem(path, line, "not valid UTF-8 text")]) from None
    try:
        data = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        raise ScriptError([Problem(path, line, f"invalid YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        reason = (str(exc).splitlines() or ["unreadable"])[0]  # one line, without the excerpt
        raise ScriptError([Problem(path, 1, f"invalid YAML: {reason}")]) from None
    except RecursionError:
        raise ScriptError([Problem(path, 1, "invalid YAML: nested too deeply")]) from None
    except ValueError:  # an integer of thousands of digits (Python's conversion limit)
        raise ScriptError([Problem(path, 1, "invalid YAML: a number is too long")]) from None
    sha = hashlib.sha256(data_bytes).hexdigest()
    builder = _Builder(path, extra_touchpoints)
    script = builder.build(data, sha)
    if builder.problems or script is None:
        problems = sorted(builder.problems, key=lambda p: p.line)
        raise ScriptError(problems)
    return replace(script, source=text)


_SCRIPT_KEYS = {
    "redact",
    "id",
    "version",
    "title",
    "perspective",
    "languages",
    "description",
    "sections",
    "touchpoints",
    "stages",
    "estimated_seconds_per_question",
}
_STAGE_KEYS = {"id", "name", "description"}
MAX_STAGES = 12  # a map's band reads as phases only while there are few of them
_SECTION_KEYS = {"id", "title", "intro", "when", "repeat", "for_each", "questions"}
_QUESTION_KEYS = {
    "id",
    "type",
    "text",
    "first_text",
    "maps_to",
    "required",
    "help",
    "choices",
    "allow_other",
    "when",
    "constraint",
    "constraint_message",
    "probes",
    "max_length",
    "show_tags",
}
_REPEAT_KEYS = {"min", "max", "while"}


class _Builder:
    """Walks the YAML tree, collecting problems instead of stopping at the first."""

    def __init__(self, path: str, extra_touchpoints: tuple[Touchpoint, ...] | None) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = ("en",)
        self.extra_touchpoints = extra_touchpoints
        self.question_lines: dict[str, int] = {}
        self.expressions: list[tuple[str, int, Expression, str]] = []  # (owner, line, expr, what)

    def problem(self, line: int, message: str) -> None:
        if len(message) > MAX_MESSAGE_CHARS:  # a value shown whole could run to megabytes
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        self.problems.append(Problem(self.path, line, message))

    # -------------------------------------------------------------- helpers
    def shown(self, line: int, what: str, value: str) -> bool:
        """Whether ``value``, text the screens show, holds no control character: an escape
        sequence in a title reached the terminal (clearing it, setting its title, writing
        its clipboard), and a direction override makes words read other than they are."""
        bad = _UNSHOWABLE.search(value)
        if bad is None:
            return True
        self.problem(
            line,
            f"{what} holds the control character U+{ord(bad.group()):04X}: a script's words "
            "may not hold terminal escape sequences or direction overrides",
        )
        return False

    def mapping(self, node: Any, line: int, what: str) -> _Node | None:
        if not isinstance(node, _Node):
            self.problem(line, f"{what} must be a mapping of keys to values")
            return None
        return node

    def unknown_keys(self, node: _Node, allowed: set[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                hint = ", ".join(sorted(allowed))
                self.problem(
                    _line_of(node, key), f"unknown key {key!r} in {what} (allowed: {hint})"
                )

    def ident(self, node: _Node, key: str, what: str) -> str | None:
        import re

        value = node.get(key)
        line = _line_of(node, key)
        if value is None:
            self.problem(node.line, f"{what} has no {key!r}")
            return None
        if not isinstance(value, str) or not re.match(ID_PATTERN, value):
            self.problem(
                line,
                f"{what} {key} {value!r} must start with a lower-case letter and use only "
                "a-z, 0-9 and _",
            )
            return None
        return value

    def text(self, node: _Node, key: str, what: str, required: bool = True) -> Text | None:
        value = node.get(key)
        line = _line_of(node, key)
        if value is None:
            if required:
                self.problem(node.line, f"{what} has no {key!r}")
            return None
        if isinstance(value, str):
            if not value.strip():
                self.problem(line, f"{what} {key} is empty")
            self.shown(line, f"{what} {key}", value)
            translations = {lang: value for lang in self.languages[:1]}
            if len(self.languages) > 1:
                missing = ", ".join(self.languages[1:])
                self.problem(
                    line,
                    f"missing translation in {what} {key}: the script declares languages "
                    f"{', '.join(self.languages)}; give a mapping with {missing} too",
                )
            return Text(translations)
        if isinstance(value, _Node):
            translations = {}
            for lang, item in value.items():
                if lang not in self.languages:
                    self.problem(
                        _line_of(value, lang),
                        f"{what} {key} has language {lang!r}, not declared in `languages:`",
                    )
                elif not isinstance(item, str) or not item.strip():
                    self.problem(
                        _line_of(value, lang), f"{what} {key} [{lang}] must be non-empty text"
                    )
                else:
                    self.shown(_line_of(value, lang), f"{what} {key} [{lang}]", item)
                    translations[lang] = item
            for lang in self.languages:
                if lang not in value:
                    self.problem(line, f"missing translation [{lang}] in {what} {key}")
            return Text(translations) if translations else None
        self.problem(line, f"{what} {key} must be text or a mapping of language to text")
        return None

    def boolean(self, node: _Node, key: str, what: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.problem(_line_of(node, key), f"{what} {key} must be true or false")
            return default
        return value

    def integer(
        self, node: _Node, key: str, what: str, default: int | None, low: int = 0
    ) -> int | None:
        value = node.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.problem(_line_of(node, key), f"{what} {key} must be a whole number >= {low}")
            return default
        return value

    def expression(self, node: _Node, key: str, owner: str, what: str) -> str | None:
        value = node.get(key)
        if value is None:
            return None
        line = _line_of(node, key)
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str):
            self.problem(line, f"{what} {key} must be an expression in quotes")
            return None
        try:
            expr = parse_expression(value)
        except ExpressionError as exc:
            self.problem(line, f"{what} {key}: {exc}")
            return None
        self.expressions.append((owner, line, expr, f"{what} {key}"))
        return value

    # ---------------------------------------------------------------- build
    def build(self, data: Any, sha: str) -> Script | None:
        root = self.mapping(data, 1, "a script")
        if root is None:
            return None
        self.unknown_keys(root, _SCRIPT_KEYS, "the script")
        languages = root.get("languages", ["en"])
        if (
            not isinstance(languages, list)
            or not languages
            or not all(isinstance(x, str) and _LANGUAGE.fullmatch(x) for x in languages)
        ):
            # YAML reads a bare no (Norwegian), on or off as true or false.
            booleans = isinstance(languages, list) and any(isinstance(x, bool) for x in languages)
            said = " (quote codes YAML reads as true or false: 'no')" if booleans else ""
            self.problem(
                _line_of(root, "languages"),
                f"languages must be a list of language codes like [en, fr] (or pt-BR){said}",
            )
            languages = ["en"]
        if len(set(languages)) != len(languages):
            self.problem(_line_of(root, "languages"), "languages lists a language twice")
        self.languages = tuple(languages)

        script_id = self.ident(root, "id", "the script") or "script"
        version = root.get("version", "1")
        if not isinstance(version, str | int | float) or isinstance(version, bool):
            self.problem(_line_of(root, "version"), 'version must be text like "1.0"')
            version = "1"
        elif len(str(version)) > 40:
            self.problem(_line_of(root, "version"), "version is longer than 40 characters")
            version = "1"
        elif not self.shown(_line_of(root, "version"), "the script version", str(version)):
            version = "1"
        title = self.text(root, "title", "the script") or Text({"en": script_id})
        description = self.text(root, "description", "the script", required=False)
        perspective = root.get("perspective", "customer")
        if perspective not in ("customer", "staff"):
            self.problem(_line_of(root, "perspective"), "perspective must be customer or staff")
            perspective = "customer"
        seconds = (
            self.integer(root, "estimated_seconds_per_question", "the script", 30, low=1) or 30
        )
        redact = self.redact(root)
        touchpoints = self.touchpoints(root)
        self.touchpoint_ids = {t.id for t in touchpoints}
        stages = self.stages(root)

        raw_sections = root.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            self.problem(
                _line_of(root, "sections"), "the script needs a non-empty list of sections"
            )
            return None
        sections: list[Section] = []
        section_ids: dict[str, int] = {}
        for raw in raw_sections:
            section = self.section(raw, section_ids)
            if section is not None:
                sections.append(section)
        self.check_sections(sections)
        self.check_expressions(sections)
        if self.problems:
            return None
        return Script(
            id=script_id,
            version=str(version),
            title=title,
            perspective=str(perspective),
            languages=self.languages,
            sections=tuple(sections),
            touchpoints=touchpoints,
            path=self.path,
            sha256=sha,
            description=description,
            estimated_seconds_per_question=seconds,
            redact=redact,
            stages=stages,
        )

    def redact(self, root: _Node) -> tuple[str, ...]:
        from cjm_interview.privacy import KINDS

        raw = root.get("redact", [])
        if raw == "all":
            return KINDS
        if not isinstance(raw, list) or not all(isinstance(k, str) and k in KINDS for k in raw):
            self.problem(
                _line_of(root, "redact"),
                f"redact must be a list of {', '.join(KINDS)} (or the word all)",
            )
            return ()
        return tuple(raw)

    def stages(self, root: _Node) -> tuple[Stage, ...]:
        raw = root.get("stages")
        if raw is None:
            return ()
        line = _line_of(root, "stages")
        if not isinstance(raw, list) or not raw:
            self.problem(line, "stages must be a non-empty list of {id, name, description}")
            return ()
        if len(raw) > MAX_STAGES:
            self.problem(line, f"stages lists {len(raw)} stages; at most {MAX_STAGES}")
        stages: list[Stage] = []
        seen: dict[str, int] = {}
        for item in raw[:MAX_STAGES]:
            node = self.mapping(item, line, "a stage")
            if node is None:
                continue
            self.unknown_keys(node, _STAGE_KEYS, "a stage")
            sid = self.ident(node, "id", "a stage")
            name = self.text(node, "name", "a stage")
            description = self.text(node, "description", "a stage", required=False)
            if sid is None or name is None:
                continue
            if sid in seen:
                self.problem(node.line, f"duplicate stage id {sid!r} (first at line {seen[sid]})")
                continue
            seen[sid] = node.line
            stages.append(Stage(sid, name, description, node.line))
        return tuple(stages)

    def touchpoints(self, root: _Node) -> tuple[Touchpoint, ...]:
        if self.extra_touchpoints is not None:
            base = list(self.extra_touchpoints)
        else:
            from cjm_interview.taxonomy import default_taxonomy

            base = list(default_taxonomy().touchpoints)
        raw = root.get("touchpoints")
        if raw is None:
            return tuple(base)
        if not isinstance(raw, list):
            self.problem(_line_of(root, "touchpoints"), "touchpoints must be a list of channels")
            return tuple(base)
        known = {t.id for t in base}
        for item in raw:
            node = self.mapping(item, _line_of(root, "touchpoints"), "a touchpoint")
            if node is None:
                continue
            tid = self.ident(node, "id", "a touchpoint")
            label = node.get("label")
            if tid is None:
                continue
            if tid in known:
                self.problem(node.line, f"touchpoint {tid!r} is already defined")
                continue
            if not isinstance(label, str) or not label.strip():
                self.problem(node.line, f"touchpoint {tid!r} needs a label")
                continue
            if not self.shown(_line_of(node, "label"), f"touchpoint {tid!r} label", label):
                continue
            described = str(node.get("description", ""))
            if not self.shown(
                _line_of(node, "description"), f"touchpoint {tid!r} description", described
            ):
                continue
            known.add(tid)
            base.append(Touchpoint(tid, label, described))
        return tuple(base)

    def section(self, raw: Any, seen: dict[str, int]) -> Section | None:
        node = self.mapping(raw, 1, "a section")
        if node is None:
            return None
        self.unknown_keys(node, _SECTION_KEYS, "a section")
        sid = self.ident(node, "id", "a section")
        if sid is None:
            return None
        if sid in seen:
            self.problem(node.line, f"duplicate section id {sid!r} (first at line {seen[sid]})")
            return None
        seen[sid] = node.line
        what = f"section {sid!r}"
        title = self.text(node, "title", what) or Text({"en": sid})
        intro = self.text(node, "intro", what, required=False)
        when = self.expression(node, "when", sid, what)
        repeat = None
        if "repeat" in node:
            rnode = self.mapping(node["repeat"], _line_of(node, "repeat"), f"{what} repeat")
            if rnode is not None:
                self.unknown_keys(rnode, _REPEAT_KEYS, f"{what} repeat")
                low = self.integer(rnode, "min", f"{what} repeat", 1, low=0)
                high = self.integer(rnode, "max", f"{what} repeat", 15, low=1)
                if low is not None and high is not None and low > high:
                    self.problem(rnode.line, f"{what} repeat min ({low}) is above max ({high})")
                if high is not None and high > 100:
                    self.problem(_line_of(rnode, "max"), f"{what} repeat max must be at most 100")
                while_ = self.expression(rnode, "while", sid, f"{what} repeat")
                repeat = Repeat(low or 0, high or 15, while_)
        for_each = node.get("for_each")
        if for_each is not None and not isinstance(for_each, str):
            self.problem(_line_of(node, "for_each"), f"{what} for_each must name a repeat section")
            for_each = None
        if repeat is not None and for_each is not None:
            self.problem(node.line, f"{what} cannot both repeat and run for_each")
        raw_questions = node.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            self.problem(_line_of(node, "questions"), f"{what} needs a non-empty list of questions")
            return None
        questions: list[Question] = []
        for raw_q in raw_questions:
            questions += self.question(raw_q, sid, None, node.line)
        return Section(
            id=sid,
            title=title,
            questions=tuple(questions),
            line=node.line,
            intro=intro,
            when=when,
            repeat=repeat,
            for_each=for_each,
        )

    def question(
        self, raw: Any, section_id: str, probe_of: str | None, line: int
    ) -> list[Question]:
        node = self.mapping(raw, line, "a question")
        if node is None:
            return []
        self.unknown_keys(node, _QUESTION_KEYS, "a question")
        qid = self.ident(node, "id", "a question")
        if qid is None:
            return []
        if qid in self.question_lines:
            self.problem(
                node.line,
                f"duplicate question id {qid!r} (first at line {self.question_lines[qid]})",
            )
            return []
        if "#" in qid:
            self.problem(node.line, f"question id {qid!r} may not contain '#'")
        self.question_lines[qid] = node.line
        what = f"question {qid!r}"
        raw_type = node.get("type", "text")
        try:
            qtype = QuestionType(raw_type)
        except ValueError:
            known = ", ".join(t.value for t in QuestionType)
            self.problem(
                _line_of(node, "type"),
                f"unknown question type {raw_type!r} in {what} (known: {known})",
            )
            return []
        text = self.text(node, "text", what) or Text({"en": qid})
        first_text = self.text(node, "first_text", what, required=False)
        maps_to = node.get("maps_to")
        if maps_to is not None and (not isinstance(maps_to, str) or maps_to not in MAP_FIELDS):
            self.problem(
                _line_of(node, "maps_to"),
                f"{what} maps_to {maps_to!r} is not a journey-map field "
                f"(known: {', '.join(MAP_FIELDS)})",
            )
            maps_to = None
        choices: list[Choice] = []
        if qtype in (QuestionType.SINGLE_CHOICE, QuestionType.MULTI_CHOICE):
            raw_choices = node.get("choices")
            if not isinstance(raw_choices, list) or not raw_choices:
                self.problem(_line_of(node, "choices"), f"{what} ({qtype}) needs a list of choices")
            else:
                choices = self.choices(raw_choices, what, _line_of(node, "choices"))
        elif "choices" in node:
            self.problem(
                _line_of(node, "choices"), f"{what}: choices only apply to choice questions"
            )
        max_length = self.integer(node, "max_length", what, None, low=1)
        if max_length is not None and max_length > LONGEST_ANSWER:
            self.problem(
                _line_of(node, "max_length"),
                f"{what} max_length must be at most {LONGEST_ANSWER:,} characters",
            )
            max_length = None
        question = Question(
            id=qid,
            type=qtype,
            text=text,
            section_id=section_id,
            line=node.line,
            maps_to=maps_to,
            required=self.boolean(node, "required", what, False),
            help=self.text(node, "help", what, required=False),
            choices=tuple(choices),
            allow_other=self.boolean(node, "allow_other", what, False),
            when=self.expression(node, "when", qid, what),
            constraint=self.expression(node, "constraint", qid, what),
            constraint_message=self.text(node, "constraint_message", what, required=False),
            probe_of=probe_of,
            max_length=max_length,
            show_tags=self.boolean(node, "show_tags", what, True),
            first_text=first_text,
        )
        result = [question]
        probes = node.get("probes")
        if probes is not None:
            if not isinstance(probes, list):
                self.problem(_line_of(node, "probes"), f"{what} probes must be a list of questions")
            else:
                for raw_probe in probes:
                    result += self.question(raw_probe, section_id, qid, _line_of(node, "probes"))
        return result

    def choices(self, raw: list[Any], what: str, line: int) -> list[Choice]:
        choices: list[Choice] = []
        seen: set[str] = set()
        for item in raw:
            if isinstance(item, str | int) and not isinstance(item, bool):
                value, label = str(item), Text({lang: str(item) for lang in self.languages})
                if not self.shown(line, f"a choice of {what}", value):
                    continue
            else:
                node = self.mapping(item, line, f"a choice of {what}")
                if node is None:
                    continue
                raw_value = node.get("value")
                if not isinstance(raw_value, str | int) or isinstance(raw_value, bool):
                    self.problem(node.line, f"a choice of {what} needs a value")
                    continue
                value = str(raw_value)
                if not self.shown(_line_of(node, "value"), f"a choice's value in {what}", value):
                    continue
                label = self.text(node, "label", f"choice {value!r} of {what}") or Text(
                    {"en": value}
                )
            if value in seen:
                self.problem(line, f"{what} lists choice {value!r} twice")
            seen.add(value)
            choices.append(Choice(value, label))
        return choices

    # ------------------------------------------------------ cross-references
    def check_sections(self, sections: list[Section]) -> None:
        repeat_ids = {s.id for s in sections if s.repeat is not None}
        position = {s.id: i for i, s in enumerate(sections)}
        for section in sections:
            if section.for_each is None:
                continue
            if section.for_each not in repeat_ids:
                self.problem(
                    section.line,
                    f"section {section.id!r} for_each {section.for_each!r} is not a repeat section",
                )
            elif position[section.for_each] > position[section.id]:
                self.problem(
                    section.line,
                    f"section {section.id!r} runs for_each {section.for_each!r}, which comes later",
                )
        for section in sections:
            for q in section.questions:
                if q.type is QuestionType.JOURNEY_REVIEW and not repeat_ids:
                    self.problem(
                        q.line, f"question {q.id!r} reviews the journey, but no section repeats"
                    )
                if q.type is QuestionType.JOURNEY_REVIEW and section.repeating:
                    self.problem(
                        q.line, f"question {q.id!r}: a journey review cannot sit inside a step"
                    )

    def check_expressions(self, sections: list[Section]) -> None:
        order: dict[str, int] = {}
        section_of: dict[str, Section] = {}
        index = 0
        for section in sections:
            for q in section.questions:
                order[q.id] = index
                section_of[q.id] = section
                index += 1
        section_by_id = {s.id: s for s in sections}
        deps: dict[str, set[str]] = {}
        for owner, line, expr, what in self.expressions:
            for ref in sorted(expr.refs):
                if ref not in order:
                    self.problem(line, f"{what} refers to unknown question {ref!r}")
                    continue
                deps.setdefault(owner, set()).add(ref)
            if owner in order:  # a question's when/constraint
                for ref in expr.refs & set(order):
                    if ref == owner and "constraint" not in what:
                        self.problem(line, f"{what} refers to the question itself; use ${{.}}")
                    elif order[ref] > order[owner]:
                        self.problem(
                            line,
                            f"{what} refers to {ref!r}, which is asked later: "
                            "conditions may only read earlier answers",
                        )
            elif owner in section_by_id:  # a section's when / repeat while
                section = section_by_id[owner]
                first = order.get(section.questions[0].id, 0) if section.questions else 0
                for ref in expr.refs & set(order):
                    inside = section_of[ref].id == owner
                    if "repeat" in what:
                        if not inside:
                            self.problem(
                                line, f"{what} must read a question of the same section ({ref!r})"
                            )
                    elif order[ref] >= first:
                        self.problem(
                            line, f"{what} refers to {ref!r}, which is not asked before the section"
                        )
        self.check_cycles(deps, order)

    def check_cycles(self, deps: dict[str, set[str]], order: dict[str, int]) -> None:
        # Depth first without recursion: a chain of a thousand conditions is a script,
        # not a reason for a RecursionError.
        state: dict[str, int] = {}  # 1 visiting, 2 done
        for start in sorted(deps):
            if start in state:
                continue
            state[start] = 1
            path = [start]
            pending = [iter(sorted(deps.get(start, ())))]
            while pending:
                node = path[-1]
                nxt = next(pending[-1], None)
                if nxt is None:
                    state[node] = 2
                    path.pop()
                    pending.pop()
                elif nxt == node:
                    continue
                elif state.get(nxt) == 1:
                    cycle = [*path[path.index(nxt) :], nxt]
                    line = self.question_lines.get(node, 1)
                    self.problem(line, "conditions form a cycle: " + " -> ".join(cycle))
                elif nxt not in state:
                    state[nxt] = 1
                    path.append(nxt)
                    pending.append(iter(sorted(deps.get(nxt, ()))))
