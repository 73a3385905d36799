"""The embedding tagger with the shipped heads, and training on a small corpus."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from cjm_interview.config import models_dir
from cjm_interview.nlp.features import LEXICON_FEATURES, word_features
from cjm_interview.nlp.train import (
    GRADE_WEIGHTS,
    LEXICON_WEIGHTS,
    fit_binary,
    fit_ridge,
    fit_softmax,
    macro_f1,
)

from ..conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model():
    from cjm_interview.nlp.embedding import EmbeddingTagger

    return EmbeddingTagger.load()


def test_heads_are_plain_arrays() -> None:
    with np.load(models_dir() / "heads" / "heads.npz", allow_pickle=False) as data:
        assert {"sent_W", "grade_w", "emo_W", "tp_W", "emo_thr", "tp_thr"} <= set(data.files)
        sent_w = data["sent_W"]
        # The sentiment adapter's low-rank updates, in half precision.
        lora = [k for k in data.files if k.startswith("lora.")]
        assert lora and all(data[k].dtype == np.float16 for k in lora)
    meta = json.loads((models_dir() / "heads" / "heads.json").read_text())
    assert meta["report"]["sentiment"]["heldout:macro_f1"] > 0.6
    # Sentence vector, lexicon cues and hashed words, in that order.
    assert sent_w.shape[0] == 384 + len(LEXICON_FEATURES) + meta["word_dim"]
    assert meta["grade_weight"] in GRADE_WEIGHTS
    # The four heads, and the sentiment on each file of rows labelled for it alone: the rated
    # posts, and the complaint steps from outside the project, every labelled one.
    assert set(meta["report"]) == {
        "sentiment", "grade", "emotions", "touchpoints",
        "sentiment: rated_posts", "sentiment: complaint_steps",
    }  # fmt: skip
    labelled = (ROOT / "benchmarks/data/complaint_step_sentiment.jsonl").read_text().splitlines()
    assert meta["also"]["complaint_steps"]["rows"] == len(labelled)
    # The lexicon weight in use is the one the transfer figures favour.
    means = meta["transfer"]["mean"]
    assert means[f"{meta['lexicon_weight']:g}"] == max(means.values())


def test_model_info_names_the_adapter_and_the_transfer_figure() -> None:
    import subprocess
    import sys

    from cjm_interview.nlp.adapter import RANK, TOP_LAYERS

    meta = json.loads((models_dir() / "heads" / "heads.json").read_text())
    done = subprocess.run(
        [sys.executable, "-m", "cjm_interview", "model", "info"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert f"sentiment adapter: rank {RANK} on the top {TOP_LAYERS} layers" in done.stdout
    assert "encoder runtime: onnx-fp32 (" in done.stdout
    assert "note: the heads learnt from" not in done.stdout  # torch's and fp32's vectors agree
    # Rows from outside the corpus folder are named with their count.
    labelled = (ROOT / "benchmarks/data/complaint_step_sentiment.jsonl").read_text().splitlines()
    assert f"also learnt from: complaint_steps ({len(labelled)} rows)" in done.stdout
    transfer = meta["transfer"]["mean"][f"{meta['lexicon_weight']:g}"]
    assert f"sentiment transfer (file left out): macro_f1 {transfer}" in done.stdout


def test_word_features_are_stable_and_unit_length() -> None:
    texts = ["Still  WAITING, nobody called", "still waiting nobody called", "still waiting?", ""]
    words = word_features(texts, 256)
    assert words.shape == (4, 256)
    assert np.allclose(np.linalg.norm(words[:3], axis=1), 1.0) and not words[3].any()
    # Case, spacing and commas do not matter; a question mark does.
    assert np.array_equal(words[0], words[1])
    assert set(np.flatnonzero(words[2])) > set(
        np.flatnonzero(word_features(["still waiting"], 256)[0])
    )
    # CRC-32 hashing: the same columns in every process (a trained head relies on it).
    assert list(np.flatnonzero(word_features(["thanks"], 2048)[0])) == [
        zlib.crc32(b"thanks") % 2048
    ]
    assert word_features(texts, 0).shape == (4, 0)


def test_model_tags_clear_cases(model) -> None:
    results = model.tag_batch(
        [
            "I called the helpline and waited an hour on hold, absolutely useless",
            "The engineer came round and fixed it in ten minutes, brilliant",
            "I filled in the form on their website",
        ]
    )
    assert [r.sentiment for r in results] == ["negative", "positive", "neutral"]
    assert "phone" in results[0].touchpoints and "field" in results[1].touchpoints
    assert "web" in results[2].touchpoints
    assert results[0].grade < results[2].grade < results[1].grade
    assert len(results[0].embedding) == 384 * 4
    vector = np.frombuffer(results[0].embedding, dtype="<f4")
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("it was stressful", "negative"),
        ("The whole thing was stressful and slow", "negative"),
        ("I was moving house and needed internet set up, it was stressful", "negative"),
        ("I was worried it would not arrive in time", "negative"),
        ("It was a nightmare from start to finish", "negative"),
        ("frustrating", "negative"),
        ("I went to the branch on Monday", "neutral"),
        ("needed internet set up", "neutral"),
        ("they were really patient with me", "positive"),
        ("I felt relieved when it finally worked", "positive"),
    ],
)
def test_model_reads_feelings_as_interviews_state_them(model, text: str, sentiment: str) -> None:
    result = model.tag_batch([text])[0]
    assert result.sentiment == sentiment
    # The predicted grade is on the sentiment's side of the neutral mean (5.5).
    low, high = {"negative": (0, 5.5), "neutral": (3.5, 7.5), "positive": (5.5, 10)}[sentiment]
    assert low <= result.grade <= high


def test_model_finds_no_relief_in_a_step_that_came_late(model) -> None:
    late, sorted_out = model.tag_batch(
        ["I finally went to the shop in town", "It was finally sorted, what a relief"]
    )
    assert "relief" not in late.emotions
    assert "relief" in sorted_out.emotions


def test_learners_learn() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    y = np.digitize(x[:, 0] - 0.5 * x[:, 1], [-0.6, 0.6])  # three ordered classes
    w, b = fit_softmax(x, y, 3)
    assert macro_f1(y, (x @ w + b).argmax(axis=1), 3) > 0.9
    target = 3 * x[:, 2] + 1
    wr, br = fit_ridge(x, target, l2=0.1)
    assert np.mean(np.abs(x @ wr + br - target)) < 0.1
    labels = np.stack([(x[:, 3] > 0), (x[:, 4] < -0.5)], axis=1).astype(np.float32)
    wb, bb = fit_binary(x, labels)
    predicted = (x @ wb + bb) > 0
    assert np.mean(predicted == labels.astype(bool)) > 0.9


def test_a_row_of_weight_two_counts_as_two_rows() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(120, 4)).astype(np.float32)
    y = np.digitize(x[:, 0] + 0.3 * rng.normal(size=120), [-0.5, 0.5])
    doubled = np.arange(0, 120, 3)
    w2, _ = fit_softmax(np.vstack([x, x[doubled]]), np.concatenate([y, y[doubled]]), 3, steps=200)
    weight = np.ones(120)
    weight[doubled] = 2.0
    ww, _ = fit_softmax(x, y, 3, steps=200, sample_weight=weight)
    # The same loss, the L2's share included: the same weights but for rounding.
    assert np.allclose(w2, ww, atol=1e-3)
    unweighted, _ = fit_softmax(x, y, 3, steps=200)
    assert not np.allclose(unweighted, ww, atol=1e-2)


def test_classes_balanced_on_some_rows_let_the_others_keep_their_proportions() -> None:
    from cjm_interview.nlp.train import fit_softmax

    # No features: the head learns a prior alone, which the class balance sets.
    answers = np.repeat([0, 1, 2], [10, 40, 50])
    extra = np.zeros(300, dtype=np.int64)  # rows of one class: complaint steps, say
    y = np.concatenate([answers, extra])
    x = np.zeros((len(y), 1), dtype=np.float32)

    def prior(**kwargs: object) -> np.ndarray:
        _, b = fit_softmax(x, y, 3, steps=800, **kwargs)  # type: ignore[arg-type]
        p = np.exp(b - b.max())
        return p / p.sum()

    # Balanced on every row: the many extra rows of class 0 are scaled down to a third.
    assert np.allclose(prior(), 1 / 3, atol=0.02)
    on_answers = np.arange(len(y)) < len(answers)
    # Balanced on the answers: their classes are even, and the extra rows count as rows of
    # class 0 as the answers weigh it, so class 0 leads.
    tilted = prior(balance_on=on_answers)
    assert tilted[0] > 0.8 and np.isclose(tilted[1], tilted[2], atol=0.02)
    # The same rows, balanced on themselves alone: as if the mask were not there.
    assert np.allclose(prior(balance_on=np.ones(len(y), dtype=bool)), prior(), atol=1e-6)
    # A class the answers lack keeps the balance of all rows instead of an endless weight.
    y_gap = np.concatenate([np.repeat([1, 2], [50, 50]), np.zeros(30, dtype=np.int64)])
    _, b = fit_softmax(
        np.zeros((len(y_gap), 1), dtype=np.float32),
        y_gap,
        3,
        steps=800,
        balance_on=np.arange(len(y_gap)) < 100,
    )
    gap = np.exp(b - b.max()) / np.exp(b - b.max()).sum()
    # (30 rows of class 0 weigh 130 / 90 each, the answers' 50 of each class 130 / 195.)
    assert np.allclose(gap, [0.394, 0.303, 0.303], atol=0.02)


def test_corpus_rows_rated_for_sentiment_only(tmp_path: Path) -> None:
    from cjm_interview.nlp.train import load_corpus, train_all

    corpus = tmp_path / "corpus"
    _write(corpus / "answers.jsonl", _toy_rows()[:3])
    _write(
        corpus / "rated.jsonl",
        [{"text": "lovely day out", "sentiment": "positive", "weight": 0.5}],
    )
    loaded = load_corpus(corpus)
    assert loaded.tagged.tolist() == [True, True, True, False]
    assert loaded.weight.tolist() == [1.0, 1.0, 1.0, 0.5]
    assert np.isnan(loaded.grade[3])
    # A row labelled in part is a mistake, named with its file and line.
    _write(corpus / "rated.jsonl", [{"text": "x", "sentiment": "neutral", "grade": 5}])
    with pytest.raises(ValueError, match=r"rated.jsonl:1: grade, emotions and touchpoints"):
        load_corpus(corpus)
    _write(corpus / "rated.jsonl", [{"text": "x", "sentiment": "neutral", "weight": 3}])
    with pytest.raises(ValueError, match=r"rated.jsonl:1: weight must be"):
        load_corpus(corpus)
    # Rated posts alone cannot teach the grade, emotions or channels.
    (corpus / "answers.jsonl").unlink()
    _write(corpus / "rated.jsonl", [{"text": "x", "sentiment": "neutral", "weight": 0.5}])
    with pytest.raises(ValueError, match="no answer labelled with grade, emotions"):
        train_all(out=tmp_path / "heads", corpus_dir=corpus)


def test_corpus_files_from_outside_the_corpus_folder(tmp_path: Path) -> None:
    from cjm_interview.nlp.train import CorpusError, load_corpus

    corpus = tmp_path / "corpus"
    _write(corpus / "answers.jsonl", _toy_rows()[:3])
    outside = tmp_path / "elsewhere" / "steps.jsonl"
    _write(outside, [{"text": "they never answered my letter", "sentiment": "negative"}])
    inside = load_corpus(corpus)
    both = load_corpus(corpus, [outside])
    assert both.texts == [*inside.texts, "they never answered my letter"]
    assert both.sources.tolist()[-1] == "steps"
    assert both.tagged.tolist() == [True, True, True, False]
    # The file's rows name the corpus, so heads learnt with it say so.
    assert both.sha256 != inside.sha256
    with pytest.raises(CorpusError, match=r"missing.jsonl: no such file"):
        load_corpus(corpus, [tmp_path / "missing.jsonl"])
    # Two files of one name would share their figures and their transfer fold.
    _write(tmp_path / "answers.jsonl", [{"text": "fine", "sentiment": "neutral"}])
    with pytest.raises(CorpusError, match="already has a file named answers"):
        load_corpus(corpus, [tmp_path / "answers.jsonl"])
    with pytest.raises(CorpusError, match=r"steps.jsonl: given twice"):
        load_corpus(corpus, [outside, outside])
    # Its rows are checked as the folder's are, with their own file and line.
    _write(outside, [{"text": "x", "sentiment": "cross"}])
    with pytest.raises(CorpusError, match=r"steps.jsonl:1: unknown sentiment 'cross'"):
        load_corpus(corpus, [outside])
    # Bytes that are not text, and a folder or device given as a file, are named as such;
    # a byte-order mark before the first row is no part of it.
    outside.write_bytes(b"\xff\xfe\x00{}")
    with pytest.raises(CorpusError, match=r"steps.jsonl: not UTF-8 text \(byte 0\)"):
        load_corpus(corpus, [outside])
    with pytest.raises(CorpusError, match=r"elsewhere: not a file"):
        load_corpus(corpus, [outside.parent])
    outside.write_text('\ufeff{"text": "they never answered", "sentiment": "negative"}\n')
    assert load_corpus(corpus, [outside]).texts[-1] == "they never answered"


@pytest.mark.parametrize("command", [("train", "--keep-adapter"), ("eval",)])
def test_model_also_a_missing_file_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    from tests.reliability.hostile import cjm, one_clear_line

    (tmp_path / "corpus").mkdir()
    (tmp_path / "taxonomy.yaml").write_text((models_dir() / "taxonomy.yaml").read_text())
    (tmp_path / "corpus" / "answers.jsonl").write_text(json.dumps(_toy_rows()[0]) + "\n")
    env = {"CJM_MODELS_DIR": str(tmp_path)}
    run = cjm("model", *command, "--also", str(tmp_path / "nope.jsonl"), env=env)
    one_clear_line(run)
    assert "nope.jsonl: no such file" in run.err


def test_training_without_a_file_the_shipped_heads_learnt_from_says_so(tmp_path: Path) -> None:
    from tests.reliability.hostile import cjm, one_clear_line

    (tmp_path / "corpus").mkdir()
    (tmp_path / "taxonomy.yaml").write_text((models_dir() / "taxonomy.yaml").read_text())
    (tmp_path / "corpus" / "answers.jsonl").write_text(json.dumps(_toy_rows()[0]) + "\n")
    (tmp_path / "heads").mkdir()
    shipped = {"also": {"complaint_steps": {"rows": 3, "sha256": "0" * 64}}}
    (tmp_path / "heads" / "heads.json").write_text(json.dumps(shipped))
    env = {"CJM_MODELS_DIR": str(tmp_path)}
    run = cjm("model", "train", "--keep-adapter", env=env)
    one_clear_line(run)
    assert "the shipped heads learnt from complaint_steps too" in run.err
    assert "--only-corpus" in run.err
    # Given under its name, the file is no longer missing: training goes on to read it.
    given = tmp_path / "elsewhere" / "complaint_steps.jsonl"
    run = cjm("model", "train", "--keep-adapter", "--also", str(given), env=env)
    assert "complaint_steps.jsonl: no such file" in run.err
    # So it does when told to learn without it.
    run = cjm("model", "train", "--keep-adapter", "--only-corpus", "--also", "x.jsonl", env=env)
    assert "x.jsonl: no such file" in run.err
    # A file of that name that is not the one learnt from is named (then read as any other).
    given.parent.mkdir()
    given.write_text('{"text": "x", "sentiment": "cross"}\n')
    run = cjm("model", "train", "--keep-adapter", "--also", str(given), env=env)
    assert f"note: {given} is not the complaint_steps the shipped heads learnt from" in run.err
    assert "complaint_steps.jsonl:1: unknown sentiment 'cross'" in run.err


@pytest.mark.parametrize(
    "text", ["not json", "[1, 2]", '{"also": [1]}', '{"also": 3}', '{"also": null}', "\udcff"]
)
def test_odd_shipped_heads_name_no_file_learnt_from_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    from cjm_interview.nlp.cli import _shipped_also

    monkeypatch.setenv("CJM_MODELS_DIR", str(tmp_path))
    (tmp_path / "heads").mkdir()
    (tmp_path / "heads" / "heads.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    assert _shipped_also() == {}


@pytest.mark.parametrize(
    "line",
    [
        '{"text": "great", "sentiment": "positive", "grade": 9}',
        '{"text": "great", "sentiment": "positive", "weight": "lots"}',
        '{"text": "great", "sentiment": "positive", "weight": 0}',
        "not json",
        "[1, 2]",
        '{"text": "x", "sentiment": "fine"}',
        '{"text": "x", "sentiment": "neutral", "grade": "9", "emotions": [], "touchpoints": []}',
        '{"text": "x", "sentiment": "positive", "grade": 9, "emotions": "joy", "touchpoints": []}',
    ],
)
def test_a_bad_corpus_row_is_one_line_naming_its_file_and_line(tmp_path: Path, line: str) -> None:
    from tests.reliability.hostile import cjm, one_clear_line

    (tmp_path / "corpus").mkdir()
    (tmp_path / "taxonomy.yaml").write_text((models_dir() / "taxonomy.yaml").read_text())
    (tmp_path / "corpus" / "answers.jsonl").write_text(json.dumps(_toy_rows()[0]) + "\n" + line)
    run = cjm("model", "train", "--keep-adapter", env={"CJM_MODELS_DIR": str(tmp_path)})
    one_clear_line(run)
    assert "answers.jsonl:2: " in run.err


def _toy_rows(tag: str = "") -> list[dict]:
    rows = []
    for i in range(40):
        rows.append(
            {
                "text": f"great quick service number {i}{tag}",
                "sentiment": "positive",
                "grade": 9,
                "touchpoints": ["web"],
                "emotions": ["delight"],
            }
        )
        rows.append(
            {
                "text": f"terrible wait on the phone {i}{tag}",
                "sentiment": "negative",
                "grade": 1,
                "touchpoints": ["phone"],
                "emotions": ["frustration"],
            }
        )
        rows.append(
            {
                "text": f"I sent form {i}{tag} by post",
                "sentiment": "neutral",
                "grade": 5,
                "touchpoints": ["mail"],
                "emotions": [],
            }
        )
    return rows


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def quick_adapter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The adapter trains for a few steps: the code path is the real one, in seconds.

    Training's scratch files go to the test's folder, not beside the shipped heads.
    """
    from cjm_interview.nlp import adapter, calibrate, train

    monkeypatch.setattr(adapter, "MIN_STEPS", 12)
    monkeypatch.setattr(adapter, "EPOCHS", 1)
    scratch = tmp_path / "cache"
    scratch.mkdir()
    monkeypatch.setattr(train, "_cache_dir", lambda create=False: scratch)
    # A dozen of the dev complaints: the thresholds' path is the real one, without
    # encoding every sentence of 160 long narratives.
    real = calibrate.dev_complaints

    def a_few_dev_complaints(channels):
        dev = real(channels)
        return None if dev is None else (dev[0][:12], dev[1][:12])

    monkeypatch.setattr(calibrate, "dev_complaints", a_few_dev_complaints)


