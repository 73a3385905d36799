"""``cjm export`` and ``cjm map``: the composite journey map and its step groups."""

from __future__ import annotations

import difflib
import os
import re
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cjm_interview.cli import FiniteRange, db_option, fail

if TYPE_CHECKING:
    from cjm_interview.map import CompositeMap

FORMATS = ("html", "json", "csv", "md", "mermaid")
# The format an output file's name asks for ("-o map.md" is Markdown).
ENDINGS = {
    ".html": "html", ".htm": "html", ".json": "json", ".csv": "csv", ".md": "md",
    ".markdown": "md", ".mmd": "mermaid", ".mermaid": "mermaid",
}  # fmt: skip


def filter_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options that choose the sessions of a map."""
    for option in reversed(
        [
            click.option("--segment", help="Only this segment."),
            click.option("--persona", help="Only this persona."),
            click.option(
                "--perspective", type=click.Choice(["customer", "staff"]), help="Only one side."
            ),
            click.option("--script", "script_id", help="Only sessions of this script id."),
            click.option(
                "--since", metavar="DATE", help="Sessions started on or after DATE (YYYY-MM-DD)."
            ),
            click.option("--until", metavar="DATE", help="Sessions started on or before DATE."),
            click.option(
                "--unfinished",
                is_flag=True,
                help="Also sessions in progress, abandoned or ended early "
                "[default: finished sessions only].",
            ),
            # Finished sessions only is the default; the flag stays accepted for old commands.
            click.option("--finished", is_flag=True, hidden=True),
            click.option(
                "--threshold",
                type=FiniteRange(0, 1),
                default=None,
                help="Similarity needed to put two steps in one group "
                "[default: 0.2 with the model's vectors, 0.08 with word similarity].",
            ),
            click.option(
                "--position-weight",
                type=FiniteRange(0, 5),
                default=None,
                help="How much where a step happens counts in grouping "
                "[default: 0.25 with the model's vectors, 0 with word similarity].",
            ),
            click.option(
                "--no-encode",
                is_flag=True,
                help="Never load the model; use word similarity when vectors are missing.",
            ),
        ]
    ):
        func = option(func)
    return func


def _is_date(text: str) -> bool:
    """YYYY-MM-DD naming a day that exists ("2020-13-45" has the shape of one)."""
    import datetime as dt

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _build(db_path: Path | None, quiet: bool = False, **kw: Any) -> Any:
    from cjm_interview.map import AlignOptions, Filters, build_map
    from cjm_interview.store import open_store

    for key in ("since", "until"):
        if kw.get(key) and not _is_date(kw[key]):
            fail(f"--{key} {kw[key]!r} is not a date", "Use YYYY-MM-DD.")
    store = open_store(db_path, must_exist=True)
    filters = Filters(
        kw["segment"],
        kw["persona"],
        kw["perspective"],
        kw["script_id"],
        kw["since"],
        kw["until"],
        unfinished=kw["unfinished"],
    )
    options = AlignOptions(threshold=kw["threshold"], position_weight=kw["position_weight"])
    cmap = build_map(
        store,
        filters,
        options,
        encode_missing=not kw["no_encode"],
        progress=not quiet and sys.stderr.isatty(),
    )
    return store, filters, cmap


@click.command()
@db_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="[default: the one the -o file's name ends with, else html]",
)
@click.option(
    "-o",
    "--output",
    "given",
    type=click.Path(dir_okay=False),  # as typed: a Path drops a trailing "/"
    default=None,
    help="Output file [default: composite-map.FORMAT; stdout with -]. csv writes "
    "OUT, OUT-wide.csv, OUT-tags.csv and OUT-themes.csv.",
)
@click.option(
    "--redact",
    metavar="KINDS",
    default=None,
    help="Remove personal data from the text: kinds such as email,phone,card; all; or none.",
)
@filter_options
def export(
    db_path: Path | None, fmt: str | None, given: str | None, redact: str | None, **kw: Any
) -> None:
    """Export the composite journey map of the selected sessions."""
    from cjm_interview.export.csv_export import csv_siblings
    from cjm_interview.export.text_formats import to_json, to_markdown, to_mermaid
    from cjm_interview.privacy import parse_kinds
    from cjm_interview.privacy import redact as redact_text

    try:
        kinds = parse_kinds(redact) if redact is not None else ()
    except ValueError as exc:
        fail(str(exc))
    if given is not None and (not given.strip() or given.endswith(("/", os.sep))):
        fail(f"-o {given!r} names no file", "Give a file name, e.g. -o map.html.")
    fmt = _format(fmt, given)
    output = Path(given) if given else Path(f"composite-map.{_ending(fmt)}")
    if str(output) != "-":
        from cjm_interview.config import default_db

        # Before the map is built, not after; csv writes three files beside OUT too.
        for path in [output, *(csv_siblings(output) if fmt == "csv" else ())]:
            _check_writable(path, db_path or default_db())
    store, filters, cmap = _build(db_path, **kw)
    _warn(cmap, store, filters)
    if cmap.data["sessions"] == 0:
        fail(
            f"no sessions match ({filters.describe()}) in {store.path}",
            _what_there_is(store, filters) + "Check the filters with `cjm sessions list`.",
        )
    if kinds:
        _redact_map(cmap, lambda t: redact_text(t, kinds))
    if fmt == "csv":
        from cjm_interview.export.csv_export import write_csv

        if str(output) == "-":
            fail("csv writes four files; give -o FILE.csv")
        paths = write_csv(store, filters, output, redact=kinds, cmap=cmap)
        click.echo("Wrote " + ", ".join(map(str, paths)), err=True)
        return
    if fmt == "html":
        from cjm_interview.export.html import to_html

        text = to_html(cmap)
    else:
        text = {"json": to_json, "md": to_markdown, "mermaid": to_mermaid}[fmt](cmap)
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    _write_whole(output, text)
    steps, sessions = len(cmap.data["steps"]), cmap.data["sessions"]
    click.echo(
        f"Wrote {output}: {sessions} session{'' if sessions == 1 else 's'}, "
        f"{steps} composite step{'' if steps == 1 else 's'} "
        f"({cmap.data['alignment']['representation']} alignment).",
        err=True,
    )


def _what_there_is(store: Any, filters: Any) -> str:
    """The segments or personas the file holds, when one was asked for and none matched."""
    said = []
    for column, name in (("segment", "Segments"), ("persona", "Personas")):
        if getattr(filters, column):
            values = [
                row[0]
                for row in store.conn.execute(
                    f"SELECT DISTINCT {column} FROM sessions WHERE {column} != '' "
                    f"ORDER BY {column} LIMIT 21"
                )
            ]
            shown = ", ".join(repr(v) for v in values[:20]) + (", …" if len(values) > 20 else "")
            said.append(f"{name} in this file: {shown or 'none'}. ")
    return "".join(said)


def _format(fmt: str | None, given: str | None) -> str:
    """The format asked for: by --format, else by the output file's name, else html. A name
    that asks for another format than --format is refused (HTML written into map.md)."""
    ending = Path(given).suffix.lower() if given and given != "-" else ""
    named = ENDINGS.get(ending)
    if fmt is not None and named is not None and named != fmt:
        fail(
            f"-o {given} ends in {ending} ({named}), but --format is {fmt}",
            f"Drop --format (the name's ending chooses), or end the name in .{_ending(fmt)}.",
        )
    return fmt or named or "html"


def _ending(fmt: str) -> str:
    return {"mermaid": "mmd"}.get(fmt, fmt)


def _write_whole(output: Path, text: str) -> None:
    """Write ``text`` to a file beside ``output``, then put it in its place: a full disk or a
    kill midway leaves the map there was, not half of a new one (a refusal is the command
    group's, ``cli.os_problem``)."""
    import secrets

    # A short name of its own (the output's name and more could pass the file system's
    # most), made as a new file is, with the umask's permissions: a map is for others to read.
    part = output.with_name(f".cjm-{secrets.token_hex(6)}.part")
    try:
        handle = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(part, output)
    finally:
        part.unlink(missing_ok=True)


def _check_writable(output: Path, db: Path) -> None:
    """One line, before any work, when ``output`` cannot be written (a name too long for the
    file system is the command group's, ``cli.os_problem``), or must not be: the study read
    (a map written over it replaced every interview) or a device or pipe (replaced by a
    file)."""
    from cjm_interview.store.db import file_identity

    folder = output.parent
    if output.is_symlink():  # as database paths that are links are: a link may lead anywhere
        fail(f"{output} is a symbolic link", "Give the file itself, or another -o path.")
    if not folder.is_dir():
        fail(f"{output}: folder {folder} does not exist", "Create it, or give another -o path.")
    if output.is_dir():
        fail(f"{output} is a folder", "Give a file name, e.g. -o map.html.")
    if output.exists() and not stat.S_ISREG(output.stat().st_mode):
        fail(
            f"{output} is not a regular file (a device, pipe or socket)",
            "Give a file name, e.g. -o map.html, or -o - to write to the terminal.",
        )
    # By path and by file: a hard link to the study is the study under another name.
    for own in (db, *(db.with_name(db.name + end) for end in ("-wal", "-shm", "-journal"))):
        same = output.resolve() == own.resolve()
        if same or (output.exists() and file_identity(output) == file_identity(own)):
            fail(
                f"-o {output} is the study database"
                f"{'' if own == db else ' ' + own.name.removeprefix(db.name)}"
                f" ({db}): the map would replace it",
                "Give another -o path, e.g. -o map.html.",
            )
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        fail(f"{output}: not allowed to write there", "Give another -o path.")


def _warn(cmap: Any, store: Any, filters: Any) -> None:
    """Say on stderr when the map is not what the researcher may expect."""
    from cjm_interview.map import session_where

    where, args = session_where(filters)
    tagged = store.conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM sessions s{where}{' AND' if where else ' WHERE'} "
        "coalesce(s.tagger, '') != '')",
        args,
    ).fetchone()[0]
    if cmap.data["steps"] and not tagged:
        click.echo(
            "Note: no answer has the tagger's tags, so the map shows no feelings or channels"
            " heard in the words, and no predicted grades; interviews imported with --tag"
            " (cjm import FILE --tag) have them.",
            err=True,
        )
    alignment = cmap.data["alignment"]
    if alignment.get("fallback_reason") and alignment["fallback_reason"] != "encoding switched off":
        click.echo(
            f"Note: steps grouped by word similarity: {alignment['fallback_reason']}.", err=True
        )
    if missing := alignment.get("parts_not_encoded"):
        click.echo(
            f"Note: {missing:,} openings and clauses of steps have no vector cached and were not"
            " encoded (--no-encode): those steps were read whole, so the map may differ from"
            " one made with them; export once without --no-encode to cache them.",
            err=True,
        )
    for edit in alignment.get("edits_unmatched", []):
        why = edit.get("reason") or "matches no group in this map"
        click.echo(
            f"Note: edit {edit['id']} ({edit['action']} {edit['group_key']}) is not applied: "
            f"{why}; see `cjm map edits`.",
            err=True,
        )


