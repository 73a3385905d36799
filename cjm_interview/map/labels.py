"""Labels and keys: what the members of a moment did, in a few words.

A moment's label is the most central short clause its members said, taken only
from members whose grade (given, else predicted) is on the side most members are
on, so that a label never says "went fine" over a group of complaints. A stage
found in the data is named by the words that set it apart from the other stages
(class-based tf-idf).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from cjm_interview.map.journeys import Step
from cjm_interview.privacy import PLACEHOLDERS

# Words that say nothing about which step it was: how people string a story
# together ("then", "after that"), pronouns, articles, auxiliaries.
STOPWORDS = frozenset(
    re.findall(
        r"\S+",
        """a about actually after again all also am an and any are as at be because been before
        being but by can could did do does doing done during each eventually every finally first
        for from further had has have having he her here him his how i i'd i'm i've if in into is
        it it's its just last later me more most my myself next no nor not now of off on once
        only or other our out over own really same she should so some still such than that the
        their them then there these they this those through to too twice under until up us very
        was we were what when where which while who why will with would yet you your xxxx xx""",
    )
)
LEAD_IN = re.compile(
    r"^(?:(?:and|so|then|next|after that|afterwards|eventually|finally|first of all|first|"
    r"also|well|but|later|after which|at that point|in the end|additionally|furthermore|"
    r"moreover|in addition|secondly|thirdly|lastly|firstly|meanwhile|however|therefore|"
    r"as a result|basically|unfortunately|\(?\d{1,2}\s?[.)]|\(?[a-h]\))(?![\w'])[\s,]*)+",
    re.IGNORECASE,
)
# A date taken out ("On XX/XX/XXXX I called") leaves its preposition behind.
_DANGLING = re.compile(
    r"^(?:on|in|at|around|since|by|as of|dated)\s+(?=(?:i|we|they|my|he|she|the|it)\b)",
    re.IGNORECASE,
)
_CLAUSE = re.compile(
    r"[.;!?]+\s+|\s*[;:]\s*|,\s+(?:but|and then|then|so|because|which)\s+|\s+but\s+"
)
# Words a clause cannot end on: "I paid on" and "My name is" once a date or a masked
# name ("XXXX") is taken out.
_DANGLING_END = frozenset(
    """on in at of to for from by with about the a an and or as is are was were am be been my
    our your their his her its over under than until approximately around nearly almost
    roughly totaling totalling worth""".split()  # noqa: SIM905
)
_PUNCTUATION = re.compile(r"^[^\w“\"']+|[\s#:(,]+$")
PLACEHOLDER = re.compile(r"\bX{2,}(?:/X{2,})*\b|\{\$?[\d.,]+\}")
# What the interview's own redaction leaves ("[email]", "[date-of-birth]").
_REDACTED = re.compile(f"(?:{'|'.join(re.escape(p) for p in PLACEHOLDERS.values())})")
# Where a masked detail stood: a clause is cut there ("I received the first bill for over
# {$200.00} and" -> "I received the first bill"), not bridged ("... bill for over and").
_GAP = "\u2063"
# A date masked in part ("XX/XX/2019"): out of labels whole, not leaving "/2019".
MASKED_DATE = re.compile(r"\bX{2,}(?:/(?:X{2,}|\d{2,4}))+\b")
MAX_WORDS = 7
# A letter's greeting or closing tells nothing of the journey (complaints written as letters
# gave a real map's stage the name "To Whom It May Concern").
_GREETING = re.compile(
    r"^(?:to whom it may concern|dear\s[^,.:;!?]{0,40}|(?:hello|hi|hey)(?: there| all)?|"
    r"good (?:morning|afternoon|evening)|greetings|sincerely|regards)(?![\w'])[\s,.:;!-]*",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"(?:(?:kind |best )?regards|sincerely|respectfully|thanks?(?: you)?(?: (?:so|very) much)?"
    r"(?: (?:for|in) (?:your |the )?(?:time|help|attention|advance|assistance|consideration))?|"
    r"please help(?: me)?(?: (?:with this|asap|now))?)[\s,.!]*",
    re.IGNORECASE,
)
ACTING = 0.2  # label score of a clause that tells an act, over one that names a thing
FORM = 0.3  # label score of a clause with an actor acting, over one that tells a state or time
CENTRAL_SHARE = 0.5  # share of the most central clause's centrality an act needs for its bonus
PRIOR = 0.2  # label score of the clause closest to its group's centre, over the farthest
RARE_NAME = 0.25  # a name in fewer than this share of a group's clauses is one member's


def slug(text: str) -> str:
    """A stable key for a group from its label."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "step"