def test_train_on_a_small_corpus(tmp_path: Path, model, quick_adapter) -> None:
    from cjm_interview.nlp.embedding import EmbeddingTagger
    from cjm_interview.nlp.train import train_all

    corpus = tmp_path / "corpus"
    rows = _toy_rows()
    # Two files: each is left out in turn to choose the lexicon's share.
    _write(corpus / "toy_a.jsonl", rows[::2])
    _write(corpus / "toy_b.jsonl", rows[1::2])
    report = train_all(folds=3, out=tmp_path / "heads", corpus_dir=corpus, with_transfer=True)
    assert report.figures["sentiment"]["cv:macro_f1"] > 0.8
    assert set(report.transfer) == {"toy_a", "toy_b", "mean"}
    assert report.lexicon_weight in LEXICON_WEIGHTS
    assert "Transfer" in (tmp_path / "heads" / "report.md").read_text()
    tagger = EmbeddingTagger.load(tmp_path / "heads")
    assert tagger.heads.has_adapter
    # The heads learnt from the vectors of the encoder that tags with them.
    assert tagger.meta["encoder_runtime"] == tagger.encoder.runtime
    result = tagger.tag_batch(["awful wait on the phone"])[0]
    assert result.sentiment == "negative"
    # The stored vector is the encoder's own, not the adapter's: maps align on meaning.
    shipped = model.tag_batch(["awful wait on the phone"])[0].embedding
    assert np.allclose(
        np.frombuffer(result.embedding, "<f4"), np.frombuffer(shipped, "<f4"), atol=1e-5
    )


