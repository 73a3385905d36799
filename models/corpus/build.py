"""Build the labelled training corpus of interview answers (models/corpus/generated.jsonl).

Answers are composed from hand-written fragments: what the person did (per
industry), how (channel phrases, including product mentions and negated
channels that are *not* a channel use), and how it went (feelings with their
sentiment, grade range and emotions), in the shapes people really answer in:
short and long, typos, lowercase, sarcasm, negation, mixed feelings, staff
describing customers. Hand-written answers in ``handwritten.jsonl`` sit beside
it. Deterministic: ``python models/corpus/build.py`` rewrites the same file.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = 3000

ACTIONS: dict[str, list[str]] = {
    "banking": [
        "opened a current account",
        "asked about a mortgage",
        "reported my card stolen",
        "disputed a payment",
        "applied for a loan",
        "changed my address on the account",
        "set up a standing order",
        "tried to unblock my card",
        "asked for a statement",
    ],
    "telecom": [
        "switched broadband provider",
        "reported an outage",
        "upgraded my contract",
        "cancelled my old contract",
        "asked why my bill went up",
        "ported my number",
        "booked the installation",
        "complained about slow internet",
    ],
    "retail": [
        "returned a jacket that didn't fit",
        "ordered a sofa",
        "asked for a refund",
        "tracked my parcel",
        "exchanged a faulty kettle",
        "picked up my click and collect",
        "complained about a missing item",
        "used a voucher",
    ],
    "travel": [
        "booked the flights",
        "changed my booking",
        "checked in",
        "asked about lost luggage",
        "claimed compensation for the delay",
        "got rebooked after the cancellation",
        "dropped off the rental car",
        "checked into the hotel",
    ],
    "public_services": [
        "applied for a parking permit",
        "renewed my passport",
        "registered the birth",
        "applied for housing benefit",
        "reported a pothole",
        "paid council tax",
        "booked a driving test",
        "applied for a school place",
    ],
    "health": [
        "booked a GP appointment",
        "got my test results",
        "collected a prescription",
        "asked for a referral",
        "went for a blood test",
        "rescheduled the scan",
        "registered with a new dentist",
        "asked about my insurance claim",
    ],
    "utilities": [
        "submitted a meter reading",
        "set up the energy account after moving",
        "reported a water leak",
        "asked about a high gas bill",
        "switched tariff",
        "got a smart meter fitted",
    ],
    "insurance": [
        "made a claim after the burst pipe",
        "asked for a quote",
        "renewed the policy",
        "chased the claim payment",
        "added my son to the car insurance",
    ],
}

# (phrase, channels). A phrase may mention a device or a channel without using it.
CHANNEL_PHRASES: list[tuple[str, list[str]]] = [
    ("on their website", ["web"]),
    ("through the online form", ["web"]),
    ("by logging into my online account", ["web"]),
    ("on the portal", ["web"]),
    ("online", ["web"]),
    ("on the site", ["web"]),
    ("in the app", ["app"]),
    ("using their mobile app", ["app"]),
    ("through the app", ["app"]),
    ("by calling the helpline", ["phone"]),
    ("over the phone", ["phone"]),
    ("by ringing customer services", ["phone"]),
    ("on the phone with an agent", ["phone"]),
    ("after calling the number on the letter", ["phone", "mail"]),
    ("by email", ["email"]),
    ("by sending them an email", ["email"]),
    ("on the live chat", ["chat"]),
    ("with the chatbot", ["chat"]),
    ("by WhatsApp", ["chat"]),
    ("after a text message from them", ["chat"]),
    ("by messaging them on twitter", ["social"]),
    ("after reading reviews on trustpilot", ["social"]),
    ("by posting on their facebook page", ["social"]),
    ("at the branch", ["in_person"]),
    ("in the store", ["in_person"]),
    ("at the counter", ["in_person"]),
    ("at the front desk", ["in_person"]),
    ("face to face at the office", ["in_person"]),
    ("at reception", ["in_person"]),
    ("by post", ["mail"]),
    ("on a paper form I posted", ["mail"]),
    ("with a letter", ["mail"]),
    ("when the engineer came round", ["field"]),
    ("when a technician visited", ["field"]),
    ("with the courier at the door", ["field"]),
    ("at the self-service kiosk", ["self_service"]),
    ("at the ticket machine", ["self_service"]),
    ("at the self check-in machine", ["self_service"]),
    ("at the ATM", ["self_service"]),
    ("online and then by phone", ["web", "phone"]),
    ("in the app, then at the branch", ["app", "in_person"]),
    ("by email and by post", ["email", "mail"]),
    ("", []),
    ("", []),
    ("", []),
    ("", []),
]

# Channel words that are not channel use: products, negations, wishes.
NOT_CHANNELS: list[str] = [
    "my phone was broken at the time",
    "I dropped my phone the week before",
    "I bought a new phone for it",
    "I couldn't find a phone number anywhere",
    "there was no email address to write to",
    "they have no branch near me any more",
    "I never got the letter they mention",
    "I wish they had a live chat",
    "my laptop was in for repair",
    "their website builder is a product I use for work",
    "I didn't want to use the app",
    "nobody was at the desk",
]

# (feeling phrase, sentiment, grade range, emotions)
FEELINGS: list[tuple[str, str, tuple[int, int], list[str]]] = [
    ("it was quick and easy", "positive", (8, 10), []),
    ("honestly it was brilliant", "positive", (9, 10), ["delight"]),
    ("the lady was really helpful and kind", "positive", (8, 10), ["trust"]),
    ("it was sorted the same day, what a relief", "positive", (8, 10), ["relief"]),
    ("I was pleasantly surprised how smooth it was", "positive", (8, 10), ["delight"]),
    ("they kept me updated the whole way, I felt in good hands", "positive", (8, 10), ["trust"]),
    ("no complaints at all", "positive", (7, 9), []),
    ("not bad at all actually", "positive", (7, 8), []),
    ("couldn't fault it", "positive", (8, 10), []),
    ("way better than I expected", "positive", (8, 10), ["delight"]),
    ("finally it worked, I was so relieved", "positive", (7, 9), ["relief"]),
    ("fair enough, it did the job", "positive", (6, 8), []),
    ("it was fine", "neutral", (5, 7), []),
    ("nothing special, it was ok", "neutral", (5, 6), []),
    ("it was what I expected", "neutral", (5, 7), []),
    ("it took about ten minutes", "neutral", (5, 7), []),
    ("they said it would take five working days", "neutral", (5, 6), []),
    ("I gave them my reference number", "neutral", (5, 7), []),
    ("I filled in my details and sent it", "neutral", (5, 7), []),
    ("I just needed the form", "neutral", (5, 6), []),
    ("the agent transferred me to the right team", "neutral", (5, 7), []),
    ("that's when they told me about the next step", "neutral", (5, 6), []),
    ("I had to wait on hold for forty minutes", "negative", (1, 4), ["frustration"]),
    ("nobody called me back", "negative", (0, 3), ["frustration", "disappointment"]),
    ("I was so worried I'd lose the money", "negative", (2, 4), ["anxiety"]),
    ("I had no idea what to do next, it was so confusing", "negative", (2, 4), ["confusion"]),
    ("I was absolutely furious, it's a disgrace", "negative", (0, 2), ["anger"]),
    ("I expected better, to be honest", "negative", (3, 5), ["disappointment"]),
    (
        "they lost my documents and I had to start again",
        "negative",
        (0, 3),
        ["frustration", "anger"],
    ),
    ("the form kept crashing", "negative", (1, 4), ["frustration"]),
    ("I had to explain everything three times", "negative", (1, 3), ["frustration"]),
    ("it was stressful not knowing if it went through", "negative", (2, 4), ["anxiety"]),
    ("they were rude and didn't listen", "negative", (0, 2), ["anger"]),
    ("it took weeks and I'm still waiting", "negative", (0, 3), ["frustration"]),
    ("the letter used so much jargon I didn't understand it", "negative", (2, 4), ["confusion"]),
    ("I was let down, they promised a callback", "negative", (2, 4), ["disappointment"]),
]

SARCASM = [
    (
        "oh great, another {n} minutes on hold, just what I needed",
        "negative",
        (0, 2),
        ["frustration"],
    ),
    (
        "brilliant, they lost it again. love that for me",
        "negative",
        (0, 2),
        ["frustration", "anger"],
    ),
    (
        "wonderful service, if you enjoy being passed around five departments",
        "negative",
        (0, 2),
        ["frustration"],
    ),
    ("thanks a lot for cancelling the day before, really helpful", "negative", (0, 2), ["anger"]),
    ("perfect, the app crashed right at the payment step", "negative", (1, 3), ["frustration"]),
    ("yeah fantastic, three weeks for a letter", "negative", (1, 3), ["frustration"]),
]

MIXED = [
    ("the staff were lovely but the wait was ridiculous", "negative", (3, 5), ["frustration"]),
    (
        "the website was confusing but the person on the phone sorted it",
        "positive",
        (6, 8),
        ["relief"],
    ),
    ("it took ages, but in the end they got it right", "positive", (5, 7), ["relief"]),
    ("nice people, shame about the system", "negative", (4, 5), ["disappointment"]),
    ("it worked, although I had to chase them twice", "neutral", (4, 6), ["frustration"]),
    ("fast delivery but the box was damaged", "negative", (4, 5), ["disappointment"]),
]

STAFF = [
    ("customers usually {feel} when they {act}", None),
    ("from our side, people {feel} at this point because the system {sys}", None),
    ("most customers come to us {chan} and {feel}", None),
]
STAFF_FEEL = [
    ("are relieved", "positive", (7, 9), ["relief"]),
    ("are happy", "positive", (7, 9), []),
    ("get frustrated", "negative", (2, 4), ["frustration"]),
    ("are confused", "negative", (3, 4), ["confusion"]),
    ("are anxious", "negative", (2, 4), ["anxiety"]),
    ("are fine", "neutral", (5, 7), []),
    ("just want it done", "neutral", (5, 6), []),
    ("get angry", "negative", (0, 2), ["anger"]),
]
STAFF_SYS = [
    "is slow",
    "needs three logins",
    "doesn't show the history",
    "works well",
    "is down a lot",
    "sends them a letter automatically",
]

# Feelings that name a channel they used, labelled as such.
IMPLIED_CHANNELS = {
    "on hold": ["phone"],
    "the letter used": ["mail"],
    "the app crashed": ["app"],
    "three weeks for a letter": ["mail"],
    "the website was confusing": ["web", "phone"],
    "the agent transferred": ["phone"],
}

OPENERS = ["", "", "", "um, ", "so ", "well ", "honestly ", "i mean ", "ok so ", "right, "]
TYPOS = {
    "received": "recieved",
    "definitely": "definately",
    "their": "thier",
    "because": "becuase",
    "wasn't": "wasnt",
    "couldn't": "couldnt",
    "didn't": "didnt",
    "I'm": "im",
    "really": "rly",
    "minutes": "mins",
    "though": "tho",
    "to be honest": "tbh",
    "with": "w/",
}


def _noisy(text: str, rng: random.Random) -> tuple[str, list[str]]:
    styles = []
    if rng.random() < 0.25:
        for word, typo in TYPOS.items():
            if word in text and rng.random() < 0.6:
                text = text.replace(word, typo)
        styles.append("typo")
    if rng.random() < 0.3:
        text = text.lower()
        styles.append("lowercase")
    if rng.random() < 0.15:
        text = text.rstrip(".") + rng.choice([" :(", " :)", " lol", "!!", " 🙄", " 👍", "..."])
        styles.append("emoji")
    return text, styles


def _example(rng: random.Random) -> dict[str, object]:
    industry = rng.choice(sorted(ACTIONS))
    action = rng.choice(ACTIONS[industry])
    roll = rng.random()
    styles: list[str] = []
    touchpoints: list[str] = []
    if roll < 0.08:
        feeling, sentiment, grades, emotions = rng.choice(SARCASM)
        feeling = feeling.replace("{n}", str(rng.choice([20, 40, 45, 90])))
        text = feeling
        styles.append("sarcasm")
        question = "step.feelings"
    elif roll < 0.16:
        feeling, sentiment, grades, emotions = rng.choice(MIXED)
        phrase, touchpoints = rng.choice(CHANNEL_PHRASES)
        text = f"I {action} {phrase}; {feeling}".replace("  ", " ")
        styles.append("mixed")
        question = "step.feelings"
    elif roll < 0.24:
        template = rng.choice(STAFF)[0]
        feel, sentiment, grades, emotions = rng.choice(STAFF_FEEL)
        phrase, touchpoints = rng.choice(CHANNEL_PHRASES)
        text = template.format(
            feel=feel,
            act=action.replace("my ", "their "),
            sys=rng.choice(STAFF_SYS),
            chan=phrase or "first",
        )
        if "{chan}" not in template:
            touchpoints = []
        styles.append("staff")
        question = "staff.customer_feelings"
    elif roll < 0.34:
        # Only the feeling, as people answer "how did you feel?"
        feeling, sentiment, grades, emotions = rng.choice(FEELINGS)
        text = feeling[0].upper() + feeling[1:]
        question = "step.feelings"
        styles.append("short")
    elif roll < 0.44:
        # A product or a negated channel: no channel use unless a real one is added.
        aside = rng.choice(NOT_CHANNELS)
        phrase, touchpoints = rng.choice(CHANNEL_PHRASES)
        feeling, sentiment, grades, emotions = rng.choice(FEELINGS)
        text = f"I {action} {phrase}, {aside}, and {feeling}".replace("  ", " ").replace(" ,", ",")
        styles.append("negation")
        question = "step.action"
    else:
        phrase, touchpoints = rng.choice(CHANNEL_PHRASES)
        feeling, sentiment, grades, emotions = rng.choice(FEELINGS)
        if rng.random() < 0.35:
            # A plain factual step: neutral whatever came later.
            text = f"I {action} {phrase}".strip()
            sentiment, grades, emotions = "neutral", (5, 7), []
            question = "step.action"
        else:
            joiner = rng.choice([". ", ", ", " and ", " - "])
            text = f"I {action} {phrase}{joiner}{feeling}".replace("  ", " ")
            question = "step.action"
    for cue, channels in IMPLIED_CHANNELS.items():
        if cue in text:
            touchpoints = [*touchpoints, *channels]
    opener = rng.choice(OPENERS)
    text = (opener + text).strip()
    text = text[0].upper() + text[1:] if not opener else text
    text, noise = _noisy(text, rng)
    styles += noise
    grade = rng.randint(*grades)
    return {
        "text": text,
        "sentiment": sentiment,
        "grade": grade,
        "touchpoints": sorted(set(touchpoints)),
        "emotions": sorted(set(emotions)),
        "industry": industry,
        "question": question,
        "style": sorted(set(styles)),
    }


def build(size: int = SIZE, seed: int = 20261122) -> list[dict[str, object]]:
    """The generated examples, unique by text."""
    rng = random.Random(seed)
    seen: set[str] = set()
    examples = []
    while len(examples) < size:
        example = _example(rng)
        key = re.sub(r"\W+", " ", str(example["text"]).lower())
        if key in seen:
            continue
        seen.add(key)
        examples.append(example)
    return examples


if __name__ == "__main__":
    out = HERE / "generated.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for example in build():
            handle.write(json.dumps(example, ensure_ascii=False) + "\n")
    print(f"wrote {out}")