@functools.lru_cache(maxsize=131072)
def normalise(text: str) -> str:
    """A phrasing with case, punctuation and spacing removed, for counting and matching."""
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))[:80]


@functools.lru_cache(maxsize=65536)
def content_words(text: str) -> list[str]:
    """The words that say what happened, lightly stemmed ("called", "calls" -> "call")."""
    return [_stem(w) for w in re.findall(r"[a-z][a-z']+", text.lower()) if w not in STOPWORDS]


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=65536)
def clauses(text: str) -> list[str]:
    """Short clauses of a step as people told it: lead-ins off, at most ``MAX_WORDS`` words."""
    found = []
    text = text.replace(_GAP, " ")  # typed by someone, it marks nothing
    text = PLACEHOLDER.sub(_GAP, _REDACTED.sub(_GAP, MASKED_DATE.sub(_GAP, text)))
    for part in _CLAUSE.split(" ".join(text.split())):
        part = _before_gap(part)
        part = _GREETING.sub("", part.strip(" ,-–"))
        if _CLOSING.fullmatch(part):
            continue
        part = LEAD_IN.sub("", _DANGLING.sub("", part.strip(" ,-–"))).strip(" ,-–")
        part = _PUNCTUATION.sub("", part)  # "), ( Original creditor" -> "Original creditor"
        words = part.rstrip(" .").split()  # "My name is ." once the name is masked out
        if len(words) < 2 or not content_words(part):
            continue
        cut_at = _boundary(words)
        if cut_at:  # "I called them and told them…" -> "I called them": a whole clause
            words = words[:cut_at]
            while len(words) > 2 and words[-1].lower().rstrip(".,") in _DANGLING_END:
                words.pop()
            part = " ".join(words).rstrip(",")
        elif len(words) > MAX_WORDS:
            kept = words[:MAX_WORDS]
            # "I contacted them with a question about the…" -> "... a question…"
            while len(kept) > 3 and kept[-1].lower().strip(",") in STOPWORDS:
                kept.pop()
            cut = " ".join(kept)
            comma = cut.rfind(",")
            part = (cut[:comma] if comma > 15 else cut.rstrip(",")) + "…"
        else:  # "I paid on" (a date taken out) -> "I paid"
            while len(words) > 2 and words[-1].lower().rstrip(".,") in _DANGLING_END:
                words.pop()
            part = " ".join(words)
        found.append(part.rstrip("."))
    return found


def _before_gap(part: str) -> str:
    """A clause with its masked details taken out. Where one was the object of a
    preposition ("the first bill for over {$200.00} and"), the clause ends before it,
    once it says something; elsewhere ("I emailed [email] twice") the words close up."""
    if _GAP not in part:
        return part
    pieces = part.split(_GAP)
    kept = pieces[0].split()
    said = bool(content_words(pieces[0]))  # whether the words kept say something yet
    for piece in pieces[1:]:
        if said and len(kept) > 2 and kept[-1].lower() in _DANGLING_END:
            end = len(kept)
            while end > 2 and kept[end - 1].lower() in _DANGLING_END:
                end -= 1
            if kept[end - 1].lower() not in _DANGLING_END and content_words(" ".join(kept[:end])):
                return " ".join(kept[:end])
        if not said and all(w.lower().strip(",.") in _DANGLING_END for w in kept):
            kept = []  # "On XX/XX/XXXX, XXXX told me" -> "told me"
        words = piece.split()
        kept += words
        said = said or bool(words and content_words(piece))
    return " ".join(kept)