def _redact_map(cmap: CompositeMap, fn: Callable[[str], str]) -> None:
    """Redact every text of the map, its step keys too.

    A step's key is the slug of its label, told in a participant's words
    ("emailed-zoe-example-com-..."): a key whose label the redaction changes is made
    again from the redacted label, everywhere the map and the CSV name it.
    """
    from cjm_interview.map.edits import unique_key

    taken = {step["key"] for step in cmap.data["steps"]}
    renamed: dict[str, str] = {}
    for step in cmap.data["steps"]:
        redacted = fn(step["label"])
        if redacted == step["label"]:
            continue
        key = unique_key(redacted, taken)
        taken.add(key)
        renamed[step["key"]] = key

    def rekeyed(value: Any) -> Any:
        if isinstance(value, str):
            return renamed.get(value, value)
        if isinstance(value, list):
            return [rekeyed(v) for v in value]
        if isinstance(value, dict):
            return {rekeyed(k): rekeyed(v) for k, v in value.items()}
        return value

    placed = {at: (position, renamed.get(key, key)) for at, (position, key) in cmap.placed.items()}
    cmap.data = _redacted(rekeyed(cmap.data), fn)
    cmap.placed = placed


def _redacted(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_redacted(v, fn) for v in value]
    if isinstance(value, dict):  # keys too: the map counts by segment, whose names are text
        return {(fn(k) if isinstance(k, str) else k): _redacted(v, fn) for k, v in value.items()}
    return value


