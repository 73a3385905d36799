"""Channel (touchpoint) detection by cue rules that read each sentence in context.

A channel counts only when the text shows it was used, tried, or that
something came through it (``../shared/benchmarks/complaints/README.md`` sets
the conventions). A cue is a phrase of *using* a channel ("called", "on their
website", "sent me a letter", "at the branch"); each is checked against what
cancels it in its sentence:

- negation just before it ("never received a letter", "no one called");
- a channel only offered, asked for, promised or hypothetical ("told me to
  call", "you can apply online", "they will email me", "if I had called");
- a use nearly made or only asked about ("I almost requested a refund by
  phone", "have you called them?");
- a third party's channel (the police, a court, a regulator, a scammer);
- the text itself ("this letter", "the attached letter");
- a product or an object that shares a word ("my phone broke", "their phone
  number", "email address", "the transfer is on hold").

Cues carry a strength: strong ones (0.9) settle the channel alone, medium ones
(0.7) count alone too, weak ones (0.4, a bare "letter" or "website") are
reported for the model to weigh (``nlp/longtext.py``) but do not count on
their own. English and French cues are kept apart: in French "mail" is an e-mail.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from cjm_interview.nlp.sentences import split_sentences

STRONG, MEDIUM, WEAK = 0.9, 0.7, 0.4
# A channel counts on the rules alone from this strength.
RULE_THRESHOLD = 0.6


@dataclass(frozen=True)
class Cue:
    """One phrase of a text that names a channel, and whether its context cancels it."""

    channel: str
    start: int
    end: int
    strength: float
    blocked: str | None = None  # "negated", "hypothetical", "third_party", "self", "object"
    sentence: int = 0


@dataclass(frozen=True)
class _Rule:
    channel: str
    pattern: re.Pattern[str]
    strength: float


def _r(channel: str, words: str, strength: float) -> _Rule:
    return _Rule(channel, re.compile(words, re.IGNORECASE), strength)


_ART = r"(?:the|a|an|their|its|his|her|our|my|your|one of (?:their|the|its)|[A-Z][\w&.']*(?:'s)?)"

RULES_EN: tuple[_Rule, ...] = (
    # ---------------------------------------------------------------- phone
    _r(
        "phone",
        r"\b(?:tele)?phon(?:ed|ing)\b|\brang\b|\b(?:phone|ring)(?:ing|s)? (?:them|him|her|back|"
        r"up|round|around|again|customer|the|their|a|my)\b|\bput through to\b|"
        r"\b(?:on|over|by|via|through) (?:the |a )?(?:tele)?phone\b|"
        r"\b(?:tele)?phone (?:calls?|conversations?|lines?|reps?|representatives?|agents?|"
        r"system|menu|payments?|support|banking|queue|operator|interview|appointment)\b|"
        r"\b(?:hotline|helpline|call ?(?:centre|center)|switchboard|ivr|"
        r"voice ?mail(?:s|box(?:es)?)?|voice messages?|answering (?:machine|device|service)|"
        r"robo-?calls?|hold music|"
        r"hung up|hang(?:s|ing)? up|(?:picked up|answered) the phone|dial(?:l?ed|l?ing)|"
        r"toll[- ]free)\b|"
        r"(?<![\d$.,{])\b1-?800\b(?![\d.,])|"
        r"\bautomated (?:phone|telephone|line|system|voice|message|menu|calls?)\b",
        STRONG,
    ),
    # "call" as a verb or a noun of use; not "so-called", "called X" (a name),
    # "call for/upon" (demand), "calls for" (requires).
    _r(
        "phone",
        r"(?<!so-)(?<!so )\b(?:call(?:ed|ing|s)?|call-?backs?)\b"
        r"(?! (?:for|upon)\b)(?! on (?:you|your|the \w+ to|them to)\b)",
        STRONG,
    ),
    _r(
        "phone",
        r"\bon hold\b|\bhold times?\b|\bheld (?:on the line|for (?:over |about |nearly |almost )?"
        r"(?:an? |\d+ |two |three |four |five |ten |twenty |forty )(?:min|hour))",
        STRONG,
    ),
    # A call told without the word: passed from agent to agent, messages left (on an
    # answering machine, unless a site or chat is named), a live person sought.
    _r(
        "phone",
        # Transferred between people on a line, not moved to a new servicer, town or account.
        r"(?:\b(?:i|we|me|us) (?:was|were|got|have been|had been|kept being|keep getting|"
        r"kept getting) (?:\w+ )?transferred|\btransferr(?:ed|ing) (?:me|us))"
        r" (?:(?:to|over to) (?:(?:another|a different|the (?:right|correct|wrong|appropriate)|"
        r"a|an|the|their|someone|somebody|one|multiple|several|various|different|other) )?"
        r"(?:[\w-]+ )?(?:departments?|dept|agents?|persons?|people|reps?|representatives?|"
        r"supervisors?|managers?|specialists?|teams?|lines?|numbers?|extensions?|someone|"
        r"somebody|else|person|operators?|queues?)|around|back and forth|back|again|"
        r"(?:\d+|two|three|four|five|six|several|multiple|many|numerous|countless) times|"
        r"between|from (?:one|department|agent|person|rep))\b|"
        r"\bleft (?:a |an |several |many |multiple |numerous |countless |\d+ |two |three |four |"
        r"five |six |ten )?(?:(?:detailed|voice) )?messages?\b"
        r"(?! (?:on|in|through|via|using|by|with|to) (?:the |their |my |a |an |your )?(?:\w+ )?"
        r"(?:web ?site|site|portal|app|chat|online|account|form|e-?mail|inbox|facebook|twitter|"
        r"instagram|social|page|message (?:cent(?:er|re)|board|system)|messaging)\b)|"
        r"\blive (?:person|human|representative|rep|agent)s?\b(?! chat)",
        MEDIUM,
    ),
    _r("phone", r"\b(?:cell|mobile|home|work)? ?(?:tele)?phone\b", WEAK),
    # ---------------------------------------------------------------- e-mail
    _r(
        "email",
        r"\be-?mail(?:ed|ing|s)?\b(?! address)(?! account)(?! addresses)|\binbox\b|"
        r"\bnewsletters?\b",
        STRONG,
    ),
    _r("email", r"\be-?mail (?:address(?:es)?|account)\b", WEAK),
    # ---------------------------------------------------------------- letter / post
    _r(
        "mail",
        r"\bcertified (?:mail|letters?)\b|\bregistered (?:mail|letters?|post)\b|"
        r"\b(?:by|via|through|thru|in|from|with) (?:the )?(?:regular |us |u\.s\. |postal |"
        r"certified |first[- ]class |snail |standard )?(?:mail|post)\b|"
        r"(?<!e-)(?<!e)\bmail(?:ed|ing)\b(?! address)(?! list)|\bsnail mail\b|"
        r"\b(?:usps|u\.?s\.? postal|postal service|post office|return receipt|"
        r"recorded delivery|postmarked|envelopes?|postcards?|leaflets?|brochures?|"
        r"fed ?ex(?:ed|'d)?|overnighted)\b|"
        r"\b(?:sent|send|sends|sending|wrote|write|writes|writing|received|receive|receiving|"
        r"got|get|gets|getting|mailed|issued|dated|reply|replied|responded)\b"
        r"(?:(?!\band\b)[^.;!?]){0,25}?\bletters?\b|"
        r"\bletters? (?:\([^)]{0,40}\) )?(?:that |which )?(?:i|we) (?:had )?"
        r"(?:sent|mailed|wrote)\b|"
        r"\bletters? (?:from|dated|stating|saying|that (?:said|stated|says)|informing|"
        r"telling|in the mail|which (?:said|stated))\b|\bdispute letters?\b|"
        r"\b(?:validation|verification|demand|denial|cease and desist|collection|dunning|"
        r"approval|decline|rejection|confirmation|acknowledg(?:e)?ment) letters?\b",
        STRONG,
    ),
    _r("mail", r"(?<!e-)(?<!e)\bmail\b(?! (?:fraud|address|list|box|order))", MEDIUM),
    # Post found in the mailbox; a voice mailbox is the phone's.
    _r(
        "mail",
        # Found in it or put in it: "checked my mailbox", "their secure mailbox" may be e-mail.
        r"\b(?:in|into|to|from|on|at|by|inside) (?:my|the|our|his|her|a|their) "
        r"(?!(?:secure|e-?mail|online|electronic|voice) )(?:\w+ )?"
        r"(?<!voice )(?<!e-)(?<!e)mail ?box(?:es)?\b(?! (?:is|was) full)",
        MEDIUM,
    ),
    _r(
        "mail",
        r"\bletters?\b(?! of (?:credit|intent|recommendation|the law))|"
        r"\bpaper (?:forms?|bills?|copy|copies|statements?|applications?|letters?)\b|"
        r"\bpost(?:ed|ing)? (?:(?:it|them)(?! on)|off|back|(?:the|my|a|an) (?:\w+ )?(?:forms?|"
        r"letters?|cheques?|checks?|applications?|documents?|papers?|cards?|parcels?|packages?|"
        r"renewal|claim|return|payslips?|passport))\b",
        MEDIUM,
    ),
    # ---------------------------------------------------------------- web
    _r(
        "web",
        rf"\b(?:on|onto|via|through|thru|from|at|using|used|use|uses|tried|visited|checked|"
        rf"browsed|searched|accessed|according to|went to|go to|log(?:ged)? (?:in|on)to) "
        rf"(?:{_ART} ?(?:own )?(?:web ?site|site|web ?page|portal|"
        rf"online (?:account|portal|system))|"
        # A name between ("the XXXX XXXX website", "the bank's own portal"); not "the job site".
        rf"{_ART} (?:[\w&.-]+(?:'s|’s)? ){{1,2}}(?:own )?(?:web ?site|web ?page|portal|"
        rf"online (?:account|portal|system))|(?:web ?site|web ?page|portal))\b|"
        r"\b(?:web ?site|web ?page|site|portal) (?:said|says|states|stated|showed|shows|listed|"
        r"lists|would not|wouldn'?t|won'?t|kept|keeps|crashed|froze|was|is|has|had|did not|"
        r"didn'?t|does not|doesn'?t|asked|asks|told|tells|let me|lets you|gave|gives)\b|"
        r"\bonline (?:account|portal|banking|form|application|payment|dispute|request|system|"
        r"profile|access|statement|bill pay|checkout|booking|order|questionnaire|check-?in|"
        r"quote|tracker|tracking|claim|service|shop|store|purchase|transfer)s?\b|"
        r"\b(?:my|our|the|their|his|her) online (?:\w+ ){1,2}accounts?\b|"
        r"\b(?:\w+ed|applying|paying|filing|did|do|done|paid|pay|made|make|bought|buy|sent|put|set|"
        r"took|tried|try|"
        r"send|got|get|went|go|fill|book|check|renew|order|apply|file|submit|register|report|"
        r"change|complete|sign up|cancel|request|dispute)\b(?:(?!\band\b)[^.;!?]){0,25}?"
        # Not a system's state: "took three days to come back online".
        r"(?<!back )(?<!come )\bonline\b|"
        r"\blog(?:ged|ging)? ?(?:in|on)(?:to)?\b(?! (?:the |their |my )?(?:\w+ )?app\b)|"
        r"\bsign(?:ed)? (?:in|into)\b(?! (?:the |their |my )?(?:\w+ )?app\b)|"
        r"\b(?:logins?|log-ins?|passwords?|usernames?)\b|"
        r"\b(?:submit(?:ted|ting)?|fil(?:ed|ing)|appl(?:ied|ying)|sign(?:ed|ing))\b"
        r"(?:(?!\band\b)[^.;!?]){0,40}?\belectronically\b|"
        r"\b(?:internet|online) banking\b|"
        # A price comparison site, used to choose (not a review site, where a text is posted).
        r"\b(?:price[- ])?comparison (?:web ?)?sites?\b|"
        r"\b(?:on|over|via|through|searched) the (?:internet|web)\b(?! ?chat)|"
        r"\be-?sign(?:ed|ing)?\b|\bdocu-?sign(?:ed)?\b|"
        r"\b(?:web ?form|web portal|account dashboard|dashboard|browser|drop-?down|"
        r"click(?:ed|ing)?(?! and collect)|download(?:ed|ing)?(?! (?:the|their|an?) \w* ?app)|"
        r"upload(?:ed|ing)?|www\.\w+|\w+\.(?:com|org|gov)\b)",
        STRONG,
    ),
    _r("web", r"\b(?:web ?sites?|web ?pages?|portal|online)\b", WEAK),
    # ---------------------------------------------------------------- app
    _r(
        "app",
        r"\b(?:mobile|banking|their|the|an?|my|its|bank'?s|phone|iphone|android)\s+apps?\b|"
        r"\bapps?\s+(?:store|notifications?|updates?|crashed|froze|said|says|showed|shows|"
        r"would not|wouldn'?t|kept)\b|\bin[- ]app\b|\bmobile (?:banking|deposits?)\b",
        STRONG,
    ),
    _r("app", r"\bapps?\b", MEDIUM),
    # ---------------------------------------------------------------- chat / text
    _r(
        "chat",
        r"\b(?:live|online|web) ?chat\b|\bchat ?bots?\b|\bchat(?:ted|ting)?\b|"
        r"\btext(?:ed|ing)? (?:me|us|them|him|her|back)\b|\btext messages?\b|\btexts\b|"
        r"\btexted\b|\bsms\b|\bwhats ?app\b|\bmessenger\b|\bdirect messages?\b|"
        r"\bdm(?:'?d|ed)?\b|\bmessag(?:ed|ing) (?:them|me|us|him|her)\b"
        r"(?! on (?:twitter|facebook|instagram|x|social))",
        STRONG,
    ),
    _r("chat", r"\btext\b|\bmessaged\b", WEAK),
    # ---------------------------------------------------------------- social media, reviews
    _r(
        "social",
        r"\b(?:twitter|tweet(?:s|ed)?|facebook|instagram|tiktok|linkedin|reddit|youtube|"
        r"social media|trustpilot|yelp|tripadvisor|google reviews?|review sites?|"
        r"posted (?:a )?(?:review|about it)|left (?:a )?review|@\w+)\b",
        STRONG,
    ),
    # ---------------------------------------------------------------- in person
    _r(
        "in_person",
        r"\bin person\b|\bin-person\b|\bface[- ]to[- ]face\b|\btellers?\b|\bwalk(?:ed)?[- ]in\b|"
        r"\bin[- ]store\b|\bin the (?:store|branch|shop|office)\b|"
        r"\b(?:front|check-?in|service) desk\b|"
        r"\b(?:went|go|going|goes|came|come|walked|drove|stopped|stop|showed up|returned|"
        r"visited|visit|visiting|entered|popped)\b"
        r"(?: (?:in|into|to|down to|by|over to|back to|at))? "
        rf"(?:{_ART} )?(?:\w+ ){{0,2}}(?:branch|branches|office|store|location|dealership|dealer|"
        r"bank|counter|desk|shop|showroom|pharmacy|clinic|surgery|gate|"
        # Not "the bank's website", "the store app".
        r"reception|headquarters)\b(?!'s\b|’s\b| (?:web ?sites?|sites?|web ?pages?|online|"
        r"portal|apps?)\b)|"
        r"\bat (?:the|a|my|our|their|your|one of their|its|local) (?:\w+ ){0,2}(?:branch|store|"
        r"counter|dealership|desk|shop|showroom|reception|gate|till|checkout|ticket office)\b|"
        r"\b(?:branch|store) (?:clerk|associate|teller)s?\b|"
        r"\b(?:branch|store|office|location|shop) (?:that |which )?(?:i|we) (?:had |have )?"
        r"(?:\w+ )?(?:went|go|visited|walked|called in)\b|"
        r"\b(?:asked|inquired|enquired|spoke|talked|signed|paid|complained|waited|queued)\b"
        r"(?: \w+){0,3} at (?:the|their|a|my|our|your) (?:\w+ )?(?:office|branch|store|desk|"
        r"counter)\b|"
        r"\b(?:cashier|receptionist)s?\b|\bcheck-?in desk\b|\bin[- ]branch\b|"
        r"\b(?:the|a|their|its|bank'?s) drive[- ]?(?:thru|through)\b|\bdrive-thru\b|"
        r"\bdrive[- ]?(?:thru|through) (?:window|lane|teller|atm)s?\b|"
        r"\b(?:bank|branch|store|hotel) lobby\b|"
        # Someone there is no visit: "somebody inside the bank stole my identity".
        r"(?<!somebody )(?<!someone )(?<!anyone )(?<!people )(?<!person )(?<!employees )"
        r"\binside (?:the|a|their|my|our|one of their) (?:\w+ )?"
        r"(?:bank|branch|store|office|shop)\b|"
        r"\b(?:i|we) (?:was|were) (?:at|in) (?:the|my|our|a) (?:local )?bank\b"
        r"(?!'s\b|’s\b| (?:\w+ )?(?:disputes?|accounts?|records?|statements?|systems?|files?|"
        r"errors?|fraud|policy|policies)\b)|"
        r"\bhand[- ]?deliver(?:ed|ing)?\b|"
        r"\bsat down with (?:a|an|the|their|one of their|someone|somebody) (?:\w+ ){0,2}?"
        r"(?:bankers?|officers?|managers?|representatives?|reps?|associates?|advis[eo]rs?|"
        r"employees?|tellers?|agents?|specialists?|staff|salesm[ae]n|at)\b|"
        r"\bpersonally (?:met|went|visited|spoke|talked|delivered|handed|brought|took|showed)\b"
        # Spoken to in person, not "personally spoke with their agent on the phone".
        r"(?![^.;!?]{0,40}\b(?:(?:tele)?phone|calls?|e-?mail|chat|video|zoom)\b)|"
        r"\bmet (?:with )?(?:a|an|the|my|our|their|one of their) (?:\w+ ){0,2}?(?:banker|"
        r"(?:loan|bank|branch) officer|manager|representative|rep|associate|advis[eo]r|employee|"
        r"teller|salesm[ae]n|sales ?(?:person|rep)|staff)\b|"
        r"\b(?:i|we)(?: then| finally| just| had to)? (?:went|popped|walked|go|stopped|came) in\b"
        r"(?! (?:circles|overdraft|debt|the red))",
        STRONG,
    ),
    # Visits told without a branch or a store: at the merchant or the provider itself (the
    # car lot, the emergency room), or a named place where someone was spoken to. Not "checked
    # into the hotel": that is done online, by app or at a kiosk as often as at the desk.
    _r(
        "in_person",
        r"\b(?:emergency room|emergency department|er|urgent care|hospital|doctor'?s?|"
        r"dentist'?s?|dental|clinic|office) visits?\b|"
        r"\b(?:went|go|going|drove|came) (?:in )?to (?:buy|purchase|lease|pick up|look at|"
        r"test drive) (?:a|an|my|the|our) (?:new |used )?(?:car|vehicle|truck|van)\b|"
        r"\b(?:went|drove|walked) (?:in)?to [A-Z][\w&'.-]+(?: [A-Z][\w&'.-]+){0,2},? and "
        r"(?:spoke|talked|asked|showed|met)\b|"
        r"\b(?:in|at|to) the (?:emergency room|emergency department|urgent care)\b",
        STRONG,
    ),
    # A journey to the place told with a gap ("drove forty minutes to the nearest branch", "a
    # trip to the branch"), something taken back or bought there, an appointment there,
    # things handed over to the staff.
    _r(
        "in_person",
        r"\b(?:drove|walked|travell?ed|went|came|trips?|visits?)\b(?: (?!and\b|but\b)\w+){0,4}? "
        r"(?:in)?to (?:the|a|my|our|their|one of their|its|[A-Z][\w&.-]*(?:'s)?) "
        r"(?:(?:nearest|closest|local|nearby|main|other|same) )?(?:branch|branches|store|office|"
        r"dealership|dealer|bank|counter|shop|showroom)\b(?!'s\b|’s\b| (?:web ?sites?|sites?|"
        r"web ?pages?|online|portal|apps?)\b)|"
        r"\b(?:took|brought|returned|carried|take|bring|return) (?:it|them|(?:the|my|our|a|an|"
        r"this|that|both) (?:\w+ ){0,2}?\w+) (?:back )?(?:in)?to "
        r"(?:the|a|their|its|[A-Z]\w*(?:'s)?) (?:\w+ )?(?:store|shop|branch|dealership|dealer|"
        r"showroom)\b|"
        r"\b(?:purchas(?:ed|ing)|bought|buying|shopp(?:ed|ing))\b(?: (?!and\b|but\b)\w+){0,5}? "
        r"(?:at|in|from) (?:their|the|a|one of their|[A-Z]\w*(?:'s)?) "
        r"(?:(?:retail|local|physical) )?(?:store|shop|showroom)s?\b"
        r"(?! (?:online|web ?site|site)\b)|"
        r"\bappointments? (?:at|in) (?:the|a|my|our|their|one of their) (?:local )?(?:\w+ )?"
        r"(?:branch|office|store|dealership|bank)\b|"
        r"\b(?:deposit(?:ed|ing)?|cash(?:ed|ing)|withdr[ae]w|withdrawing)\b(?: (?!and\b|but\b)\w+)"
        r"{0,4}? at (?:the|a|my|our|their|one of their) (?:local )?(?:\w+ )?bank\b"
        r"(?!'s\b|’s\b| (?:web ?sites?|sites?|online|apps?|accounts?)\b)|"
        r"\b(?:walked|stormed|was escorted|got escorted) out of (?:the|their|a|my) (?:\w+ )?"
        r"(?:branch|bank|store|office|dealership|shop)\b|"
        r"\b(?:showed|presented) (?:my|our) (?:[\w']+ )?"
        r"(?:id|identification|licen[cs]e|passport)\b|"
        r"\b(?:handed|showed|presented) (?:the |a |an )?(?:teller|clerk|cashier|banker|agent|"
        r"manager|associate|employee|representative|rep|staff|lady|gentleman|woman|man|him|her|"
        r"them) (?:my|the|a|an|our|both) (?:\w+ )?(?:id|identification|licen[cs]e|passport|card|"
        r"receipts?|checks?|cheques?|cash|documents?|paperwork|papers)\b",
        STRONG,
    ),
    # A staff title places no one ("the branch manager said" may be a call), nor does a
    # queue (the phone has them too): the head decides.
    _r(
        "in_person",
        r"\b(?:branch|branches|store|office|dealership|desk|banker|queue[ds]?|queuing)\b",
        WEAK,
    ),
    # ---------------------------------------------------------------- letter / post (French
    # words for post are in the French rules)
    # ---------------------------------------------------------------- field visit
    _r(
        "field",
        r"\b(?:technicians?|installers?|fitters?|plumbers?|electricians?|inspectors?|"
        r"appraisers?|surveyors?|meter readers?|home visits?|site visits?|house calls?|"
        r"(?:came|come|comes|showed up|turned up|arrived|stopped by|knocked|visited|sent "
        r"(?:someone|a man|an agent|a tech)) (?:to|at|on|round to)? ?(?:my|our|the) "
        r"(?:house|home|door|property|apartment|flat|residence|place|driveway)|"
        r"came (?:round|over|out)|knock(?:ed|ing)? on (?:my|our|the) door|at (?:my|our) door|"
        r"doorstep|repo(?:ssession)? (?:man|men|agents?|company came)|tow truck|couriers?|"
        r"inspected (?:my|our|the) (?:home|house|property|roof|apartment)|"
        r"(?:repossessed|towed|took|picked up) (?:my|our|the) (?:car|vehicle|truck|van)"
        r"(?: \w+){0,3}? from (?:my|our|in front of my|in front of our) (?:driveway|house|home|"
        r"yard|garage|property|apartment|work|job|street))\b",
        MEDIUM,
    ),
    _r("field", r"(?<!software )(?<!civil )(?<!network )\bengineers?\b", MEDIUM),
    # ---------------------------------------------------------------- self-service machines
    _r(
        "self_service",
        r"\b(?:atms?|cash machines?|cashpoints?|kiosks?|ticket machines?|"
        r"self[- ]?(?:check[- ]?(?:in|out)s?|service (?:machine|kiosk|terminal|checkout|till)s?|"
        r"scan(?:ners?)?|checkouts?)|bag drop|parcel lockers?|vending machines?)\b"
        r"(?! cards?\b)(?! fees?\b)",
        STRONG,
    ),
    # The fuel pump's card reader at the station.
    _r(
        "self_service",
        r"\b(?:gas|fuel|petrol|diesel) pumps?\b|\bat the pump\b|\bnozzle\b|"
        r"\bthe pump (?:stopped|shut off|cut off|charged|took|declined|said|read|showed)\b",
        STRONG,
    ),
    _r("self_service", r"\b(?:machines?|lockers?)\b", WEAK),
)

RULES_FR: tuple[_Rule, ...] = (
    _r(
        "phone",
        r"\b(?:t[ée]l[ée]phon\w*|appel(?:é|ée|és|ées|er|ais|ait|ions|iez|aient|ant)?|"
        r"appelle[rz]?|appellent|rappel\w*|(?:mis|laissé|resté)e? en attente|en attente "
        r"(?:pendant|depuis)|standard|hotline|numéro (?:vert|surtaxé)|"
        r"serveur vocal|messagerie vocale|répondeur|raccroch\w*|au bout du fil|coup de fil)\b",
        STRONG,
    ),
    _r(
        "email",
        r"\b(?:e-?mails?|courriels?|mails?|mél|boîte (?:mail|de réception)|"
        r"(?:envoy|reçu|écrit)\w* (?:un |par )?(?:e-?)?mail)\b",
        STRONG,
    ),
    _r(
        "mail",
        r"\b(?:courriers?|lettres?(?: recommandée)?|recommandée?s?|par la poste|par voie postale|"
        r"avis de passage|enveloppes?|reçu (?:un |une )?(?:courrier|lettre)|"
        r"dans (?:ma |la )?boîte aux lettres)\b",
        STRONG,
    ),
    _r(
        "web",
        r"\b(?:site(?: web| internet)?|sur (?:le |leur |votre )?site|en ligne|sur internet|"
        r"espace client|mon compte en ligne|formulaire (?:en ligne|web)|page web|portail|"
        r"(?:me |se )?connect(?:er|é|ée)|identifiants?|mot de passe)\b",
        STRONG,
    ),
    _r("app", r"\b(?:appli|applis|application(?: mobile)?s?|l'appli)\b", STRONG),
    _r(
        "chat",
        r"\b(?:t?chat(?:té)?|messagerie (?:instantanée|en ligne)|sms|textos?|whats ?app|"
        r"messenger|message privé|chatbot|agent conversationnel)\b",
        STRONG,
    ),
    _r(
        "social",
        r"\b(?:twitter|tweet(?:é)?|facebook|instagram|tiktok|linkedin|réseaux sociaux|"
        r"avis (?:google|en ligne)|trustpilot)\b",
        STRONG,
    ),
    _r(
        "in_person",
        r"\b(?:agences?|guichets?|en personne|au comptoir|sur place|à l'accueil|"
        r"(?:je suis |on est |nous sommes )?(?:allée?s?|passée?s?|rendue?s?) (?:à|en|au|dans)"
        r" (?:l'|la |le |une |un |mon |ma )?(?:agence|boutique|magasin|bureau|guichet|gare|"
        r"pharmacie|mairie|caisse)|en boutique|en magasin|face à face|rendez-vous en agence|"
        r"conseill(?:er|ère) (?:en agence|bancaire)|file d'attente)\b",
        STRONG,
    ),
    _r("in_person", r"\b(?:boutique|magasin|bureau)\b", WEAK),
    _r(
        "field",
        r"\b(?:technicien(?:ne)?s?|installateurs?|plombiers?|électriciens?|livreurs?|"
        r"(?:est |sont )?venue?s? (?:chez moi|chez nous|à domicile|à la maison)|"
        r"à domicile|visite à domicile)\b",
        STRONG,
    ),
    _r(
        "self_service",
        r"\b(?:bornes?|distributeurs?(?: automatiques?| de billets)?|automates?|"
        r"caisses? automatiques?|caisses? libre-service|libre-service|dab)\b",
        STRONG,
    ),
)

# ------------------------------------------------------------------ what cancels a cue
_NEGATION_EN = re.compile(
    r"\b(?:no|not|never|without|didn'?t|did not|doesn'?t|does not|don'?t|do not|"
    r"haven'?t|have not|hasn'?t|has not|hadn'?t|had not|wasn'?t|was not|weren'?t|were not|"
    r"isn'?t|is not|nor|neither|none|nobody|no one|nothing|lack of|instead of|rather than|"
    r"refus\w+ to)\b"
    # Not across a conjunction that starts a clause of its own ("never got the pictures and
    # just kept sending letters").
    r"(?:\s+(?!(?:but|so|then|yet|while|because)\b|and\s+(?!(?:a|an|the|any|no|my|their|our|"
    r"by|via)\b))[\w'/-]+){0,4}\s*,?\s*$",
    re.IGNORECASE,
)
_NEGATION_FR = re.compile(
    r"\b(?:ne|n'|pas|jamais|aucun\w*|sans|ni|personne|rien|plus)\b"
    r"(?:\s*[\w'’-]+){0,4}\s*$",
    re.IGNORECASE,
)
# A channel offered, asked for, required, promised or imagined, not used.
_HYPOTHETICAL_EN = re.compile(
    r"\b(?:if|whether|please(?! (?:find|see))|should(?!n't)|shall|could(?!n't)|can(?!'t|not)|"
    r"may|might|must|ought to|would like|would have|will(?! not)|'ll|going to|supposed to|"
    r"promis\w+|"
    r"option(?:s)? (?:to|of)|(?:ask|told|tell|instruct|advis|direct|referr?|recommend|"
    r"suggest|encourag|invit|offer|requir|request|urg|want|expect|order)\w*\b"
    r"(?: (?:me|us|him|her|them|you|that|i|we))* (?:to|that|i|we)|"
    r"(?:said|says|stated|states|saying|informed|explained)\b[^.;!?]{0,25}\b"
    r"(?:will|would|could|can|should|need(?:ed)? to|ha(?:ve|d) to|must)|"
    r"need(?:ed|s)? to|in order to|how to|way to|able to|hop(?:e|ed|ing) to|wish\w*|rather|"
    r"'d be|would be|(?:ask|asked|asking|request\w*|wait\w*|waiting) for an?|"
    r"plan(?:ned|ning)? to|request\w*)\b[^.;!?]{0,25}$|"
    r"\b(?:if|should(?: have)?|would have|could have)\b[^.;!?]{0,70}$|"
    # An opinion about doing it: "I feel like sending it through the mail is riskier".
    r"\b(?:feel|feels|felt|think|thought) (?:like|that) \w+ing\b[^.;!?]{0,50}$",
    re.IGNORECASE,
)
_HYPOTHETICAL_FR = re.compile(
    r"\b(?:si|pourrai[st]?|pourrions|devrai[st]?|faudrait|il faut|on m'a dit de|"
    r"m'a demandé de|conseillé de|propos\w* de|voudrais|vais|va|allais)\b[^.;!?]{0,25}$",
    re.IGNORECASE,
)
# Channels used by someone outside the service: police, courts, regulators, scammers.
_THIRD_PARTY = re.compile(
    r"\b(?:police|detective|sheriff|fbi|ftc|cfpb|consumer financial protection|"
    r"attorney general|better business bureau|bbb|court|judge|my (?:attorney|lawyer)|"
    r"the (?:attorney|lawyer)|scam\w*|fraudster|hacker|thief|thieves|congress\w*|senator|"
    r"ombudsman|regulator|the irs|internal revenue|social security administration|"
    r"consumerfinance|\w+\.gov|(?:our|the|my) (?:town|county|city|township)|"
    r"\w+ county|state (?:tax|agency|department)|tax (?:office|department|collector)|"
    r"a stranger)\b",
    re.IGNORECASE,
)
_THIRD_PARTY_AFTER = re.compile(
    r"^\W{0,3}(?:(?:\w+\s+){0,2}?(?:to|with|from|by|at)\s+)?(?:the\s+|my\s+|a\s+)?(?:local\s+)?"
    + _THIRD_PARTY.pattern,
    re.IGNORECASE,
)
_SELF = re.compile(r"\b(?:this|these)\s+(?:\w+\s+)?$", re.IGNORECASE)
# "my letter that is attached": the complaint's own enclosure.
_SELF_AFTER = re.compile(
    r"^\s*(?:is|are|serves|(?:that|which) (?:is|are|i have) (?:attached|enclosed)|"
    r"(?:is |are )?(?:attached|enclosed))\b",
    re.IGNORECASE,
)
# "asked for a quote by email", "requested a refund on the live chat": the channel is how
# the asking was done, a use of it, not what was asked for ("asked for a callback"). Only
# an asking told as done: "ask for", "request" are advice, offers or plans ("just ask for a
# refund by phone", "I'd like to request one via the app", "did you ask for ... by email?").
_MEANS = r"(?:by|via|through|thru|over|on|in|at|with|using)\s+(?:(?:the|a|an|their|its)\s+)?"
_ASKED_BY = re.compile(
    (
        r"\b(?:asked\s+for|requested)\s+(?:an?|the|my|some)\s+[\w'-]+\s+"
        r"(?:(?!{m})[\w'-]+\s+)?(?:{m}[\w-]+\s+(?:and|or)\s+)?(?P<means>{m}(?:[\w-]+\s+)?)?$"
    ).replace("{m}", _MEANS),
    re.IGNORECASE,
)
# Verbs of making contact, for a use nearly made or asked about.
_CONTACT_VERB = (
    r"(?:call(?:ed|ing)?|(?:tele)?phon(?:e|ed|ing)|ring|rang|rung|dial(?:l?ed)?|e-?mail(?:ed)?|"
    r"text(?:ed)?|messag(?:e|ed)|chat(?:ted)?|write|wrote|written|mail(?:ed)?|post(?:ed)?|"
    r"send|sent|request(?:ed)?|ask(?:ed)?|contact(?:ed)?|reach(?:ed)? out|complain(?:ed)?|"
    r"(?:go|went|gone)(?= (?:to|in|into|down|over|round|back|along|by)\b)|visit(?:ed)?|walk(?:ed)?|"
    r"drive|drove|driven|head(?:ed)?|popped|stopped|submit(?:ted)?|appl(?:y|ied)|filed?|"
    r"order(?:ed)?|book(?:ed)?|sign(?:ed)? up|log(?:ged)? (?:in|on)|tweet(?:ed)?|"
    r"use|used|try|tried|show(?:ed)? up|turn(?:ed)? up)\b"
)
# Nearly done is not done: "I almost requested a refund by phone", "nearly called them", "was
# about to go to the branch". Only a verb of making contact right after: "almost always call
# them", "nearly hung up" (on a call already), "nearly got through", "almost went mad on hold"
# were uses.
_NEAR_MISS = re.compile(
    r"\b(?:almost|nearly|all but|(?:was|were) about to|came close to)\s+"
    r"(?:(?:just|actually|even|had to|decided to|went and|gone and)\s+)?"
    + _CONTACT_VERB
    # Not past "and": "I almost emailed them and called instead" called.
    + r"(?:(?!\band\b)[^.;!?]){0,60}$",
    re.IGNORECASE,
)
# A yes/no question whether someone made contact asks about a use, it does not tell one:
# "Have you requested a refund by phone?", "did you call them?". "Why did you send me a
# letter?" tells one, and so does a question that says what I or we did ("Did you get the
# letter I sent?"); a question to the service about it ("do you sell gift cards in store?")
# shows the channel at hand, as before.
_ASKED_ABOUT = re.compile(
    r"(?:^|[,:;\"“(]\s*|\b(?:and|so|or|but|well|ok|okay)\s+)"
    r"(?:did|do|does|have|has|had)(?:n'?t)?\s+"
    r"(?:you|anyone|anybody|someone|somebody|any of you|u|y'all)\s+"
    r"(?:(?:ever|already|yet|just|actually|even|also|tried|then)\s+)?"
    + _CONTACT_VERB
    + r"(?:(?!\b(?:i|we)\b)[^?])*$",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|we)\b", re.IGNORECASE)
# A promise reported ("she said he would call me"): not a use until it happens.
_FUTURE = re.compile(r"\b(?:will|would|'ll|going to|gonna)\s+(?:\w+\s+)?$", re.IGNORECASE)
_REPORTED = re.compile(
    r"\b(?:said|says|told|tell|tells|assured|promised|stated|states|informed|advised)\b",
    re.IGNORECASE,
)
# "an engineer would be booked", "a technician was supposed to come": a visit promised,
# told after the visitor. "The engineer would not leave" was one.
_VISIT_PROMISED = re.compile(
    r"^\s+(?:\w+\s+)?(?:would|will|'ll|(?:was|were) (?:going|supposed|meant|due) to|should)\s+"
    r"(?:(?:be|have|have been)\s+)?(?:come|coming|visit|visiting|arrive|turn(?:ing)? up|"
    r"show(?:ing)? up|call(?:ing)? (?:round|by|out)|booked|sent|scheduled|arranged|"
    r"out|round|over)\b",
    re.IGNORECASE,
)
# "chatted with the woman next to me", "chatting to my wife": people, not the service.
_COMPANION = re.compile(
    r"^\s+(?:with|to)\s+(?:the\s+|my\s+|our\s+|a\s+|an\s+|some\s+)?(?:other\s+|fellow\s+)?"
    r"(?:(?:wife|husband|partner|friends?|family|kids|children|son|daughter|mum|mom|dad|"
    r"parents?|neighbou?rs?|passengers?|travell?ers?|customers?|colleagues?|strangers?)\b"
    r"(?!\s+(?:service|care|support|relations))|"
    # "a woman" may be the agent; "the woman next to me" is not.
    r"(?:woman|man|lady|guy|girl|boy|person|people|couple)\s+(?:next to|beside|behind|"
    r"in front of|across from|sitting|in the (?:next )?(?:seat|row|queue|line))\b)",
    re.IGNORECASE,
)
# "was supposed to come at 8 and turned up at 4": the visit was late, it was made.
_VISIT_MADE_AFTER = re.compile(
    r"\b(?:and|but|then|finally|eventually|who|he|she|they)\s+"
    r"(?:(?!(?:nobody|never|not|no)\b)\w+\s+)?(?:turned up|showed up|arrived|came)\b",
    re.IGNORECASE,
)
# "the engineer never came", "the technician didn't show up": a visit that did not happen.
_VISIT_MISSED = re.compile(
    r"^\s+(?:\w+\s+)?(?:never|didn'?t|did not|failed to|hasn'?t|has not|hadn'?t|had not|"
    r"wasn'?t|was not|still hasn'?t|still has not|still didn'?t|won'?t|would not|wouldn'?t)\s+"
    r"(?:(?:even|ever|yet|bother(?:ed)? to|been|be)\s+)?(?:come|came|show(?:ed)?(?: up)?|"
    r"turn(?:ed)? up|arrive[ds]?|appear(?:ed)?|attend(?:ed)?|visit(?:ed)?|make it|made it|"
    r"call(?:ed)? (?:round|by|out))\b(?! back)",
    re.IGNORECASE,
)
# "my flatmate, the provider's installer and the landlord": a role named in a list of the
# people involved (an answer to "who was involved"), not a visit.
_ROLE = re.compile(
    r"(?:technicians?|installers?|fitters?|plumbers?|electricians?|inspectors?|appraisers?|"
    r"surveyors?|meter readers?|engineers?|couriers?)",
    re.IGNORECASE,
)
_LISTED_BEFORE = re.compile(
    r"(?:,|\band)\s+(?:(?:the|a|an|my|our|their|his|her|its)\s+)?(?:[\w'’-]+\s+){0,2}$",
    re.IGNORECASE,
)
_LISTED_AFTER = re.compile(r"^\s*(?:,|\band\b|\bor\b|[.;!?)]|$)", re.IGNORECASE)
# "... never came and the helpline kept me waiting": a cue that is the subject of a clause
# of its own after "and" is not reached by the negation or hypothesis before the "and".
_ARTICLE = r"(?:the|a|an|their|its|his|her|our|my|your)\b"
_AND_SUBJECT = re.compile(rf"\band\s+(?:{_ARTICLE}\s+(?:[\w'-]+\s+)?)?$", re.IGNORECASE)
_VERB_AFTER = re.compile(
    r"^\s+(?:(?:just|only|finally|then|also|still|never|eventually)\s+)?"
    r"(?:kept|keeps|was|were|is|are|said|says|told|tells|put|puts|hung|gave|gives|asked|"
    r"asks|took|takes|sent|sends|did|didn'?t|does|doesn'?t|has|had|have|would|could|"
    r"wouldn'?t|couldn'?t|went|got|left|made|let|[a-z]+ed)\b",
    re.IGNORECASE,
)
# A wish put as a request ("let me pick a slot online", "just let us book online"), as
# improvement ideas are; not "they let me pay online", which happened.
_WISH = re.compile(
    r"(?:^|[,;:(]\s*|\b(?:just|please|and|or|should|could|would|to)\s+)"
    r"let (?:me|us|people|customers|users|you|them)\b[^.;!?]{0,60}$",
    re.IGNORECASE,
)
# "stop calling me", "kept calling": the calls happened, whatever negation comes before.
_HAPPENED = re.compile(
    r"\b(?:stop|stopped|stops|quit|keep|keeps|kept|continue[sd]?|start(?:ed|s)?|began|"
    r"my|our|their|(?:nobody|no one|no-one|noone) (?:answered|picked up|returned|was|at))"
    r"\s+(?:\w+\s+)?(?:\w+\s+(?:and|or|&)\s+)?$",
    re.IGNORECASE,
)
# "my calls" happened; "my documents through the mail" says nothing of it, nor does "my login"
# (a credential asked for).
_POSSESSIVE = re.compile(r"\b(?:my|our|their)\s+(?:\w+\s+)?$", re.IGNORECASE)
_PREPOSITION = re.compile(r"(?:through|thru|by|via|in|on|over|from|with|at)\b", re.IGNORECASE)
_CREDENTIAL = re.compile(r"(?:logins?|log-ins?|passwords?|usernames?)", re.IGNORECASE)
_REGULATOR = re.compile(r"consumerfinance|cfpb", re.IGNORECASE)
_UNANSWERED = re.compile(r"(?:answered|picked up)\b", re.IGNORECASE)
_NOBODY = re.compile(r"\b(?:nobody|no one|no-one|noone)\s+$", re.IGNORECASE)
# A video call is not the phone channel ("on video calls all day").
_VIDEO = re.compile(r"\b(?:video|zoom|teams|facetime|skype|conference)[\s-]*$", re.IGNORECASE)
# Calls for one's own work ("faster internet for work calls"), not with the service; a
# "business phone line" is still a phone.
_OWN_CALLS = re.compile(r"\b(?:work|business)[\s-]*$", re.IGNORECASE)
# A name, not a call: "a company called XXXX", "they called it a limited exam".
_NAMING_BEFORE = re.compile(
    r"\b(?:is|are|was|were|company|business|firm|place|program|lender|agency|bank|"
    r"something|account|thing|app|site)\s+$",
    re.IGNORECASE,
)
_NAMING_AFTER = re.compile(
    r"^\s+(?:(?:it|this|that)\s+(?:a|an|the)|(?:my|your|his|her|their|our)\s+(?:name|number))\b",
    re.IGNORECASE,
)
# Someone introduced by name: "a friendly sales agent called Priya" (but "the agent called
# me", "an agent called back" are calls).
_SOMEONE_BEFORE = re.compile(
    r"\b(?:a|an|one|some|another)\s+(?:[\w-]+\s+){0,3}(?:agent|man|woman|guy|lady|girl|boy|"
    r"person|chap|bloke|rep|representative|adviser|advisor|engineer|technician|manager|"
    r"supervisor|officer|colleague|friend|gentleman|fellow|nurse|doctor|driver)\s+$",
    re.IGNORECASE,
)
_A_NAME_AFTER = re.compile(
    r"^\s+(?!(?:I|Me|Us|Them|Back|Today|Yesterday|Tonight|Again|"
    r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\b)[A-Z][a-z]+\b"
)
_NAME_CALLED = re.compile(
    r"\b(?:name|number)\s+(?:to be\s+|was\s+|being\s+|is\s+)?$", re.IGNORECASE
)
# Objects that share a word with a channel, just before or after the cue.
_OBJECT_AFTER = re.compile(
    r"^\W{0,2}(?:numbers?|bills?|records?|contracts?|plans?|screens?|company|companies|"
    r"carriers?|provider|broke|died|was (?:stolen|lost|broken|cracked)|stolen|lost|case|"
    r"battery|charger|insurance|address|accounts? (?:number|he|she|they)|line of credit)\b",
    re.IGNORECASE,
)
_OBJECT_BEFORE = re.compile(
    r"\b(?:broken|cracked|lost|stolen|new|old|bought|ordered|upgraded|replaced|repaired|"
    r"fixed|built|designed|made|launched|charged|pay for|paid for|my cell|cell|dropped|"
    r"personal|his|her|own)\s+"
    r"(?:(?:a|my|the|our|their|new|mobile|smart|cell)\s+){0,2}$",
    re.IGNORECASE,
)
# The handset carried back ("took the phone back to the store"), not a call.
_CARRIED = re.compile(
    r"\b(?:took|take|brought|bring|returned|return|sent|send|shipped|traded)\s+"
    r"(?:(?:the|my|a|our|their|his|her|new|old|mobile|smart|cell)\s+){1,2}$",
    re.IGNORECASE,
)
# The handset itself, not a call ("returned my phone call" is a call).
_HANDSET = re.compile(
    r"(?:tele)?phones?\b(?! (?:calls?|conversations?|lines?|reps?|representatives?|agents?|"
    r"system|menu|payments?|support|banking|queue|operator|interview|appointment)\b)",
    re.IGNORECASE,
)
# Money or a thing that went back to the bank: no one went there.
_THING_MOVED = re.compile(
    r"\b(?:money|funds|payments?|checks?|cheques?|refunds?|deposits?|transfers?|wires?|"
    r"it|mail|letters?|cards?|packages?|parcels?|account|loan|application|documents?)\s+"
    r"(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)
_MOTION = re.compile(r"(?:went|came|goes|go|going|returned)\b", re.IGNORECASE)
# Done there by app, call or screen after all: "deposited the check at my bank using the app",
# "showed my license on the video call".
_REMOTE_AFTER = re.compile(
    r"^\W{0,2}(?:\w+\s+){0,3}?(?:using|via|through|thru|on|over|by)\s+(?:the\s+|their\s+|"
    r"its\s+|my\s+|a\s+)?(?:[\w-]+\s+)?(?:apps?|video|zoom|facetime|skype|(?:tele)?phone|"
    r"web ?site|online|calls?|camera|webcam)\b",
    re.IGNORECASE,
)
# A relative's emergency visit ("my husband was rushed to the emergency room") is not the
# customer's; "I rushed my son there" is.
_OTHERS_VISIT = re.compile(
    r"^(?:(?!\b(?:i|we)\b).)*\b(?:my|our|his|her) (?:husband|wife|son|daughter|mother|mom|"
    r"father|dad|child|kid|baby|partner|spouse|parents?|brother|sister|grand\w+|friend)\b"
    r"(?: \w+){0,3}? (?:was|were|had been|got|went|ended up|spent|is)\b",
    re.IGNORECASE,
)
_EMERGENCY = re.compile(r"emergency|urgent care|hospital", re.IGNORECASE)
# Mail forwarded to a new address: a move, not a letter from anyone.
_FORWARDED = re.compile(
    r"\b(?:forward(?:ed|ing)?|transferr?(?:ed|ing)?|redirect(?:ed|ing)?|held|hold)\s+"
    r"(?:(?:our|my|the|all|of)\s+){1,2}$",
    re.IGNORECASE,
)
# A website built or bought as a product.
_BUILT = re.compile(r"\b(?:built|designed|made|launched|bought)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
# "the transfer is on hold", "put my account on hold": an account, not a call.
_HOLD_OBJECT = re.compile(
    r"\b(?:account|card|transfer|payment|request|order|funds|application|loan|wire|check|"
    r"deposit|withdrawal|process|mortgage|file|case)s?\b[^.;!?]{0,20}$",
    re.IGNORECASE,
)
# Met online: the other party, not the service's website.
_THIRD_ONLINE = re.compile(
    r"\b(?:met|meet|meeting|dating|scammed|romance|online (?:reviews?|press|scam|dating))\b",
    re.IGNORECASE,
)
_LIST_TAIL = re.compile(
    r"(?:(?:by|via|through)\s+)?(?:(?:tele)?phone|calls?|texts?|e-?mails?|mail|letters?|post|"
    r"fax|chat|online|in person)\s*(?:,|\bor\b|\band\b|/)\s*$",
    re.IGNORECASE,
)
_CLAUSE = re.compile(
    # A comma before a subject starts a clause too ("I'll be honest, I came in").
    r"[.;!?:()\n]|,\s+(?:and|but|so|then|because|when|after|before)\b|,\s+(?=(?:i|we)\b)|"
    r"\b(?:but|however|although|though|because|so|then|after|before|until|when|while|"
    r"which|who|and then|except|besides|other than|apart from|mais|puis|ensuite|quand|"
    r"lorsque|sauf)\b",
    re.IGNORECASE,
)


# What a cue's context is read in: no pattern below looks further back than this, and a
# bounded window keeps a long unpunctuated answer linear in its length (a cue's every check
# over the whole sentence before it made 100,000 characters of repeated cues take minutes).
CONTEXT_CHARS = 300


def _clause_before(sentence: str, start: int) -> str:
    """The part of the sentence's clause that comes before ``start``, at most ``CONTEXT_CHARS``."""
    before = sentence[max(0, start - CONTEXT_CHARS) : start]
    cut = 0
    for match in _CLAUSE.finditer(before):
        cut = match.end()
    return before[cut:]