# Words that open a new clause inside a long one ("I called them and told ...",
# "She told me that he ...").
_OPENS_CLAUSE = frozenset(
    "and that who which when because so while where if until after before".split()  # noqa: SIM905
)


def _boundary(words: Sequence[str]) -> int:
    """Where a clause too long for a label can end whole: the last word, after the third
    and within ``MAX_WORDS``, that opens a new clause (0 if none, or if it fits)."""
    if len(words) <= MAX_WORDS:
        return 0
    found = [j for j in range(3, MAX_WORDS + 1) if words[j].lower().strip(",") in _OPENS_CLAUSE]
    if not found:
        return 0
    cut = found[-1]
    while cut > 3 and words[cut - 1].lower().strip(",") in _OPENS_CLAUSE:
        cut -= 1  # "She told me that when ..." -> "She told me"
    return cut


def band(grade: float | None) -> str | None:
    """Low (4 or less), middle or high (7 or more): the side of the scale a grade is on."""
    if grade is None:
        return None
    return "low" if grade <= 4 else "high" if grade >= 7 else "mid"


def step_grade(step: Step) -> tuple[float | None, bool]:
    """The grade given to a step, else the tagger's predicted grade; and whether predicted."""
    if step.graded is not None:
        return step.graded
    given = step.fields.get("step.grade")
    if given.__class__ in (int, float):
        step.graded = (float(given), False)
        return step.graded
    predicted = [score for kind, _, score in step.tags if kind == "grade"]
    step.graded = (sum(predicted) / len(predicted), True) if predicted else (None, False)
    return step.graded


def majority_band(members: Sequence[Step]) -> str | None:
    """The side of the scale most members' grades are on (None when no grade is known)."""
    counts = Counter(band(step_grade(s)[0]) for s in members)
    counts.pop(None, None)
    # A tie goes the same way whatever order the members come in.
    return min(counts, key=lambda b: (-counts[b], b or "")) if counts else None


