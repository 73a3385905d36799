"""The French reader: sentiment, grade, emotions and channels of French answers, by lexicon.

The sentence encoder and its heads learnt English; a French answer read by
them gets English guesses. French answers are read here instead: a word list
with polarities (service words included: "attente", "injoignable", "rapide"),
negation ("ne … pas", "jamais", "aucun"), intensifiers, and the French
channel cues of ``nlp/channels.py``. No torch.
"""

from __future__ import annotations

import re
import unicodedata

from cjm_interview.nlp.base import TagResult
from cjm_interview.nlp.channels import detect_channels
from cjm_interview.nlp.lexicon import banded

NAME = "lexicon-fr"
VERSION = "1.0"

# Polarity of words and phrases, -3 (very bad) to +3 (very good); stems end in "*".
# fmt: off
_POLARITY: dict[str, float] = {
    # good
    "bien": 1.5, "bon": 1.5, "bonne": 1.5, "bons": 1.5, "bonnes": 1.5, "super": 2.5,
    "génial*": 3, "excellent*": 3, "parfait*": 3, "top": 2.5, "impeccable*": 2.5, "merci": 1.5,
    "remercie*": 1.5, "ravi*": 2.5, "content*": 2, "satisfait*": 2, "agréable*": 2,
    "aimable*": 2, "gentil*": 2, "sympa*": 2, "chaleureu*": 2, "efficace*": 2, "rapide*": 1.5,
    "rapidement": 1.5, "vite": 1, "facile*": 1.5, "facilement": 1.5, "simple*": 1,
    "simplement": 1, "clair*": 1, "clairement": 1, "professionnel*": 1.5, "compétent*": 1.5,
    "serviable*": 2, "patient*": 1.5, "à l'écoute": 2, "réactif*": 2, "fluide*": 1.5,
    "pratique*": 1, "utile*": 1, "recommande*": 2, "bravo": 2.5, "formidable*": 3,
    "magnifique*": 3, "adoré": 2.5, "aime": 1.5, "aimé": 1.5, "apprécié*": 2, "plaisir": 2,
    "heureu*": 2, "soulag*": 1.5, "rassur*": 1.5, "résolu*": 1.5, "réglé*": 1.5,
    "fonctionne": 1, "marche bien": 1.5, "sans problème": 2, "sans souci": 2, "nickel": 2.5,
    "pas de souci": 1.5, "aucun problème": 2, "en un rien de temps": 2, "enfin": 0.5,
    "agréablement surpris*": 2.5, "confiance": 1.5, "fiable*": 1.5, "correct*": 0.5,
    "réparé*": 1.5, "à l'heure": 1.5, "propre*": 1, "rien de particulier": 0.5,
    # bad
    "mal": -1.5, "mauvais*": -2, "nul": -2.5, "nulle*": -2.5, "nuls": -2.5, "horrible*": -3,
    "catastroph*": -3, "lamentable*": -3, "déplorable*": -3, "inadmissible*": -3,
    "inacceptable*": -3, "scandal*": -3, "honte*": -3, "honteu*": -3, "déçu*": -2,
    "décevant*": -2, "déception*": -2, "dommage": -1, "regrett*": -1.5, "problème*": -1.5,
    "souci*": -1, "erreur*": -1.5, "panne*": -1.5, "bug*": -1.5, "bloqué*": -1.5,
    "impossible*": -2, "difficile*": -1.5, "compliqué*": -1.5, "lent*": -1.5, "lentement": -1.5,
    "long": -1, "longue*": -1, "longtemps": -1.5, "attente": -1, "attendu": -1,
    "attendre": -0.5, "attends": -1, "retard*": -1.5, "injoignable*": -2.5,
    "personne ne répond": -2.5, "aucune réponse": -2.5, "pas de réponse": -2.5,
    "sans réponse": -2, "jamais reçu": -2, "toujours pas": -2, "toujours rien": -2,
    "perdu*": -1.5, "annulé*": -1, "facturé deux fois": -2.5, "trop cher": -1.5, "cher": -0.5,
    "arnaque*": -3, "escroc*": -3, "vol": -2, "énerv*": -2, "agaç*": -2, "agac*": -2,
    "frustr*": -2, "furieu*": -3, "colère": -2.5, "inquiet*": -1.5, "inquiète*": -1.5,
    "stress*": -1.5, "angoiss*": -2, "peur": -1.5, "perte de temps": -2.5, "galère": -2,
    "galéré": -2, "pénible*": -2, "marre": -2.5, "ras-le-bol": -2.5, "pas terrible": -1.5,
    "désagréable*": -2, "impoli*": -2.5, "méprisant*": -2.5, "incompétent*": -2.5,
    "incompréhensible*": -2, "confus*": -1, "pire": -2.5, "jamais": -0.5, "rien": -0.5,
    "plant*": -1.5, "déconnect*": -1, "sans arrêt": -1, "trop de temps": -2,
    "file d'attente": -1, "relance*": -1, "à côté de la question": -2, "pas du tout comme": -2,
    "plainte*": -1.5, "réclamation*": -1, "raccroch*": -1.5, "promené*": -1.5, "baladé*": -1.5,
    "relancer": -1, "relancé*": -1, "sans plus": -0.7,
}
# fmt: on
_INTENSIFIERS = {"très", "vraiment", "trop", "tellement", "super", "hyper", "extrêmement", "si"}
_NEGATORS = {"pas", "jamais", "aucun", "aucune", "plus", "guère", "sans", "ni", "rien"}
_TOKEN = re.compile(r"[\wàâäçéèêëîïôöùûüÿœ'-]+|[!?]", re.IGNORECASE)

