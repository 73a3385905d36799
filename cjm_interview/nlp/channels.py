"""Channel (touchpoint) detection by negation-aware keyword rules.

A product that happens to be a phone or a website is not a channel use:
"my phone broke" is not a call. Rules therefore look for the verbs and
phrases of *using* a channel ("called", "on their website", "at the
counter"), and a negation just before the cue ("couldn't find a phone
number", "never got an e-mail") cancels it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that, within a few words before a cue, mean the channel was not used.
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|couldn'?t|could not|can'?t|cannot|didn'?t|did not|"
    r"wouldn'?t|won'?t|wasn'?t|weren'?t|isn'?t|unable to|failed to|no way to|nobody|"
    r"none|lack of|instead of|rather than)\b[^.;,!?]{0,30}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Rule:
    channel: str
    pattern: re.Pattern[str]
    weight: float = 0.9


def _rule(channel: str, words: str, weight: float = 0.9) -> _Rule:
    return _Rule(channel, re.compile(words, re.IGNORECASE), weight)


RULES: tuple[_Rule, ...] = (
    # web
    _rule(
        "web",
        r"\b(?:on|via|through|from|at|using|visited|checked|browsed|searched)\s+"
        r"(?:the\s+|their\s+|its\s+|a\s+|our\s+|my\s+|your\s+)?(?:web\s?site|site|web\s?page|portal)\b",
    ),
    _rule(
        "web",
        r"\b(?:web\s?site|web\s?page|online (?:form|account|portal|banking|booking|chat)?|"
        r"log(?:ged)?\s?in(?:to)?|sign(?:ed)?\s?up online|booked online|ordered online|"
        r"applied online|paid online|online|google[d]?|searched|comparison site|"
        # The internet as the way in, not as the product ("needed internet set up").
        r"(?:on|over|via|through|from|searched|browsed) the internet|"
        r"internet (?:banking|search(?:ed|es)?|page|form|account|site)|"
        r"webform|web form|portal|my account page|browser)\b",
        0.75,
    ),
    # app
    _rule(
        "app",
        r"\b(?:(?:their|the|an?|mobile|banking|bank'?s?|airline'?s?|their own)\s+app|"
        r"app\s+(?:store|notification|update|crashed|froze)|in[- ]app|the app|apps?)\b",
    ),
    # phone
    _rule(
        "phone",
        r"\b(?:call(?:ed|ing|s)?|phon(?:ed|ing)|rang|ring(?:ing)?|dial(?:l?ed|l?ing)?|"
        r"helpline|hotline|call (?:centre|center)|on hold|hold music|held for|"
        r"on the (?:tele)?phone|by (?:tele)?phone|over the phone|phone call|"
        r"customer service line|switchboard|press(?:ed)? \d|automated (?:menu|voice)|ivr|"
        r"call ?back|voicemail)\b",
    ),
    # email
    _rule("email", r"\b(?:e-?mail(?:s|ed|ing)?|inbox|mail ?box|newsletter|confirmation mail)\b"),
    # chat
    _rule(
        "chat",
        r"\b(?:live chat|web ?chat|chat ?bot|bot|chat(?:ted|ting)?|messag(?:ed|ing)|"
        r"texts?|texted|sms|whats ?app|messenger|dm(?:'?d|ed)?|direct message)\b",
    ),
    # social
    _rule(
        "social",
        r"\b(?:twitter|tweet(?:ed)?|facebook|instagram|tiktok|linkedin|reddit|"
        r"social media|trustpilot|review sites?|google reviews?|yelp|tripadvisor|"
        r"posted (?:a )?(?:review|about it)|left a review|forum)\b",
    ),
    # in person
    _rule(
        "in_person",
        r"\b(?:(?:at|in|into|to|from|inside|visited)\s+(?:the|a|their|our|my|your|one of "
        r"their)\s+(?:local\s+)?(?:store|shop|office|centre|center|station)|"
        r"branch|counter|desk|front desk|reception|"
        r"face[- ]to[- ]face|in person|in-person|went (?:in|into|down|to the)|walked in|"
        r"queue[d]?|queuing|gate|check-?in desk|showroom|pharmacy|clinic|surgery|"
        r"waiting room|the staff there|cashier|till)\b",
        0.8,
    ),
    # mail
    _rule(
        "mail",
        r"\b(?:letters?|by post|in the post|through the post|posted (?:it|them|the form|"
        r"the forms|my|a letter|off)|paper form|"
        r"paper form|envelope|mailed|snail mail|leaflet|brochure|postcard|recorded delivery)\b",
        0.85,
    ),
    # field
    _rule(
        "field",
        r"\b(?:engineer|technician|installer|fitter|plumber|electrician|"
        r"home visit|visited (?:me|us|my home|the house)|came (?:round|over|to (?:my|our|the) "
        r"(?:house|home|flat|door))|courier|delivery (?:driver|man|guy)|driver|"
        r"at (?:my|the|our) door|doorstep|on site|site visit|meter reader)\b",
        0.85,
    ),
    # self-service
    _rule(
        "self_service",
        r"\b(?:kiosk|atm|cash machine|cashpoint|ticket machine|"
        r"self[- ]?(?:check[- ]?(?:in|out)|service|scan|checkout)|machine|"
        r"bag drop|parcel locker|locker|vending)\b",
        0.85,
    ),
)

# Mentions of a channel as a product or an object, not its use.
_PRODUCT = re.compile(
    r"\b(?:my|new|a|the|old|broken|cracked|lost|stolen)\s+(?:(?:mobile|smart)\s?)?phone\s+"
    r"(?:screen|broke|died|was (?:broken|stolen|lost|cracked)|contract|bill|battery|case)|"
    r"\b(?:bought|ordered|got|upgraded|replaced|repaired|fixed)\s+(?:a|my|the)\s+(?:new\s+)?"
    r"(?:(?:mobile|smart)\s?)?phone\b|"
    r"\b(?:built|designed|made|launched)\s+(?:me\s+)?(?:a|my|our|the)\s+web\s?site\b",
    re.IGNORECASE,
)


def detect_channels(text: str) -> dict[str, float]:
    """Channel ids used in ``text`` with a confidence in 0..1."""
    found: dict[str, float] = {}
    product_spans = [m.span() for m in _PRODUCT.finditer(text)]
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            start = match.start()
            if any(a <= start < b for a, b in product_spans):
                continue
            before = text[max(0, start - 40) : start]
            if _NEGATION.search(before):
                continue
            score = rule.weight
            found[rule.channel] = max(found.get(rule.channel, 0.0), score)
    return found
