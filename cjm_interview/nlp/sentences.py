"""Sentences and clauses of an answer, and the answer's language.

MiniLM reads about 200 words and cuts the rest, and channel cues need a
sentence for their scope; long answers are therefore read sentence by sentence
(``nlp/longtext.py``). Nothing here imports torch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:mr|mrs|ms|dr|st|no|vs|etc|e\.g|i\.e|approx|dept|inc|ltd|co|corp|jr|sr|"
    r"u\.s|u\.k|a\.m|p\.m|mme|mlle|cf|ex|tel|réf|ref|nr)\.|\b[a-z]\.)$",
    re.IGNORECASE,
)
# Each run of stops, and of spaces, is read from its first character only: tried from every
# character of a run of 10,000 dots not followed by a space, the search took 5 s.
_END = re.compile(r"(?<![.!?…])[.!?…]++[\"')\]]*+(?=\s)|\n\s*\n|\n(?=\s*[-*•\d])")
# Sentences longer than this many words are cut at clause boundaries as well.
LONG_SENTENCE_WORDS = 60
_CLAUSE_BREAK = re.compile(
    r"(?<=[;:])\s+|(?<!\s)\s++(?=\b(?:but|however|then|so|mais|puis|ensuite)\b)"
)


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text and where it starts."""

    text: str
    start: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` in order (very long ones cut at clause boundaries).

    Unpunctuated answers stay whole; abbreviations (Mr., e.g., U.S.) and
    decimals do not end a sentence.
    """
    out: list[Sentence] = []
    start = 0
    for match in _END.finditer(text):
        end = match.end()
        if _abbreviation_ends(text, start, end):
            continue
        _add(text, start, end, out)
        start = end
    _add(text, start, len(text), out)
    return out


def _abbreviation_ends(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` ends in an abbreviation's full stop. Only its last few
    characters are read, in place: the whole piece, sliced and searched again at each full
    stop, took 19 s for 10,000 characters of "a. a. a." (all abbreviations)."""
    while end > start and text[end - 1] in "\"')] ":
        end -= 1
    # \b looks at the character before the window, as the text is not sliced.
    return bool(_ABBREVIATIONS.search(text, max(start, end - _LONGEST_ABBREVIATION), end))


_LONGEST_ABBREVIATION = 8  # "approx." and the full stop


def _add(text: str, start: int, end: int, out: list[Sentence]) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped or not re.search(r"\w", stripped):
        return
    offset = start + piece.index(stripped[0])
    if len(stripped.split()) <= LONG_SENTENCE_WORDS:
        out.append(Sentence(stripped, offset))
        return
    cut = 0
    for match in _CLAUSE_BREAK.finditer(stripped):
        if len(stripped[cut : match.start()].split()) >= 12:
            out.append(Sentence(stripped[cut : match.start()].strip(), offset + cut))
            cut = match.end()
    rest = stripped[cut:].strip()
    if rest:
        out.append(Sentence(rest, offset + stripped.index(rest, cut)))


# ------------------------------------------------------------------ language
# Frequent short words that set one language apart from the others.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is was were to of it not but my with for that this they have had i you "
        "we me be are on at from what when would could so very just thanks thank really "
        "got didn't it's there them their about because never"
    ),
    "fr": _words(
        "le la les des est et je ai pas une un pour que qui avec sur dans très était "
        "mais ils elle nous vous du au aux ce cette ne on mon ma mes qu été merci "
        "beaucoup votre notre rien bien trop suis avait fait tout toujours jamais moi "
        "aussi parce quand comme où bonjour"
    ),
    "es": _words(
        "el los las es y que de una por con para pero muy fue estaba mi su se lo le "
        "como del al me ha"
    ),
    "de": _words(
        "der die das und ist nicht ich ein eine mit für auf war sehr aber mein sie es wir "
        "den dem zu hat habe"
    ),
    "it": _words("il lo gli è e che di una per con non ma molto era mio sono ho della del al"),
    "pt": _words("o os as é e que de uma por com para mas muito foi meu não um da do ao em"),
    "nl": _words("de het een en is niet ik met voor op was maar heel mijn zijn dat van te"),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Links, handles, hashtags and codes say nothing of the language.
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\b\w*\d\w*\b")
_ELISION = re.compile(r"\b(?:l|d|j|qu|n|m|c|s|t)'(?=[aeiouyhéèêàâîôû])", re.IGNORECASE)
_LOANWORDS = _words("café cafés résumé déjà fiancé fiancée naïve décor cliché")


def detect_language(text: str) -> str | None:
    """The language of ``text`` by its function words, or None when too short to tell.

    Only clear cases count: the leading language has at least twice the
    function words of the next, and three of them (two when no other language
    has any); French accents count for French.
    """
    text = _NOT_WORDS.sub(" ", text.replace("’", "'"))
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_WORDS.items()}
    # French accents and elisions ("l'agence", "j'ai") are French words too.
    counts["fr"] += sum(1 for w in words if re.search(r"[éèêàçùôîûœ]", w) and w not in _LOANWORDS)
    counts["fr"] += len(_ELISION.findall(text))
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < (2 if second == 0 else 3) or top < 2 * second or top < 0.15 * len(words):
        return None
    return best