def test_rated_posts_teach_the_sentiment_alone(tmp_path: Path, quick_adapter) -> None:
    from cjm_interview.nlp.embedding import Heads
    from cjm_interview.nlp.train import is_heldout, train_all

    corpus = tmp_path / "corpus"
    _write(corpus / "answers.jsonl", _toy_rows())
    without = train_all(folds=3, out=tmp_path / "without", corpus_dir=corpus)
    # Positive rated posts about a phone, with no grade, channel or emotion, all in the
    # training split (none held out: the report takes the figures each split has).
    posts = [f"my new phone {i} is a joy" for i in range(80)]
    _write(
        corpus / "rated.jsonl",
        [
            {"text": text, "sentiment": "positive", "weight": 0.5}
            for text in posts
            if not is_heldout(text)
        ],
    )
    report = train_all(folds=3, out=tmp_path / "with", corpus_dir=corpus)
    before, after = Heads.load(tmp_path / "without"), Heads.load(tmp_path / "with")
    # The grade, emotion and channel heads, their thresholds and figures are the answers'
    # alone: the same with the rated posts in the corpus or not.
    for key in ("grade_means", "emo_W", "emo_b", "emo_thr", "tp_W", "tp_b", "tp_thr", "lex_mean"):
        assert np.allclose(before.arrays[key], after.arrays[key], atol=1e-5), key
    assert before.meta["channel_thresholds"] == after.meta["channel_thresholds"]
    for head in ("emotions", "touchpoints"):
        assert report.figures[head] == without.figures[head]
    assert np.allclose(after.arrays["grade_means"], [1.0, 5.0, 9.0])
    # The sentiment did learn from them.
    assert not np.allclose(before.arrays["sent_W"], after.arrays["sent_W"])
    assert set(report.figures["sentiment: rated"]) == {"cv:accuracy", "cv:macro_f1"}
    assert report.sizes["sentiment-only rows held out"] == 0