EMOTION_WORDS_FR: dict[str, str] = {
    "frustration": r"frustr\w*|énerv\w*|agaç\w*|agac\w*|marre|ras-le-bol|pénible\w*|galèr\w*|"
    r"perte de temps|encore une fois|tourne en rond|relanc\w*",
    "anxiety": r"inqui[eè]t\w*|stress\w*|angoiss\w*|peur|anxi\w*|nerveu\w*|pas sûre? (?:de|que)",
    "confusion": r"confus\w*|perdue?|pas compris|rien compris|incompréhensible\w*|compliqué\w*|"
    r"ne savai[st] pas|flou\w*",
    "disappointment": r"déçue?s?|décevant\w*|déception|dommage|m'attendais à mieux",
    "anger": r"furieu\w*|colère|scandal\w*|inadmissible\w*|inacceptable\w*|honte\w*|honteu\w*|"
    r"outré\w*|arnaque\w*|impoli\w*|méprisant\w*",
    # "Enfin" alone tells a step came late ("je suis enfin allé à l'agence") or is a
    # filler ("enfin bref"): it counts when something came right, or as the cry itself.
    "relief": r"soulag\w*|ouf|heureusement|enfin(?=\s?!)|(?:^|(?<=[.!?] ))enfin(?=\W*$)|"
    r"enfin (?:[\w'-]+ ){0,3}?(?:réglé\w*|résolu\w*|reçu\w*|rembours\w*|arrivé\w*|"
    r"répondu|fonctionn\w*|march\w*|livré\w*|réparé\w*|débloqué\w*|rétabli\w*|compris|"
    r"eu (?:une réponse|quelqu'un)|fini|terminé)",
    "delight": r"ravie?s?|génial\w*|super|excellent\w*|parfait\w*|formidable\w*|"
    r"agréablement surpris\w*|enchanté\w*|bravo",
    "trust": r"confiance|rassur\w*|fiable\w*|sérieu\w*|entre de bonnes mains",
}
_EMOTIONS = {k: re.compile(rf"\b(?:{v})\b", re.IGNORECASE) for k, v in EMOTION_WORDS_FR.items()}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("’", "'")).lower()


def _phrase_patterns() -> list[tuple[re.Pattern[str], float]]:
    out = []
    for phrase, value in _POLARITY.items():
        body = re.escape(phrase.rstrip("*")) + (r"\w*" if phrase.endswith("*") else "")
        out.append((re.compile(rf"(?<![\w'])(?:{body})(?![\w])"), value))
    return out


_PHRASES = _phrase_patterns()


def french_compound(text: str) -> float:
    """A polarity in -1..1 for a French text (VADER's scale)."""
    folded = _fold(text)
    total = 0.0
    for pattern, value in _PHRASES:
        for match in pattern.finditer(folded):
            before = _TOKEN.findall(folded[max(0, match.start() - 40) : match.start()])[-4:]
            weight = value
            if any(w in _INTENSIFIERS for w in before[-2:]):
                weight *= 1.4
            # "pas bien", "n'est pas rapide", "jamais content": the word is turned round.
            # A phrase that holds its own negation ("jamais reçu") is not turned again.
            own = any(w in _NEGATORS or w == "personne" for w in _TOKEN.findall(match.group(0)))
            negated = not own and (
                any(w in _NEGATORS for w in before)
                or re.search(
                    r"\bn'?e?\s*\w*\s*$", folded[max(0, match.start() - 12) : match.start()]
                )
            )
            if negated and value > 0 and "jamais" not in match.group(0):
                weight = -0.7 * value
            elif negated and value < -1 and not re.search(r"\bpas de\b|\bsans\b", " ".join(before)):
                weight = -0.3 * value
            total += weight
    total += 0.4 * folded.count("!") * (1 if total >= 0 else -1) if total else 0.0
    return max(-1.0, min(1.0, total / (abs(total) + 4.0) * 1.6))


def tag_french(text: str) -> TagResult:
    """Tag one French answer."""
    compound = french_compound(text)
    emotions = {e: 0.7 for e, pattern in _EMOTIONS.items() if pattern.search(text)}
    sentiment, probs, grade = banded(compound)
    return TagResult(
        sentiment=sentiment,
        sentiment_scores=probs,
        grade=grade,
        touchpoints=detect_channels(text, "fr"),
        emotions=emotions,
        model=NAME,
        version=VERSION,
        extra={"language": "fr"},
    )
