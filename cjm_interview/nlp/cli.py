"""``cjm tag`` and ``cjm model``: tag text from the command line, train the heads."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from cjm_interview.cli import db_option
from cjm_interview.files import RepeatedKey, once
from cjm_interview.nlp.base import Tagger

if TYPE_CHECKING:
    from cjm_interview.agreement import Agreement

BATCH = 64


def _tagger(fallback: bool) -> Tagger:
    from cjm_interview.nlp.loader import load_tagger

    tagger = load_tagger("fallback" if fallback else "auto")
    reason = getattr(tagger, "fallback_reason", None)
    if reason:
        click.echo(f"Note: using the lexicon tagger ({reason}).", err=True)
    return tagger


class BadLine(ValueError):
    """A JSON Lines input line that cannot be tagged."""

    def __init__(self, number: int, message: str) -> None:
        super().__init__(f"line {number}: {message}")
        self.number = number


# Input limits: a line holds one text; texts are cut (with a warning) at
# MAX_TEXT_CHARS, far more than the model reads; a longer line or a larger
# input stops with its line number, as a malformed line does.
MAX_TEXT_CHARS = 10_000
MAX_LINE_BYTES = 1_000_000
MAX_INPUT_BYTES = 200_000_000
_MAX_DIGITS = 30


def _number(text: str) -> Any:
    if len(text) > _MAX_DIGITS:
        raise ValueError("a number of more than 30 digits")
    return float(text) if any(c in text for c in ".eE") else int(text)


def parse_line(number: int, line: str) -> tuple[str, str, str | None]:
    """The id, text and language (if given) of one input line, or BadLine saying what is wrong."""
    try:
        item = json.loads(line, parse_int=_number, parse_float=_number, object_pairs_hook=once)
    except json.JSONDecodeError as exc:
        raise BadLine(number, f"invalid JSON ({exc.msg}, column {exc.colno})") from None
    except RepeatedKey as exc:
        # Kept the last silently, as `cjm import` refuses it: which "text" was meant?
        raise BadLine(number, f"the key {exc.key[:40]!r} is given twice") from None
    except RecursionError:
        raise BadLine(number, "JSON nested too deeply") from None
    except ValueError as exc:
        raise BadLine(number, str(exc)) from None
    if not isinstance(item, dict):
        raise BadLine(number, 'expected an object like {"id": "1", "text": "..."}')
    item_id, text = item.get("id"), item.get("text")
    if not isinstance(item_id, str):
        raise BadLine(number, '"id" must be a string')
    if not isinstance(text, str):
        raise BadLine(number, '"text" must be a string')
    if len(text) > MAX_TEXT_CHARS:
        click.echo(
            f"Warning: line {number}: text of {len(text):,} characters cut to {MAX_TEXT_CHARS:,}",
            err=True,
        )
        text = text[:MAX_TEXT_CHARS]
    language = item.get("language")
    if language is not None and not isinstance(language, str):
        raise BadLine(number, '"language" must be a string like "en" or "fr"')
    return item_id, text, language


def read_lines(stream: BinaryIO) -> tuple[list[bytes], BadLine | None]:
    """Input lines up to the limits; the BadLine that stopped reading, if any."""
    lines: list[bytes] = []
    total = 0
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            return lines, None
        total += len(line)
        number = len(lines) + 1
        if len(line) > MAX_LINE_BYTES:
            return lines, BadLine(number, f"longer than {MAX_LINE_BYTES:,} bytes")
        if total > MAX_INPUT_BYTES:
            return lines, BadLine(
                number, f"input larger than {MAX_INPUT_BYTES // 1_000_000} MB: split it"
            )
        lines.append(line.rstrip(b"\r\n"))


Item = tuple[str, str, str | None]


def _batches(
    lines: list[bytes], language: str | None
) -> Iterator[tuple[list[Item], BadLine | None]]:
    """Batches of lines of one language each (a line's own, else ``language``)."""
    batch: list[Item] = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise BadLine(number, "not valid UTF-8") from None
            if number == 1:
                line = line.removeprefix("\ufeff")  # a byte order mark, as `cjm import` reads
            item_id, text, own = parse_line(number, line)
        except BadLine as exc:
            yield batch, exc
            return
        item = (item_id, text, own or language)
        if batch and batch[-1][2] != item[2]:
            yield batch, None
            batch = []
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch, None
            batch = []
    if batch:
        yield batch, None


@click.command()
@click.argument("texts", nargs=-1)
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read {"id", "text"} JSON Lines on stdin; write one result per line, in order.',
)
@click.option("--fallback", is_flag=True, help="Use the lexicon tagger (no model).")
@click.option(
    "--language",
    help="The answers' language (en, fr), as a session's; a text clearly in another "
    'language is read in that one. JSON Lines may give a "language" per line.',
)
@click.option(
    "--serve",
    is_flag=True,
    hidden=True,
    help="Internal: answer one batch per line, with embeddings, after a ready line.",
)
def tag(
    texts: tuple[str, ...], jsonl: bool, fallback: bool, language: str | None, serve: bool
) -> None:
    """Tag free text: touchpoints, sentiment, a 0-10 grade and emotions.

    \b
    cjm tag "I called the helpline and waited an hour"
    cjm tag --jsonl < answers.jsonl > tags.jsonl
    """
    from cjm_interview.nlp.threads import limit_threads, threads

    limit_threads(threads())  # before numpy loads
    if serve:
        sys.exit(_serve(fallback))
    if jsonl:
        sys.exit(_tag_jsonl(fallback, language))
    if not texts:
        raise click.UsageError("give some text to tag, or --jsonl to read JSON Lines on stdin")
    tagger = _tagger(fallback)
    for text, result in zip(texts, tagger.tag_batch(list(texts), language), strict=True):
        click.echo(text)
        if result.unavailable_reason:
            click.echo(f"  no tags: {result.unavailable_reason}")
            continue
        channels = ", ".join(f"{c} {s:.2f}" for c, s in result.touchpoints.items()) or "none"
        emotions = ", ".join(f"{e} {s:.2f}" for e, s in result.emotions.items()) or "none"
        read_as = result.extra.get("language")
        if read_as and read_as != "en":
            click.echo(f"  read as {read_as}")
        click.echo(
            f"  sentiment {result.sentiment} ({result.sentiment_scores[result.sentiment]:.2f}), "
            f"grade {result.grade:.1f}/10\n  touchpoints: {channels}\n  emotions: {emotions}\n"
            f"  [{result.model} {result.version}]"
        )