def test_adapter_does_not_learn_from_templated_answers(
    tmp_path: Path, model, monkeypatch: pytest.MonkeyPatch, quick_adapter
) -> None:
    from cjm_interview.nlp import adapter
    from cjm_interview.nlp.train import TEMPLATED, is_heldout, train_all

    corpus = tmp_path / "corpus"
    written, templated = _toy_rows(), _toy_rows(" again")
    _write(corpus / "written.jsonl", written)
    _write(corpus / f"{TEMPLATED}.jsonl", templated)
    seen: list[int] = []

    def train_adapter(states, labels, classes, **kwargs):
        seen.append(len(states))
        return real(states, labels, classes, **kwargs)

    real = adapter.train_adapter
    monkeypatch.setattr(adapter, "train_adapter", train_adapter)
    train_all(folds=3, out=tmp_path / "heads", corpus_dir=corpus, with_transfer=True)

    def training_rows(rows: list[dict]) -> int:
        return sum(not is_heldout(r["text"]) for r in rows)

    # Files are left out in name order. Without the templates, the adapter sees the
    # written rows; without the written file only templates remain, and it takes
    # them rather than nothing; the shipped adapter sees the written rows only.
    assert seen == [training_rows(written), training_rows(templated), training_rows(written)]


def test_french_answers_are_encoded_but_never_read_by_the_english_heads(model, monkeypatch) -> None:
    texts = [
        "I rang the helpline and waited ages",
        "J'ai appelé le service client et j'ai attendu une heure, c'est inadmissible",
        "Super service, merci beaucoup pour votre aide",
        "The app crashed twice. Then I emailed them. They never replied, which was infuriating.",
    ]
    before = model.tag_batch(texts)
    read: list[str] = []
    predict = model.heads.predict

    def counted(emb, *args, **kwargs):
        read.append(len(emb))
        return predict(emb, *args, **kwargs)

    monkeypatch.setattr(model.heads, "predict", counted)
    after = model.tag_batch(texts)
    from cjm_interview.nlp.longtext import read as reading

    assert read == [sum(len(reading(t).units) for t in (texts[0], texts[3]))]
    assert [r.model for r in after] == [r.model for r in before]
    assert after[1].model == "lexicon-fr" and "phone" in after[1].touchpoints
    for a, b in zip(after, before, strict=True):  # the same tags and the same vectors
        assert (a.sentiment, a.grade, a.touchpoints, a.emotions) == (
            b.sentiment, b.grade, b.touchpoints, b.emotions,
        )  # fmt: skip
        assert a.embedding == b.embedding