@click.group("map")
def map_group() -> None:
    """Inspect and edit the composite map's step groups (edits survive re-running)."""


@map_group.command("groups")
@db_option
@filter_options
def map_groups(db_path: Path | None, **kw: Any) -> None:
    """List the composite steps with their keys, size and phrasings."""
    store, filters, cmap = _build(db_path, **kw)
    _warn(cmap, store, filters)
    a = cmap.data["alignment"]
    click.echo(
        f"{len(cmap.data['steps'])} composite steps from {a['steps_told']} steps told "
        f"in {cmap.data['sessions']} interviews ({a['representation']}, threshold "
        f"{a['threshold']}, position weight {a['position_weight']})."
    )
    for i, step in enumerate(cmap.data["steps"], 1):
        mark = " (edited)" if step["edited"] else ""
        click.echo(
            f"{i:>2}. {step['label']}{mark}\n    key: {step['key']} · {step['participants']} "
            f"people · grade {step['grade']['mean']}"
        )
        for phrasing in step["phrasings"][:3]:
            click.echo(f"      “{phrasing['text']}” ×{phrasing['count']}")


def _edit(db_path: Path | None, kw: dict[str, Any], **row: Any) -> None:
    """Record an edit with the phrasings of the groups it names, after checking they exist."""
    import json

    from cjm_interview.store import utc_now

    store, _filters, cmap = _build(db_path, quiet=True, **kw)
    steps = {s["key"]: s["key"] for s in cmap.data["steps"]}
    steps.update({alias: s["key"] for s in cmap.data["steps"] for alias in s["aliases"]})
    stages = {s["key"]: s["key"] for s in cmap.data["stages"]}
    stages.update({alias: s["key"] for s in cmap.data["stages"] for alias in s["aliases"]})
    action = row["action"]
    on_stage = action in ("stage-rename", "stage-merge")
    checks = [("group_key", stages if on_stage else steps, "stage" if on_stage else "step group")]
    if action in ("merge", "stage-merge"):
        checks.append(("target_key", stages if on_stage else steps, checks[0][2]))
    for name, known, what in checks:
        key = row.get(name)
        if key not in known:
            near = difflib.get_close_matches(key or "", list(known), n=3, cutoff=0.3)
            listing = "cjm map stages" if what == "stage" else "cjm map groups"
            fail(
                f"no {what} {key!r} in this map",
                ("Did you mean " + ", ".join(near) + "? " if near else "")
                + f"List them with `{listing}` (with the same filters).",
            )
        row[name] = known[key]
    if action in ("merge", "stage-merge") and row["group_key"] == row["target_key"]:
        fail("a group cannot be merged into itself")
    if action == "split":
        _check_split(cmap, row)
    anchors = cmap.stage_anchors if on_stage else cmap.anchors
    anchor = json.dumps(anchors.get(row["group_key"], []), ensure_ascii=False)
    # A moment moved into a stage names the stage as its target.
    targets = cmap.stage_anchors if on_stage or action == "stage-move" else cmap.anchors
    target = targets.get(row.get("target_key") or "")
    now = utc_now()
    store.write(
        lambda conn: conn.execute(
            "INSERT INTO step_group_edits (action, group_key, target_key, label, pattern, "
            "anchor, target_anchor, created_at, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                action,
                row["group_key"],
                row.get("target_key"),
                row.get("label"),
                row.get("pattern"),
                anchor,
                json.dumps(target, ensure_ascii=False) if target else None,
                now,
                row.get("author") or os.environ.get("USER", ""),
            ),
        )
    )
    click.echo(f"Saved: {action} {row['group_key']}. It applies to every map from now on.")