def _blocked(channel: str, sentence: str, start: int, end: int, language: str) -> str | None:
    """Why the cue at ``start:end`` of ``sentence`` does not show the channel used, or None."""
    clause = _clause_before(sentence, start)
    back = sentence[max(0, start - CONTEXT_CHARS) : start]  # what each check reads back
    cue = sentence[start:end]
    after = sentence[end : end + 40]
    subject = _AND_SUBJECT.search(clause)
    if subject and subject.end() - subject.start() <= 4 and not re.match(_ARTICLE, cue, re.I):
        subject = None  # "and" straight before a cue with no article of its own
    # The verb may close the cue itself ("the website crashed").
    last = cue.split()[-1] if len(cue.split()) > 1 else ""
    if subject and (_VERB_AFTER.match(after) or _VERB_AFTER.fullmatch(" " + last)):
        clause = clause[subject.start() + 3 :]
    near = sentence[max(0, start - 60) : end + 30]
    stripped = clause[-150:]
    # "never by phone, text or e-mail": the negation reaches every item of the list (only a
    # clause that ends in a list's separator has items to strip).
    while stripped.rstrip().lower().endswith((",", "or", "and", "/")):
        shorter = _LIST_TAIL.sub("", stripped)
        if shorter == stripped:
            break
        stripped = shorter
    if language == "fr":
        if _NEGATION_FR.search(stripped[-50:]):
            return "negated"
        if _HYPOTHETICAL_FR.search(clause):
            return "hypothetical"
        return None
    happened = bool(_HAPPENED.search(back[-30:])) or bool(
        # "nobody answered the phone": someone rang.
        _UNANSWERED.match(cue) and _NOBODY.search(back[-12:])
    )
    if (
        happened
        and _POSSESSIVE.search(back[-30:])
        and (_PREPOSITION.match(cue) or (channel == "web" and _CREDENTIAL.fullmatch(cue)))
    ):
        happened = False
    if not happened and _NEGATION_EN.search(stripped[-45:]):
        return "negated"
    # Every offer or hypothesis reaches at most ~80 characters back to the cue.
    probe = clause[-160:]
    asked = _ASKED_BY.search(probe)
    if asked and (asked.group("means") or _PREPOSITION.match(cue)):
        probe = probe[: asked.start()]  # what comes before the asking may still cancel it
        if not happened and _NEGATION_EN.search(probe):  # "nobody asked for a refund by email"
            return "negated"
    if not happened and (_HYPOTHETICAL_EN.search(probe) or _WISH.search(probe)):
        return "hypothetical"
    if _NEAR_MISS.search(clause + cue) or _asked_about(sentence, start, end):
        return "hypothetical"
    if _FUTURE.search(clause) and _REPORTED.search(back):
        return "hypothetical"
    if (
        channel == "field"
        and _VISIT_PROMISED.match(after)
        and not _VISIT_MADE_AFTER.search(sentence[end:])
    ):
        return "hypothetical"
    if channel == "field" and _VISIT_MISSED.match(after):
        return "negated"
    if (
        channel == "field"
        and _ROLE.fullmatch(cue)
        and _LISTED_BEFORE.search(back[-60:])
        and _LISTED_AFTER.match(after)
    ):
        return "object"
    if channel == "chat" and cue.lower().startswith("chat") and _COMPANION.match(after):
        return "object"
    if channel == "phone" and _VIDEO.search(back[-20:]):
        return "object"
    if channel == "phone" and cue.lower() in ("call", "calls") and _OWN_CALLS.search(back[-12:]):
        return "object"
    if (
        channel == "phone"
        and cue.lower() == "called"
        and (
            _NAMING_BEFORE.search(back[-20:])
            or _NAME_CALLED.search(back[-20:])
            or _NAMING_AFTER.search(sentence[end : end + 20])
            or (
                _SOMEONE_BEFORE.search(back[-60:])
                and _A_NAME_AFTER.search(sentence[end : end + 20])
            )
        )
    ):
        return "object"
    if channel == "mail" and (_SELF.search(back[-30:]) or (_SELF_AFTER.search(after))):
        return "self"
    if channel == "mail" and _FORWARDED.search(back[-30:]):
        return "object"
    if channel == "web" and _THIRD_PARTY.search(cue):
        # The regulator's site is where the complaint itself was sent.
        return "self" if _REGULATOR.search(cue) else "third_party"
    if _OBJECT_AFTER.search(after) and channel in ("phone", "email", "web", "mail", "app"):
        return "object"
    if _OBJECT_BEFORE.search(back[-40:]) and channel == "phone":
        return "object"
    if (
        channel == "phone"
        and _HANDSET.match(sentence[start : end + 20])
        and _CARRIED.search(back[-40:])
    ):
        return "object"
    if channel == "in_person" and (
        (_THING_MOVED.search(back[-30:]) and _MOTION.match(cue))
        or _REMOTE_AFTER.match(sentence[end : end + 60])
        or (_OTHERS_VISIT.search(clause) and _EMERGENCY.search(cue))
    ):
        return "object"
    if channel == "web" and _BUILT.search(back[-40:]):
        return "object"
    if channel == "phone" and "hold" in cue.lower() and _HOLD_OBJECT.search(back[-40:]):
        return "object"
    if channel == "web" and _THIRD_ONLINE.search(near):
        return "third_party"
    if _THIRD_PARTY.search(_words_before(sentence, start, 3)) or _THIRD_PARTY_AFTER.search(after):
        return "third_party"
    return None