def _tag_jsonl(fallback: bool, language: str | None) -> int:
    from rich.console import Console
    from rich.progress import Progress

    from cjm_interview.answers import clean_text

    lines, stopped = read_lines(sys.stdin.buffer)
    out = sys.stdout
    tagger = _tagger(fallback)
    console = Console(stderr=True)
    show = len(lines) > 200 and console.is_terminal
    with Progress(console=console, transient=True, disable=not show) as bar:
        task = bar.add_task("Tagging", total=len(lines))
        for batch, error in _batches(lines, language):
            if batch:
                results = tagger.tag_batch([clean_text(t) for _, t, _ in batch], batch[0][2])
                for (item_id, _, _), result in zip(batch, results, strict=True):
                    out.write(_dumps(result.to_json(item_id)) + "\n")
                out.flush()
                bar.advance(task, len(batch))
            if error is not None:
                click.echo(f"Error: {error}", err=True)
                return 2
    if stopped is not None:
        click.echo(f"Error: {stopped}", err=True)
        return 2
    return 0


def _serve(fallback: bool) -> int:
    """The tagger in a process of its own (see nlp/remote.py): the UI never shares its GIL.

    Reads one request per line, ``{"id": "7", "texts": [...]}``, and writes one
    reply per line, ``{"id": "7", "results": [...]}`` (with embeddings), after
    a ready line. Anything a library prints goes to stderr: stdout carries
    replies only.
    """
    import base64
    import os

    from cjm_interview.answers import clean_text

    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    tagger = _tagger(fallback)
    ready = {
        "ready": True,
        "model": tagger.name,
        "version": tagger.version,
        "runtime": getattr(getattr(tagger, "encoder", None), "runtime", None),
        "fallback_reason": getattr(tagger, "fallback_reason", None),
    }
    replies.write(json.dumps(ready) + "\n")
    replies.flush()
    for raw in sys.stdin.buffer:
        request = _request(raw)
        if isinstance(request, str):
            replies.write(json.dumps({"error": request}) + "\n")
            replies.flush()
            continue
        request_id, texts, language = request
        try:
            results = tagger.tag_batch([clean_text(t) for t in texts], language)
        except Exception as exc:  # one batch that breaks the model must not end the process
            print(f"tagging failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            replies.write(json.dumps({"id": request_id, "error": error}) + "\n")
            replies.flush()
            continue
        items = []
        for result in results:
            item = result.to_json("")
            del item["id"]
            item["sentiment_scores"] = result.sentiment_scores
            item["grade"] = result.grade
            if result.embedding is not None:
                item["embedding"] = base64.b64encode(result.embedding).decode("ascii")
                item["embedding_model"] = result.embedding_model
            items.append(item)
        replies.write(json.dumps({"id": request_id, "results": items}) + "\n")
        replies.flush()
    return 0


def _request(raw: bytes) -> tuple[str, list[str], str | None] | str:
    """The id, texts and language of one request line to ``--serve``, or what is wrong."""
    try:
        item = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        return f"invalid JSON ({exc.msg})"
    texts = item.get("texts") if isinstance(item, dict) else None
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return 'expected {"id": "1", "texts": ["..."]}'
    language = item.get("language")
    if language is not None and not isinstance(language, str):
        return '"language" must be a string like "en" or "fr"'
    return str(item.get("id", "")), texts, language


def _dumps(item: dict[str, Any]) -> str:
    from cjm_interview.printable import safe_json

    # Ids are echoed: C1 controls, bidi marks and lone surrogates are escaped.
    return safe_json(item)


@click.group()
def model() -> None:
    """Train and inspect the tagger's model heads."""


@model.command("info")
def model_info() -> None:
    """Which tagger loads here, and the figures of its heads."""
    from cjm_interview.nlp.loader import load_tagger

    tagger = load_tagger("auto")
    reason = getattr(tagger, "fallback_reason", None)
    click.echo(f"tagger: {tagger.name} {tagger.version}")
    if reason:
        click.echo(f"model unavailable: {reason}")
    meta: dict[str, Any] = getattr(tagger, "meta", {}) or {}
    for key in ("encoder", "trained_at", "corpus_size", "corpus_sha256"):
        if key in meta:
            click.echo(f"{key}: {meta[key]}")
    if also := meta.get("also"):
        # Files learnt from that the corpus folder does not hold (cjm model train --also).
        told = ", ".join(
            f"{name} ({file.get('rows') if isinstance(file, dict) else file} rows)"
            for name, file in also.items()
        )
        click.echo(f"also learnt from: {told}")
    if encoder := getattr(tagger, "encoder", None):
        where = getattr(encoder, "path", None)
        click.echo(f"encoder runtime: {encoder.runtime}" + (f" ({where})" if where else ""))
        if encoder.fallback_reason:
            click.echo(f"encoder fallback: {encoder.fallback_reason}")
        from cjm_interview.nlp.runtime import SAME_VECTORS

        trained = meta.get("encoder_runtime", "torch")
        if trained != encoder.runtime and not {trained, encoder.runtime} <= SAME_VECTORS:
            click.echo(f"note: the heads learnt from {trained} vectors; tags may differ a little")
    if adapter := meta.get("adapter"):
        click.echo(
            f"sentiment adapter: rank {adapter['rank']} on the top {adapter['top_layers']} layers"
        )
    if transfer := meta.get("transfer", {}).get("mean"):
        weight = f"{meta.get('lexicon_weight', 0):g}"
        click.echo(f"sentiment transfer (file left out): macro_f1 {transfer.get(weight)}")
    report = meta.get("report", {})
    for head, figures in report.items():
        click.echo(f"{head}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _answers(n: int) -> str:
    return f"{n} answer{'' if n == 1 else 's'} checked"


def agreement_lines(found: Agreement) -> list[str]:
    """``cjm model agreement`` as plain lines, a block per kind of tag."""
    lines = []
    for kind, got in found.sets.items():
        total = got.total
        if not got.answers:
            lines.append(f"{kind}s: no answers checked")
            continue
        lines.append(
            f"{kind}s: {_answers(got.answers)}; {total.suggested} suggested, {total.kept} kept, "
            f"{total.added} added by people; precision {_share(total.precision)}, "
            f"recall {_share(total.recall)}"
        )
        for label, counts in sorted(got.labels.items(), key=lambda kv: (-kv[1].suggested, kv[0])):
            lines.append(
                f"  {label:<16} suggested {counts.suggested:>4}  kept {counts.kept:>4}  "
                f"added {counts.added:>4}  precision {_share(counts.precision)}  "
                f"recall {_share(counts.recall)}"
            )
    sentiment = found.sentiment
    if sentiment.answers:
        # Kappa is undefined with one answer, or when both gave every answer one label.
        kappa = "undefined" if sentiment.kappa is None else f"{sentiment.kappa:.2f}"
        lines.append(
            f"sentiment: {_answers(sentiment.answers)}; {sentiment.same} left as tagged "
            f"({_share(sentiment.share)}), Cohen's kappa {kappa}"
        )
        for (tagged, person), n in sorted(sentiment.changes.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {tagged} -> {person}: {n}")
    else:
        lines.append("sentiment: no answers checked")
    grade = found.grade
    if grade.answers and grade.mean_change is not None:
        lines.append(
            f"grade: {_answers(grade.answers)}; moved {grade.mean_change:.1f} points on average"
        )
    else:
        lines.append("grade: no answers checked")
    return lines


@model.command("agreement")
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def model_agreement(db_path: Path | None, as_json: bool) -> None:
    """How far the tagger agrees with the interviewers who checked its tags (F7).

    Over the answers a person checked: the share of suggested touchpoints and
    emotions kept (precision) and of the answers' final labels the tagger found
    (recall), the sentiment left as tagged with Cohen's kappa, and how far
    predicted grades were moved. Answers no one checked are left out.
    """
    from cjm_interview.agreement import study_agreement
    from cjm_interview.printable import clean_field
    from cjm_interview.store import open_store

    store = open_store(db_path, must_exist=True)
    found = study_agreement(store.conn)
    if as_json:
        click.echo(json.dumps(found.to_json(), indent=2))
        return
    if not found.checked:
        click.echo(
            f"No tags in {clean_field(store.path)} were checked by a person yet: check an "
            "answer's tags in an interview (F7: a accept, x remove, c correct, + add)."
        )
        return
    click.echo(f"The tagger against the people who checked its tags in {clean_field(store.path)}:")
    for line in agreement_lines(found):
        click.echo(line)


_also = click.option(
    "--also",
    "also",
    multiple=True,
    type=click.Path(path_type=Path),  # the corpus names a folder or a missing file in one line
    help="Another corpus file, kept outside the project (labelled text that may not be copied "
    "into it, such as the complaint steps); may be given more than once.",
)


def _shipped_also() -> dict[str, Any]:
    """The files from outside the corpus folder that the shipped heads learnt from."""
    from cjm_interview.config import models_dir

    try:
        meta = json.loads((models_dir() / "heads" / "heads.json").read_text(encoding="utf-8"))
        also = meta.get("also") or {}
    except (OSError, ValueError, AttributeError):
        return {}  # no heads, or unreadable ones: training makes them
    return also if isinstance(also, dict) else {}


def _note_changed(also: tuple[Path, ...], shipped: dict[str, Any]) -> None:
    """Say when an --also file is not the one the shipped heads learnt from (new labels are
    why one learns again; an old copy of the file is a mistake worth a line)."""
    from cjm_interview.nlp.train import CorpusError, file_digest

    for path in also:
        was = shipped.get(path.stem)
        if not isinstance(was, dict) or not path.is_file():
            continue
        try:
            now = file_digest(path)
        except CorpusError:
            continue  # named as it is read
        if now != was.get("sha256"):
            click.echo(
                f"note: {path} is not the {path.stem} the shipped heads learnt from"
                f" ({was.get('rows')} rows then)",
                err=True,
            )


@model.command("train")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option(
    "--transfer",
    is_flag=True,
    help="Also score each corpus file left out of training, adapter included (slow: about "
    "35 minutes); it chooses the lexicon's share in the sentiment.",
)
@click.option(
    "--keep-adapter",
    is_flag=True,
    help="Reuse the shipped sentiment adapter instead of training it again (quick; for changes "
    "to the heads, the channel rules or the rated posts, which the adapter does not learn from).",
)
@_also
@click.option(
    "--only-corpus",
    is_flag=True,
    help="Learn without the files from outside the corpus folder that the shipped heads "
    "learnt from and --also does not give.",
)
def model_train(
    folds: int, transfer: bool, keep_adapter: bool, also: tuple[Path, ...], only_corpus: bool
) -> None:
    """Rebuild the heads from models/corpus/*.jsonl (and --also files) and print the report."""
    from cjm_interview.nlp.threads import limit_threads, threads

    limit_threads(threads())  # before numpy and torch load
    from cjm_interview.cli import fail
    from cjm_interview.nlp.train import CorpusError, train_all

    if transfer and keep_adapter:
        raise click.UsageError("--transfer trains an adapter per file: drop --keep-adapter")
    # Heads learnt again without a file the shipped ones learnt from would quietly read
    # differently: say which, unless that is what is wanted.
    shipped = _shipped_also()
    missing = sorted(set(shipped) - {path.stem for path in also})
    if missing and not only_corpus:
        fail(
            f"the shipped heads learnt from {', '.join(missing)} too, which --also does not give",
            "Give it with --also FILE (benchmarks/complaint_study.py sentiment -o FILE makes the"
            " complaint steps), or pass --only-corpus to learn without it.",
        )
    _note_changed(also, shipped)
    try:
        report = train_all(
            folds=folds,
            progress=True,
            with_transfer=transfer,
            keep_adapter=keep_adapter,
            also=also,
        )
    except CorpusError as error:
        fail(str(error), "Mend the file, or leave it out of the corpus.")
    click.echo(report.to_markdown())


@model.command("eval")
@_also
def model_eval(also: tuple[Path, ...]) -> None:
    """Score the shipped heads on the held-out split of the corpus (and of --also files)."""
    from cjm_interview.cli import fail
    from cjm_interview.nlp.train import CorpusError, evaluate_heldout

    _note_changed(also, _shipped_also())
    try:
        click.echo(evaluate_heldout(also=also).to_markdown())
    except CorpusError as error:
        fail(str(error), "Mend the file, or leave it out of the corpus.")