MAX_LABEL_CHARS = 120
"""A label heads a column of the map: 100,000 characters were taken."""


def _label(text: str, what: str = "the new label") -> str:
    """A researcher's label or stage name, cleaned; one line saying why not."""
    from cjm_interview.answers import clean_text

    label = " ".join(clean_text(text).split())
    if not label:
        fail(f"{what} is empty")
    if len(label) > MAX_LABEL_CHARS:
        fail(f"{what} is {len(label):,} characters long; a label has at most {MAX_LABEL_CHARS}")
    return label


def _check_split(cmap: CompositeMap, row: dict[str, Any]) -> None:
    """What a split would move in this map: a pattern too slow to match is refused, and
    one that moves nothing (or every step) is said so, as the map would skip it."""
    from cjm_interview.store.check import split_pattern

    pattern = split_pattern(row["pattern"])
    group = next(g for g in cmap.groups if g.key == row["group_key"])
    said = [cmap.steps_told[i].action for i in group.members]
    moved = sum(pattern.search(text) for text in said)
    if pattern.too_slow:
        fail(
            f"pattern {row['pattern'][:80]!r} takes too long to match a step's words "
            "(it tries too many ways to match); write it more simply"
        )
    told = f"{len(said)} step{'' if len(said) == 1 else 's'} told"
    if moved in (0, len(said)):
        how = "none" if moved == 0 else "every one"
        click.echo(
            f"Note: the pattern matches {how} of the {told} in "
            f"{row['group_key']}, so this map splits nothing off; it will once some of the "
            "steps match.",
            err=True,
        )
    else:
        click.echo(f"{moved} of the {told} in {row['group_key']} move.")