def _asked_about(sentence: str, start: int, end: int) -> bool:
    """Whether the cue at ``start:end`` lies in a yes/no question put to someone else."""
    # The verb may be the cue itself: "did you call them?"
    if not _ASKED_ABOUT.search(sentence[max(0, start - CONTEXT_CHARS) : end]):
        return False
    # The question runs to its mark, or to the end of an answer typed without one; a sentence
    # running on past the context read is no short question (and is not read to its end).
    rest = sentence[end : end + CONTEXT_CHARS + 1].rstrip()
    if len(rest) > CONTEXT_CHARS or (not rest.endswith("?") and rest[-1:] in (".", "!")):
        return False
    return not (_FIRST_PERSON.search(sentence[start:end]) or _FIRST_PERSON.search(rest))


def _words_before(sentence: str, start: int, count: int) -> str:
    return " ".join(sentence[max(0, start - 60) : start].split()[-count:])


def channel_cues(text: str, language: str = "en") -> list[Cue]:
    """Every channel cue in ``text``, sentence by sentence, with what cancels it."""
    return list(_cues(text, language))


# A tagger reads a text's cues up to three times (its channels, its evidence, its features):
# the last few texts' cues are kept rather than read again.
@functools.lru_cache(maxsize=16)
def _cues(text: str, language: str) -> tuple[Cue, ...]:
    rules = RULES_FR if language == "fr" else RULES_EN
    cues: list[Cue] = []
    for number, sentence in enumerate(split_sentences(text)):
        # Per channel, the characters its cues cover: a weaker rule does not report a span a
        # stronger one of the same channel took (a set, not a scan of every earlier cue).
        taken: dict[str, set[int]] = {}
        for rule in rules:
            covered = taken.setdefault(rule.channel, set())
            for match in rule.pattern.finditer(sentence.text):
                start, end = match.span()
                if end == start or start in covered:
                    continue
                covered.update(range(start, end))
                why = _blocked(rule.channel, sentence.text, start, end, language)
                cues.append(
                    Cue(
                        rule.channel,
                        sentence.start + start,
                        sentence.start + end,
                        rule.strength,
                        why,
                        number,
                    )
                )
    return tuple(cues)


def detect_channels(text: str, language: str = "en") -> dict[str, float]:
    """Channel ids the rules alone find used in ``text``, with a confidence in 0..1."""
    found: dict[str, float] = {}
    for cue in channel_cues(text, language):
        if cue.blocked is None and cue.strength >= RULE_THRESHOLD:
            found[cue.channel] = max(found.get(cue.channel, 0.0), cue.strength)
    return found
