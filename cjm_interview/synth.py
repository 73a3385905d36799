"""Synthetic studies with a known truth, for tests and benchmarks.

A canonical journey of step types, each said in several ways; every
generated interview walks an ordered subset of them with grades drawn around
a known mean. Staff interviews grade the same steps with a known offset, so
the perspective gap the map finds can be checked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

# (key, phrasings, channels, customer mean grade, staff offset)
STEP_TYPES: list[tuple[str, list[str], list[str], float, float]] = [
    (
        "search",
        [
            "Searched online for the best deal",
            "Googled providers and compared prices",
            "Looked at comparison websites",
            "Read reviews online before choosing",
        ],
        ["web"],
        6.5,
        0.5,
    ),
    (
        "ask_friends",
        [
            "Asked friends which one they use",
            "My sister recommended them",
            "Talked to colleagues about it",
        ],
        [],
        7.5,
        0.0,
    ),
    (
        "apply",
        [
            "Filled in the application form on their website",
            "Applied online with the web form",
            "Completed the online sign-up form",
            "Did the application on the website",
        ],
        ["web"],
        6.0,
        1.0,
    ),
    (
        "call",
        [
            "Called the helpline to check the status",
            "Phoned customer service",
            "Rang the call centre and waited on hold",
            "Called them to ask what was happening",
        ],
        ["phone"],
        2.5,
        4.0,
    ),
    (
        "documents",
        [
            "Sent my documents by post",
            "Posted the paper forms with my ID",
            "Mailed copies of my payslips",
        ],
        ["mail"],
        4.0,
        2.0,
    ),
    (
        "visit",
        [
            "Went to the branch with my passport",
            "Visited the office in person",
            "Queued at the counter in the branch",
        ],
        ["in_person"],
        5.0,
        1.0,
    ),
    (
        "install",
        [
            "The engineer came to install it",
            "A technician visited my home",
            "Installation visit at the house",
        ],
        ["field"],
        8.0,
        -0.5,
    ),
    (
        "confirm",
        [
            "Got a confirmation email",
            "Received an email saying it was done",
            "They emailed me the confirmation",
        ],
        ["email"],
        7.0,
        0.0,
    ),
    (
        "app",
        [
            "Set up the mobile app",
            "Logged into the app for the first time",
            "Downloaded their app to manage it",
        ],
        ["app"],
        6.5,
        0.5,
    ),
    (
        "complain",
        ["Complained on social media", "Posted a complaint on twitter", "Left a bad review online"],
        ["social"],
        1.5,
        3.0,
    ),
    (
        "chat",
        ["Used the live chat", "Asked the chatbot a question", "Messaged them on the web chat"],
        ["chat"],
        4.5,
        1.5,
    ),
    (
        "pay",
        ["Paid the first bill", "Made the first payment", "Set up the direct debit"],
        [],
        6.0,
        0.0,
    ),
]
# The stage of the bundled scripts (``stages:`` of prompts/customer.yaml) each step type is in.
STEP_STAGES = {
    "search": "discover",
    "ask_friends": "discover",
    "apply": "sign_up",
    "documents": "sign_up",
    "visit": "sign_up",
    "confirm": "sign_up",
    "install": "get_going",
    "app": "get_going",
    "call": "get_help",
    "chat": "get_help",
    "complain": "get_help",
    "pay": "pay",
}
FEELINGS = {
    "low": [
        "Really frustrated, nobody helped",
        "Annoyed and worried it would never work",
        "Angry, it was a waste of my time",
    ],
    "mid": ["It was okay, nothing special", "Fine, a bit slow", "Neutral really"],
    "high": [
        "Happy, it was quick and easy",
        "Relieved it was sorted",
        "Pleased, the staff were great",
    ],
}


LEAD_INS = ["", "", "", "", "Then ", "After that ", "So ", "Next ", "Eventually ", "First of all "]
DETAILS = [
    "",
    "",
    "",
    "",
    "",
    "",
    " last week",
    " on a Sunday evening",
    " which took ages",
    " because I had no choice",
    ", twice actually",
    " and it was fine",
    " from my phone",
]


def say(phrase: str, rng: random.Random) -> str:
    """A phrasing as people type it: lead-ins, extra detail, lower case, the odd typo."""
    lead = rng.choice(LEAD_INS)
    text = lead + (phrase[:1].lower() + phrase[1:] if lead else phrase) + rng.choice(DETAILS)
    if rng.random() < 0.15:
        words = text.split()
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        text = " ".join(words)
    if rng.random() < 0.2:
        text = text.lower()
    return text


@dataclass(frozen=True)
class Study:
    """Interviews in the import format, and the true step type of each step told."""

    interviews: list[dict[str, Any]]
    truth: dict[tuple[int, int], str]  # (interview index, step position) -> step type
    staff_offset: dict[str, float]


def _feeling(grade: int, rng: random.Random) -> str:
    band = "low" if grade <= 4 else "mid" if grade <= 6 else "high"
    return rng.choice(FEELINGS[band])


def generate(
    customers: int,
    staff: int = 0,
    steps: int = 6,
    seed: int = 1,
    segments: tuple[str, ...] = ("new", "returning"),
    vary: bool = True,
) -> Study:
    """A study: ``customers`` customer and ``staff`` staff interviews of about ``steps`` steps.

    With ``vary``, each step is said the way people type (``say``): the
    aligner has to see through lead-ins, added detail, case and typos.
    """
    rng = random.Random(seed)
    interviews: list[dict[str, Any]] = []
    truth: dict[tuple[int, int], str] = {}
    for index in range(customers + staff):
        is_staff = index >= customers
        count = max(2, min(len(STEP_TYPES), steps + rng.randint(-1, 1)))
        chosen = sorted(rng.sample(range(len(STEP_TYPES)), count))
        told = []
        for position, type_index in enumerate(chosen):
            key, phrasings, channels, mean, offset = STEP_TYPES[type_index]
            centre = mean + (offset if is_staff else 0.0)
            grade = max(0, min(10, round(rng.gauss(centre, 1.0))))
            truth[(index, position)] = key
            phrase = rng.choice(phrasings)
            step: dict[str, Any] = {"action": say(phrase, rng) if vary else phrase, "grade": grade}
            if is_staff:
                step["customer_grade"] = step.pop("grade")
                step["customer_feelings"] = _feeling(grade, rng)
                step["backstage"] = rng.choice(
                    ["Back office team", "The IT system", "Partner company"]
                )
                step["front_stage"] = rng.choice(["Call centre agent", "Branch adviser", "Nobody"])
            else:
                step["feelings"] = _feeling(grade, rng)
                step["actor"] = rng.choice(
                    ["Nobody, just me", "An agent", "The adviser", "The website"]
                )
                step["moment_of_truth"] = grade <= 2 or grade >= 9
                if grade <= 6:
                    step["step_improvement"] = rng.choice(
                        [
                            "Answer the phone faster",
                            "Make the form simpler",
                            "Tell me what happens next",
                        ]
                    )
            if channels:
                step["channels"] = channels
            told.append(step)
        if is_staff:
            answers: dict[str, Any] = {
                "consent": True,
                "role": "Front-line adviser",
                "customer_outcome": "Get connected",
                "steps": told,
                "overall_grade": rng.randint(4, 8),
            }
        else:
            answers = {
                "consent": True,
                "service": "Getting broadband at a new flat",
                "outcome": "Internet that works from day one",
                "steps": told,
                "overall_grade": rng.randint(2, 9),
                "improvement": rng.choice(
                    ["Faster phone support", "Clearer letters", "An app that works"]
                ),
            }
        interviews.append(
            {
                "session": {
                    "participant": f"{'S' if is_staff else 'P'}{index:05d}",
                    "perspective": "staff" if is_staff else "customer",
                    "segment": rng.choice(segments),
                },
                "answers": answers,
            }
        )
    return Study(interviews, truth, {k: off for k, _, _, _, off in STEP_TYPES})


def grouping_quality(
    predicted: dict[tuple[int, int], str], truth: dict[tuple[int, int], str]
) -> dict[str, float]:
    """Purity (each group holds one true step type) and recall (each type lands in one group)."""
    from collections import Counter, defaultdict

    groups: dict[str, Counter[str]] = defaultdict(Counter)
    types: dict[str, Counter[str]] = defaultdict(Counter)
    for key, group in predicted.items():
        groups[group][truth[key]] += 1
        types[truth[key]][group] += 1
    total = sum(sum(c.values()) for c in groups.values()) or 1
    purity = sum(c.most_common(1)[0][1] for c in groups.values()) / total
    recall = sum(c.most_common(1)[0][1] for c in types.values()) / total
    return {
        "purity": round(purity, 3),
        "recall": round(recall, 3),
        "groups": len(groups),
        "true_types": len(types),
    }