@map_group.command("rename")
@click.argument("key")
@click.argument("label")
@db_option
@filter_options
def map_rename(key: str, label: str, db_path: Path | None, **kw: Any) -> None:
    """Give the group KEY a better LABEL (its key follows; the old key still finds it)."""
    _edit(db_path, kw, action="rename", group_key=key, label=_label(label))


@map_group.command("merge")
@click.argument("key")
@click.argument("into")
@db_option
@filter_options
def map_merge(key: str, into: str, db_path: Path | None, **kw: Any) -> None:
    """Merge the group KEY into the group INTO."""
    _edit(db_path, kw, action="merge", group_key=key, target_key=into)


@map_group.command("split")
@click.argument("key")
@click.argument("pattern")
@click.option("--label", required=True, help="Label of the new group.")
@db_option
@filter_options
def map_split(key: str, pattern: str, label: str, db_path: Path | None, **kw: Any) -> None:
    """Move the steps of KEY whose words match PATTERN (a regular expression) to a new group."""
    from cjm_interview.store.check import split_pattern

    try:
        split_pattern(pattern)
    except ValueError as exc:
        fail(f"pattern {pattern[:80]!r} is not a valid regular expression ({exc})")
    from cjm_interview.map import slug

    label = _label(label, "the new group's label")
    _edit(
        db_path,
        kw,
        action="split",
        group_key=key,
        pattern=pattern,
        label=label,
        target_key=slug(label),
    )