def moment_label(
    members: Sequence[Step],
    fallback: str = "",
    said: Sequence[str] | None = None,
    closeness: Sequence[float] | None = None,
    sample: int = 300,
) -> str:
    """What members did, in a few words: a short clause that tells an act (a verb, a
    subject acting), said by members on the majority's side of the scale.

    ``said`` is what each member said (its main clause; default its action) and
    ``closeness`` how close each member is to the moment's centre: the clause shares most
    words with the others, and comes from a member close to the centre. When it tells no
    act ("Original creditor", "Date of inquiry"), ``fallback`` (the moment's role) comes
    before it.
    """
    texts = list(said) if said is not None else [s.action for s in members]
    near: list[float]
    if isinstance(closeness, np.ndarray):
        # Rounded at once: numpy rounds an array's numbers as it rounds each one alone.
        near = np.round(closeness, 6).tolist()
    else:
        near = [round(c, 6) for c in closeness or [0.0] * len(members)]
    side = majority_band(members)
    chosen = [
        i for i, s in enumerate(members) if side is None or band(step_grade(s)[0]) in (side, None)
    ]
    # Nor from a member the tagger heard as positive where most heard negative, or the
    # other way round (what counts where no grade was given or predicted).
    heard = Counter(members[i].sentiment.get("step.action") for i in chosen)
    if heard["negative"] != heard["positive"]:
        against = "positive" if heard["negative"] > heard["positive"] else "negative"
        chosen = [i for i in chosen if members[i].sentiment.get("step.action") != against]
    # Each phrasing once, at its closest: the same candidates whatever the sessions' order,
    # and for a study told twice over.
    closest: dict[str, float] = {}
    for i in chosen or range(len(members)):
        closest[texts[i]] = max(closest.get(texts[i], float("-inf")), near[i])
    pool = sorted(closest, key=lambda t: (normalise(t), t))
    if len(pool) > sample:  # evenly spread, independent of session ids
        pool = pool[:: len(pool) // sample + 1]
    # Closeness as a rank from 0 (farthest) to 1 (closest), so that its scale never matters.
    order = sorted(pool, key=lambda t: (closest[t], t))
    rank = {t: r / max(len(order) - 1, 1) for r, t in enumerate(order)}
    label = central_clause(pool, acts=True, prior=rank if closeness is not None else None)
    if fallback and not tells_act(label):
        # "Background: the account", but "Background: XXXX XXXX" and "Escalate: FTC".
        head = label[:1].lower() if label[1:2].islower() else label[:1]
        return f"{fallback}: {head}{label[1:]}"
    return label


# Words that make a clause tell an act: a subject that acts, a verb or an auxiliary.
_ACTING = frozenset(
    """i we they he she you it nobody someone was were is are am be been had has have did do
    does got get gets go went gone came come comes said says told tell sent send made make
    paid pay took take gave give kept keep left leave found find saw see asked ask called
    call can could would will won't didn't don't doesn't wasn't weren't never please bought
    buy booked book ordered order moved move lost closed opened received wrote write""".split()  # noqa: SIM905
)


def tells_act(clause: str) -> bool:
    """Whether a clause tells something done or happening, not only names a thing."""
    words = re.findall(r"[a-z']+", clause.lower())
    return any(w in _ACTING or (len(w) > 4 and w.endswith(("ed", "ing", "n't"))) for w in words)


# Who can act in a label: the customer, the other party, or a named one ("The bank",
# "Capital One"); a thing ("it", "this", "there") only tells a state.
_ACTOR = frozenset(
    """i we they he she you someone somebody nobody everyone the my our their his her a an
    another one""".split()  # noqa: SIM905
)
_THING_SUBJECT = frozenset("it it's its this that there these those what which".split())  # noqa: SIM905
# Verbs that tell a state, not an act: "I am", "It has been", "I have no".
_BEING = frozenset(
    """am is are was were be been being has have had having 's 're 'm do does did can could
    would will should must may might shall not never no also still just already only""".split()  # noqa: SIM905
)
# Verbs of acts: the past of irregular ones (regular ones end in "-ed"), and the present
# of common ones, taken only right after a pronoun ("I call", "they never answer"), as
# most are nouns too ("a call", "the visit").
_DID = frozenset(
    """got went came said told sent made paid took gave kept left found saw asked called
    bought booked ordered moved lost wrote spoke rang hung put ran brought sold refused
    cancelled closed opened charged received contacted phoned emailed filed applied signed
    visited used tried""".split()  # noqa: SIM905
)
_DO = frozenset(
    """get gets go goes come comes say says tell tells send sends make makes pay pays take
    takes give gives keep keeps leave find see ask asks call calls buy book order move write
    writes speak ring run bring sell refuse refuses cancel close open charge receive contact
    phone email file apply sign visit use try answer answers reply replies""".split()  # noqa: SIM905
)
_IRREGULAR = dict(
    pair.split(":")
    for pair in """got:get went:go came:come said:say told:tell sent:send made:make paid:pay
    took:take gave:give kept:keep left:leave found:find saw:see bought:buy lost:lose
    wrote:write spoke:speak rang:ring hung:hang ran:run brought:bring sold:sell""".split()  # noqa: SIM905
)
# Past participles that mostly describe a thing rather than tell an act ("Alleged account
# number", "the balance associated with"), and verbs that name after "is".
_ADJECTIVAL = frozenset(
    """alleged associated related supposed enclosed attached listed detailed outdated
    limited required concerned continued unverified unauthorized unauthorised""".split()  # noqa: SIM905
)
_NAMING = frozenset("called named known titled".split())  # noqa: SIM905
_PRONOUN = frozenset("i we they he she you someone somebody nobody everyone".split())  # noqa: SIM905
# A span of time or a date told as the event ("It has been over 45 days", "for 3 months").
_TIME = re.compile(
    r"\b(?:\d+|a|one|two|three|four|five|six|several|many|few|over|about)\s+"
    r"(?:\w+\s+)?(?:days?|weeks?|months?|years?|hours?|minutes?)\b|\bago\b|"
    r"\b(?:it|this)\s+(?:has|had)\s+been\b|\b(?:it's|it\s+is)\s+been\b|"
    r"\b(?:days|weeks|months|years|hours)\b|\belapsed\b|\b(?:has|have|had)\s+passed\b",
    re.IGNORECASE,
)
# Opinions, questions and cited rules tell no step of the journey.
_OPINION = re.compile(
    r"\b(?:believe|think|feel|seems?|opinion|obviously|clearly|should|ought|unfair|"
    r"illegal|unlawful|violat\w*|pursuant|section|statute|act\b|law|laws|rights?)\b",
    re.IGNORECASE,
)
_CONTRACTED = {
    "i'm": "i am", "im": "i am", "we're": "we are", "they're": "they are", "he's": "he is",
    "she's": "she is", "you're": "you are", "i've": "i have", "ive": "i have",
    "we've": "we have", "they've": "they have",
}  # fmt: skip
_POINTING = frozenset("this that these those".split())  # noqa: SIM905
_DETERMINER = frozenset("the a an my our their his her your this that these those".split())  # noqa: SIM905
_FORMULA = frozenset("see find note be advised refer".split())  # noqa: SIM905
# What masking left ("Called again ( ) @"), and quotes: someone else's words or a rule's.
_LEFTOVER = re.compile(r"[\[\]{}@%#|<>/\"“”]|''|\(\s*\)")
_QUESTION_WORD = frozenset(
    "how why what who where whom whose when if whether is are do does did can could might".split()  # noqa: SIM905
)


_COPULA = frozenset("am is are was were be been being 'm 're 's".split())  # noqa: SIM905
# Capitalised words that open a clause without naming anyone who acts.
_NO_ACTOR = frozenset(
    """please nothing anything anyone anybody none no yes oh ok okay thanks thank today
    yesterday now here unfortunately hopefully also based regarding concerning according
    given""".split()  # noqa: SIM905
)


def _acts(words: Sequence[str], person: bool = False) -> bool:
    return bool(_act_verb(words, person))


def _act_verb(words: Sequence[str], person: bool = False) -> str:
    """The verb of an act within the four words after a subject ("I have not received",
    "The bank manager refused"), "" if none. With ``person`` (the subject is "I", "they"
    ...) a verb in the present right after it counts ("I never call"), and after "am",
    "was" an act done to them ("I was told"); never how it felt ("I was shocked") or what
    a thing is ("The accounts are paid off", "It is called")."""
    told_state = False
    for i, word in enumerate(words[:4]):
        if word in _ADJECTIVAL or (told_state and (word in _NAMING or not person)):
            continue  # "the alleged debt"
        if word in _DID or (person and word in _DO and all(w in _BEING for w in words[:i])):
            return word
        if word in _COPULA:
            told_state = True
        elif (
            not told_state
            and len(word) > 4
            and word.endswith("ed")
            and (i == 0 or words[i - 1] not in _DETERMINER)  # "a disputed charge"
        ):
            return word
    return ""


def clause_form(clause: str) -> float:
    """How well a clause reads as a step's label, -1 to 1: an actor (the customer, the
    other party, a named one, or none said: "Called the bank") doing something scores 1;
    a state ("I am a victim", "There are"), a fragment from the middle of a sentence, a
    span of time ("It has been over 45 days"), a question, an opinion or a cited rule,
    a clause in capitals score less.
    """
    return clause_act(clause)[0]


@functools.lru_cache(maxsize=65536)
def clause_act(clause: str) -> tuple[float, str]:
    """``clause_form`` and the verb of the act it tells, lightly stemmed ("" if none)."""
    words = re.findall(r"[a-z][a-z']*", clause.lower())
    if not words:
        return (-1.0, "")
    if words[0] in _CONTRACTED:  # "I'm tired" is "I am tired"
        words[:1] = _CONTRACTED[words[0]].split()
    first = words[0]
    second = words[1] if len(words) > 1 else ""
    verb = ""
    if first == "please":  # a request, unless a letter's formula ("Please see", "Please note")
        verb = "" if second in _FORMULA else second
    elif first in _NO_ACTOR:
        pass
    elif first not in _ADJECTIVAL and (first in _DID or (len(first) > 4 and first.endswith("ed"))):
        # The teller acting, unnamed ("Called the bank"); not a letter's formula
        # ("Attached please find", "Attached is").
        verb = "" if second in _COPULA or second in _NO_ACTOR else first
    elif first in _ACTOR or (
        clause[:1].isupper() and first not in STOPWORDS | _NO_ACTOR | _THING_SUBJECT
    ):
        if first in _DETERMINER and _acts([second]):
            return (-0.5, "")  # "The continued to": a name masked out
        verb = _act_verb(words[1:], person=first in _PRONOUN)
    elif first in _POINTING and second not in _BEING | _PRONOUN and not _acts([second]):
        verb = _act_verb(words[2:])  # "This company sent", not "This is"
    elif first in _THING_SUBJECT:
        if not _acts(words[1:]):
            return (_penalised(clause, first, -0.5), "")
    else:  # "claiming that I owe", "is also ...": the middle of a sentence
        return (_penalised(clause, first, -0.5), "")
    score = _penalised(clause, first, 1.0 if verb else 0.0)
    return (score, _verb_stem(verb) if score > 0 else "")


def _verb_stem(verb: str) -> str:
    """One form of a verb for counting: "sent", "sends" -> "send"; "received" -> "receiv"."""
    return _IRREGULAR.get(verb) or _stem(verb).removesuffix("e")


def _penalised(clause: str, first: str, score: float) -> float:
    if first in _QUESTION_WORD or "?" in clause:
        score -= 1.0
    if _TIME.search(clause):
        score -= 1.0
    if _LEFTOVER.search(clause) or clause[:1].isdigit():  # "2018, took off ...": a date cut
        score -= 1.0
    if _OPINION.search(clause):
        score -= 0.5
    letters = [w for w in clause.split() if w[:1].isalpha()]
    if len(letters) >= 3 and sum(w.isupper() and len(w) > 1 for w in letters) * 2 > len(letters):
        score -= 0.5  # shouted or quoted in capitals
    return max(-1.0, min(1.0, score))


_WORD = re.compile(r"[A-Za-z][\w'&.-]*")


def names_in(clause: str) -> set[str]:
    """The words a clause writes with a capital where a sentence would not ("I called
    Equifax", "the PNC Bank branch"): names of parties, places and products."""
    words = _WORD.findall(clause)
    return {
        w.rstrip(".")
        for w in words[1:]
        if w[0].isupper() and w not in _NOT_NAMES and w.lower() not in _COMMON
    }


_NOT_NAMES = frozenset("I I'm I've I'd I'll OK".split())  # noqa: SIM905
_COMMON = STOPWORDS | _ACTING | _DID | _DO  # "Went", "The": capitals of a shout or a typo
_SHOUTED = (_COMMON | {"one", "two", "three", "all", "every", "any"}) - {"i", "a"}


def _own_names(candidates: Sequence[str], said: int | None = None) -> dict[str, set[str]]:
    """Per clause, the names in it that few clauses write, and the common words it shouts
    (``said``: how many clauses were said, when ``candidates`` holds each once).

    A name few clauses write ("I called Equifax" among calls to four agencies) tells what
    one member did, not the moment: a clause without it comes first, and so does one that
    writes the same word in small letters ("on a Sunday", "on a sunday"). A name is a word
    mostly written with a capital inside a clause ("Credit Report" once makes no name), or
    a first word never written in small letters ("Transunion has ..."). A common word in
    capitals ("sent me ONE", "has NOT") is one member's shout.
    """
    written = {c: [w.rstrip(".") for w in _WORD.findall(c)] for c in candidates}
    small = {w for words in written.values() for w in words if w.islower()}
    capital: Counter[str] = Counter()
    for clause, words in written.items():
        found = names_in(clause)
        if words and _starts_a_name(words[0], small):
            found.add(words[0])
        capital.update({w.lower() for w in found})
    written_by = Counter(w for words in written.values() for w in {w.lower() for w in words})
    rare = {
        w
        for w, k in capital.items()
        if written_by[w] < RARE_NAME * (said if said is not None else len(candidates))
        and 2 * k >= written_by[w]
    }
    return {
        clause: ({w.lower() for w in words} & rare)
        | {w for w in words[1:] if w.isupper() and w.lower() in _SHOUTED}
        for clause, words in written.items()
    }


def _starts_a_name(word: str, small: set[str]) -> bool:
    return word[:1].isupper() and word.lower() not in _COMMON and word.lower() not in small


def central_clause(
    texts: Sequence[str], acts: bool = False, prior: dict[str, float] | None = None
) -> str:
    """The short clause that shares most words with the others, preferring ones said often
    (with ``acts``, ones that tell an act over ones that only name a thing; with ``prior``,
    ones from texts that score higher there, 0 to 1)."""
    # Every clause counted as often as it is said, but read once: a large moment says
    # its short steps thousands of times over.
    said: Counter[str] = Counter()
    boost: dict[str, float] = {}
    for text, times in Counter(texts).items():
        for clause in clauses(text):
            said[clause] += times
            if prior is not None:
                boost[clause] = max(boost.get(clause, 0.0), PRIOR * prior.get(text, 0.0))
    if not said:
        first = texts[0] if texts else "step"
        return _capital(" ".join(first.split()[:MAX_WORDS]))
    candidates = [(clause, content_words(clause)) for clause in said]
    weight: Counter[str] = Counter()
    shown: Counter[str] = Counter()
    verbs: Counter[str] = Counter()
    for clause, words in candidates:
        times = said[clause]
        for w in set(words):
            weight[w] += times
        shown[normalise(clause)] += times
        if acts:
            # The act most members tell ("sent", "call"): a clause telling it says what
            # the moment's members did rather than what one of them did.
            verbs[clause_act(clause)[1]] += times
    n = sum(said.values())
    form = {c: clause_act(c)[0] for c, _ in candidates} if acts else {}
    verbs.pop("", None)
    most = max(verbs.values(), default=1)
    names = _own_names(list(said), n) if acts else {}

    def centrality(words: list[str]) -> float:
        """How many other clauses share its words, per word."""
        return sum(weight[w] for w in set(words)) / n / math.sqrt(len(set(words))) if words else 0.0

    # An act earns its bonus only when it shares words with the others about as much as the
    # most central clause does: a clause no one else's words echo ("I only go home to ...")
    # is no label however well it reads.
    gate = CENTRAL_SHARE * max(centrality(words) for _, words in candidates)

    def score(item: tuple[str, list[str]]) -> tuple[float, str]:
        clause, words = item
        if not words:
            return (-1.0, clause)
        central = centrality(words)
        shape = form.get(clause, 0.0)
        if shape > 0 and central >= gate:
            shape += verbs[clause_act(clause)[1]] / most
        bonus = FORM * (shape if shape <= 0 or central >= gate else 0.0) + boost.get(clause, 0.0)
        if names.get(clause):
            bonus -= FORM
        return (central + bonus + 0.05 * min(shown[normalise(clause)], 5) - 0.01 * len(words),
                clause)  # fmt: skip

    return _capital(max(candidates, key=score)[0])


def key_phrases(groups: Sequence[Sequence[str]], n: int = 3) -> list[str]:
    """For each group of texts, the words that set it apart from the other groups (c-TF-IDF)."""
    counts: list[Counter[str]] = []
    surface: dict[str, Counter[str]] = {}
    for texts in groups:
        found: Counter[str] = Counter()
        for text in texts:
            for word in re.findall(r"[a-z][a-z']+", text.lower()):
                if word not in STOPWORDS and len(word) > 2:
                    found[_stem(word)] += 1
                    surface.setdefault(_stem(word), Counter())[word] += 1
        counts.append(found)
    sizes = [max(1, sum(c.values())) for c in counts]
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    average = sum(sizes) / max(1, len(sizes))
    out = []
    for c, size in zip(counts, sizes, strict=True):
        ranked = sorted(
            c,
            key=lambda w: (-(c[w] / size) * math.log(1 + average / total[w]), w),
        )
        out.append(", ".join(surface[w].most_common(1)[0][0] for w in ranked[:n]))
    return out


def _capital(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:])[:80] or "Step"