@map_group.command("stages")
@db_option
@filter_options
def map_stages(db_path: Path | None, **kw: Any) -> None:
    """List the stages with their keys and the steps in each."""
    store, filters, cmap = _build(db_path, **kw)
    _warn(cmap, store, filters)
    click.echo(f"{len(cmap.data['stages'])} stages ({cmap.data['alignment']['stages_from']}).")
    labels = {s["key"]: s["label"] for s in cmap.data["steps"]}
    for i, stage in enumerate(cmap.data["stages"], 1):
        mark = " (edited)" if stage["edited"] else ""
        click.echo(f"{i:>2}. {stage['label']}{mark}\n    key: {stage['key']} · "
                   f"{stage['participants']} people")  # fmt: skip
        for key in stage["steps"]:
            click.echo(f"      {labels[key]}  ({key})")


@map_group.command("stage-rename")
@click.argument("stage")
@click.argument("label")
@db_option
@filter_options
def map_stage_rename(stage: str, label: str, db_path: Path | None, **kw: Any) -> None:
    """Give the stage STAGE a better LABEL (its key follows)."""
    _edit(db_path, kw, action="stage-rename", group_key=stage, label=_label(label))


@map_group.command("stage-merge")
@click.argument("stage")
@click.argument("into")
@db_option
@filter_options
def map_stage_merge(stage: str, into: str, db_path: Path | None, **kw: Any) -> None:
    """Put every step of the stage STAGE into the stage INTO."""
    _edit(db_path, kw, action="stage-merge", group_key=stage, target_key=into)


@map_group.command("move")
@click.argument("key")
@click.argument("stage")
@db_option
@filter_options
def map_move(key: str, stage: str, db_path: Path | None, **kw: Any) -> None:
    """Move the step group KEY into STAGE (a stage key, or the name of a new stage)."""
    from cjm_interview.map import slug

    name = _label(stage, "the stage")
    _store, _filters, cmap = _build(db_path, quiet=True, **kw)
    known = {s["key"] for s in cmap.data["stages"]} | {
        a for s in cmap.data["stages"] for a in s["aliases"]
    }
    target = stage if stage in known else slug(name)
    _edit(db_path, kw, action="stage-move", group_key=key, target_key=target, label=name)


@map_group.command("edits")
@db_option
def map_edits(db_path: Path | None) -> None:
    """List the saved edits, oldest first (they are applied in this order)."""
    from cjm_interview.map import load_edits
    from cjm_interview.store import open_store

    edits = load_edits(open_store(db_path, must_exist=True))
    if not edits:
        click.echo("No edits: the map shows the groups as aligned.")
    for edit in edits:
        what = {
            "rename": f"rename {edit['group_key']} to “{edit['label']}”",
            "merge": f"merge {edit['group_key']} into {edit['target_key']}",
            "split": f"split /{edit['pattern'] or '(erased)'}/ off {edit['group_key']} "
            f"as “{edit['label']}”",
            "stage-rename": f"rename stage {edit['group_key']} to “{edit['label']}”",
            "stage-merge": f"merge stage {edit['group_key']} into {edit['target_key']}",
            "stage-move": f"move {edit['group_key']} into stage {edit['target_key']}",
        }.get(edit["action"], edit["action"])
        click.echo(f"{edit['id']:>4}  {edit['created_at'][:16]}  {what}")


@map_group.command("forget")
@click.argument("edit_id", type=int)
@db_option
def map_forget(edit_id: int, db_path: Path | None) -> None:
    """Remove the saved edit EDIT_ID (see `cjm map edits`)."""
    from cjm_interview.store import open_store

    store = open_store(db_path, must_exist=True)
    removed = store.write(
        lambda conn: conn.execute("DELETE FROM step_group_edits WHERE id = ?", (edit_id,)).rowcount
    )
    if not removed:
        fail(f"no edit {edit_id}", "List them with `cjm map edits`.")
    click.echo(f"Removed edit {edit_id}.")
