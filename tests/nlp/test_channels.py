"""Channel rules on made-up sentences: a channel counts only when the text shows it used."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from cjm_interview.nlp import channels
from cjm_interview.nlp.channels import WEAK, channel_cues, detect_channels


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        # Used, tried, or something came through it.
        ("I called them three times last week", {"phone"}),
        ("they kept calling me at work", {"phone"}),
        ("sat on hold for forty minutes", {"phone"}),
        ("ringing customer services got me nowhere", {"phone"}),
        ("they sent me a letter saying the debt was sold", {"mail"}),
        ("I mailed the dispute by certified mail", {"mail"}),
        ("the new card came in the mail", {"mail"}),
        ("I got an email from them on Monday", {"email"}),
        ("I logged into my online account to check", {"web"}),
        ("tried to file a dispute online but it failed", {"web"}),
        ("their website said the branch was open", {"web"}),
        ("Found them on a price comparison site, then rang the helpline", {"web", "phone"}),
        ("compared deals on comparison websites", {"web"}),
        ("paid it through the app", {"app"}),
        ("chatted with an agent on live chat", {"chat"}),
        ("they texted me a code", {"chat"}),
        ("posted about it on Twitter", {"social"}),
        ("went to the branch and spoke to a teller", {"in_person"}),
        ("queued at the front desk for ages", {"in_person"}),
        ("a technician came to my house", {"field"}),
        ("took the cash out at the ATM", {"self_service"}),
        # "stop calling me": the calls happened.
        ("I told them to stop calling me", {"phone"}),
        ("nobody returned my calls", {"phone"}),
        # Not used: negated.
        ("I never received a letter from them", set()),
        ("I never got any notification by phone, text or email", set()),
        ("no one called me back", set()),
        # Not used: offered, asked for, promised, hypothetical.
        ("the agent told me to call the fraud line", set()),
        ("she said someone will email me by Friday", set()),
        ("they said they would mail me the paperwork", set()),
        ("you can apply online or in any branch", set()),
        ("if I had called sooner it might have been different", set()),
        ("I asked for a callback", set()),
        ("I asked for a copy of the letter", set()),
        ("I will ask for a refund by email", set()),
        # The channel the asking went through was used.
        ("I asked for a quote by email", {"email"}),
        ("I asked for a statement at the ticket machine", {"self_service"}),
        ("requested a refund on the live chat", {"chat"}),
        ("so I asked for a quote in the app; it worked", {"app"}),
        # ... only when the asking was done: not advised, planned, asked about or negated.
        ("Just ask for a refund by phone.", set()),
        ("The FAQ tells customers to request a replacement via the app.", set()),
        ("I'd like to ask for a refund by email.", set()),
        ("Did you ask for a refund by email?", set()),
        ("I did not ask for a refund by email.", set()),
        ("Nobody asked for a refund by email.", set()),
        ("They wouldn't let me request a refund by phone.", set()),
        # Not used: third parties, the text itself, objects that share a word.
        ("I called the police", set()),
        ("I filed a complaint with the CFPB", set()),
        ("this letter is my formal dispute", set()),
        ("I gave them my phone number and email address", set()),
        ("the transfer is on hold again", set()),
        ("a company called Apex bought the debt", set()),
        # Someone introduced by name; but one who rang, even on a named day, called.
        ("A friendly sales agent called Priya sorted it", set()),
        ("A rep called Monday to confirm", {"phone"}),
        ("An agent called me back the next day", {"phone"}),
        ("I was on video calls all day so I did it at lunch", set()),
        # Calls for one's own work are no contact with the service.
        ("I wanted faster internet for work calls", set()),
        ("I make business calls from home", set()),
        ("the crew were serving coffee and biscuits", set()),
        ("I met someone online who asked for money", set()),
        ("my phone screen cracked so I bought a new phone", set()),
        # A staff title or a queue places no one: it may have been a call.
        ("the branch manager told me the fee stands", set()),
        ("my personal banker said it was fixed", set()),
        ("I queued for an hour on the phone line", {"phone"}),
        # Cancellers that do not cancel.
        ("nobody answered the phone for days", {"phone"}),
        ("I can't log into the website", {"web"}),
        ("so I went in and asked them", {"in_person"}),
        ("a man from the bank sent me a letter", {"mail"}),
        ("I never got pictures and just sending letters again", {"mail"}),
        ("Attached please find the letter I sent to them", {"mail"}),
        ("I tried to change it in my online SunTrust account", {"web"}),
        # Visits told without a branch: the merchant or provider itself, a named place.
        ("the bill is from an emergency room visit last spring", {"in_person"}),
        ("I went to buy a used car and the dealer ran my credit", {"in_person"}),
        ("I drove to Walmart and spoke with the manager", {"in_person"}),
        # The fuel pump's card reader.
        ("the pump stopped after ten dollars", {"self_service"}),
        ("I paid at the pump with my debit card", {"self_service"}),
        ("I submitted the claim form electronically twice", {"web"}),
        # Not used: the complaint's enclosure, forwarded post, a regulator's site.
        ("the fees are listed in my letter that is attached", set()),
        ("we forwarded our mail to the new house", set()),
        ("I have reported your company to consumerfinance.gov", set()),
        # Visits told in other words than "went to the branch".
        ("I made a trip to the branch on Main Street to sort it out", {"in_person"}),
        ("I drove forty minutes to the nearest branch", {"in_person"}),
        ("I personally met a loan officer there in March", {"in_person"}),
        ("we sat down with a banker who opened the account", {"in_person"}),
        ("I met with the store manager about the refund", {"in_person"}),
        ("the teller at the drive-thru took my deposit", {"in_person"}),
        ("I waited in the bank lobby for an hour", {"in_person"}),
        ("an employee inside the branch refused to help", {"in_person"}),
        ("I was at the bank yesterday and they froze the card", {"in_person"}),
        ("I handed the clerk my ID and the receipt", {"in_person"}),
        ("I hand-delivered the dispute to their office", {"in_person"}),
        ("I returned the phone and they charged me anyway", set()),
        ("I bought a sofa from their store with their credit card", {"in_person"}),
        ("the treatment I got in the Emergency Room was poor", {"in_person"}),
        ("I had an appointment at the branch to sign the papers", {"in_person"}),
        # Look-alikes: a site, a product, an offer, a title, money in the bank.
        ("I went to the bank's website to check the balance", {"web"}),
        ("I bought it from their online store", {"web"}),
        ("the money in the bank is mine", set()),
        ("they told me to make a trip to the branch", set()),
        ("a meeting with a banker can be booked online", set()),
        ("the store manager said no refund", set()),
        # Calls told without the word: transfers between agents, messages left, a live person.
        ("I was transferred three times and nobody could help", {"phone"}),
        ("they transferred me to the fraud department", {"phone"}),
        ("I left several messages and none were returned", {"phone"}),
        ("I spent hours trying to reach a live person", {"phone"}),
        ("the funds were transferred to another account", set()),
        ("I left a message on their website form", {"web"}),
        # Post in the mailbox; a voicemail box is not.
        ("a notice showed up in my mailbox last week", {"mail"}),
        ("it went straight to a voice mailbox that was full", {"phone"}),
        # The website named as what was read or used.
        ("according to their website the fee is waived", {"web"}),
        ("I used their site to pay but the payment vanished", {"web"}),
        ("the loan documents were e-signed through DocuSign", {"web"}),
        # A home visit told as an inspection or a repossession from the driveway.
        ("they repossessed my car from my driveway at night", {"field"}),
        ("a man came by and inspected the property", {"field"}),
        # A handset carried back is no call; the visit still counts.
        ("I took the phone back to the store the next day", {"in_person"}),
        # A credential asked for, an opinion about a channel.
        ("she asked me to give my login and I refused", set()),
        ("I feel like sending my documents through the mail feels riskier", set()),
        # The harassment asked to stop happened, the phone named in the list with it.
        ("I want them to stop the phone and mail harassment", {"mail"}),
        ("I want them to stop the calls and letters", {"phone", "mail"}),
        # A comma before "I" starts a clause that "will" does not reach; a condition still does.
        ("I will be honest, I called them twice", {"phone"}),
        ("If they had written back, I would have called", set()),
        # More visits, site use and post told in other words.
        ("so I stopped in and asked for the manager", {"in_person"}),
        ("I deposited the cash at the local Chase bank on Friday", {"in_person"}),
        ("I walked out of the branch without my money", {"in_person"}),
        ("I showed my driver's license and they still refused", {"in_person"}),
        ("I tried several times to log onto the status check website", {"web"}),
        ("the payment I put in online was rejected", {"web"}),
        ("I sent the dispute by FedEx", {"mail"}),
        # Look-alikes: a work site, a money deposit by transfer, a third party's site.
        ("the contractor was at the job site all day", set()),
        ("my paycheck is deposited into my bank account", set()),
        ("I looked it up on the Better Business Bureau website", set()),
        ("the checks came in for small amounts", set()),
    ],
)
def test_channels_in_context(text: str, channels: set[str]) -> None:
    assert set(detect_channels(text)) == channels


def test_a_cue_says_why_it_does_not_count() -> None:
    cues = {c.blocked for c in channel_cues("She told me to call them, but I never got a letter")}
    assert {"hypothetical", "negated"} <= cues


def test_weak_cues_are_reported_but_do_not_count_alone() -> None:
    text = "Apparently they have a new website"
    assert [(c.channel, c.strength) for c in channel_cues(text)] == [("web", WEAK)]
    assert detect_channels(text) == {}


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        ("I had no idea what to do, so I called the bank", {"phone"}),
        # A channel that is the subject of a clause of its own after "and".
        ("the engineer never came and the helpline kept me waiting", {"phone"}),
        ("I never called and the website crashed", {"web"}),
        ("They said they would send a letter and the app told me to wait", {"app"}),
        # The same words as an object stay negated.
        ("I never called them and never used the website", set()),
        ("no letter and no email", set()),
        ("I didn't call and email them", set()),
    ],
)
def test_negation_does_not_reach_past_its_clause(text: str, channels: set[str]) -> None:
    assert set(detect_channels(text)) == channels


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        ("J'ai appelé le service client", {"phone"}),
        ("Je les ai eus au téléphone hier", {"phone"}),
        ("Je suis allée à l'agence", {"in_person"}),
        ("J'ai reçu un courriel de confirmation", {"email"}),
        ("En français un mail est un courriel", {"email"}),
        ("J'ai tout fait sur le site", {"web"}),
        ("J'ai payé avec l'appli", {"app"}),
        ("Ils m'ont envoyé une lettre recommandée", {"mail"}),
        ("Le technicien est venu chez moi", {"field"}),
        ("Je n'ai jamais reçu le courrier", set()),
        ("On m'a dit de rappeler demain", set()),
    ],
)
def test_french_cues(text: str, channels: set[str]) -> None:
    assert set(detect_channels(text, "fr")) == channels


def test_french_mail_is_not_english_post() -> None:
    assert set(detect_channels("I mailed it", "en")) == {"mail"}
    assert set(detect_channels("Je l'ai envoyé par mail", "fr")) == {"email"}


def test_a_regulators_site_is_the_complaints_own_medium() -> None:
    # The head may not overrule it: reporting to the regulator is how the complaint was sent.
    cues = channel_cues("I have reported your company to consumerfinance.gov")
    assert [c.blocked for c in cues if c.channel == "web"] == ["self"]
    assert detect_channels("I read the rules on the CFPB website") == {}


class _Counting:
    """A pattern that counts the characters it is asked to read."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.read = 0

    def search(self, text: str, *args: int) -> re.Match[str] | None:
        self.read += len(text)
        return self.pattern.search(text, *args)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        self.read += len(text)
        return self.pattern.finditer(text)

    def sub(self, repl: str, text: str) -> str:
        self.read += len(text)
        return self.pattern.sub(repl, text)


@pytest.mark.parametrize("phrase", ["i was transferred again ", "phone call ", "left messages "])
def test_a_long_unpunctuated_answer_is_read_in_linear_work(
    phrase: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each cue's context is a bounded window before it, not the whole sentence so far: the
    # characters read grow with the text, not with its square.
    def work(chars: int) -> int:
        counters = {
            name: _Counting(getattr(channels, name))
            for name in ("_CLAUSE", "_LIST_TAIL", "_HYPOTHETICAL_EN", "_REPORTED")
        }
        for name, counter in counters.items():
            monkeypatch.setattr(channels, name, counter)
        assert channel_cues((phrase * (chars // len(phrase) + 1))[:chars])
        for name, counter in counters.items():
            monkeypatch.setattr(channels, name, counter.pattern)
        return sum(c.read for c in counters.values())

    small, large = work(4_000), work(16_000)
    assert large < 5 * small
    assert large < 2_000 * 16_000 // len(phrase)


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        # A call returned or taken is a call; a handset carried is not.
        ("She finally returned my phone call on Friday", {"phone"}),
        ("They returned my phone calls promptly", {"phone"}),
        ("I took their phone call at work", {"phone"}),
        ("I brought my phone back to the shop", {"in_person"}),
        # Moved, not passed between agents on a call.
        ("We were transferred to a new loan servicer", set()),
        ("I was transferred to Chicago for work", set()),
        ("I got money transferred", set()),
        ("I was transferred $500 by mistake", set()),
        ("I was transferred to another department and waited", {"phone"}),
        ("we got transferred back and forth all afternoon", {"phone"}),
        ("they transferred me to a supervisor who was rude", {"phone"}),
        # A message left where no phone rings.
        ("I left a message via email", {"email"}),
        ("I left a message on their Facebook page", {"social"}),
        ("I left a message through the secure message center", set()),
        # Not a visit to the service.
        ("I sat down with my husband to go over the statements", set()),
        ("I personally spoke with their agent on the phone", {"phone"}),
        ("We were in a bank dispute for months", set()),
        ("I was in the bank's records as deceased", set()),
        ("Somebody inside the bank stole my identity", set()),
        ("The money went straight back to the bank", set()),
        ("I deposited the check at my bank using the mobile app", {"app"}),
        ("I showed my driver's license on the video call", set()),
        ("I had to drive through three states", set()),
        ("My husband was rushed to the emergency room", set()),
        ("I rushed my son to the emergency room", {"in_person"}),
        # A system back up, a mailbox of messages, are no use of the web or the post.
        ("The system took three days to come back online", set()),
        ("I checked my mailbox every day", set()),
        ("I sent a message to their secure mailbox", set()),
    ],
)
def test_look_alikes_of_calls_visits_and_post(text: str, channels: set[str]) -> None:
    assert set(detect_channels(text)) == channels


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        # Nearly done, or asked about, is no use of the channel.
        ("I almost requested a refund by phone", set()),
        # Nor is a wish put as a request, as improvement ideas are.
        ("Let me pick an earlier slot online or offer a mobile hotspot", set()),
        ("Just let us book online", set()),
        ("they let me pay online in the end", {"web"}),
        ("I nearly called them", set()),
        ("I almost had to go to the branch", set()),
        ("I was about to email them", set()),
        ("Have you requested a refund by phone?", set()),
        ("Did you call them?", set()),
        ("did you ever go to the branch", set()),
        ("Has anyone tried emailing them?", set()),
        # Used after all, or a use the sentence tells beside the near miss or the question.
        ("I requested a refund by phone", {"phone"}),
        ("I almost gave up, then requested a refund by phone", {"phone"}),
        ("Have you ever been kept on hold? I have, when I requested a refund by phone", {"phone"}),
        ("I almost always call them", {"phone"}),
        ("I nearly hung up after an hour on hold", {"phone"}),
        ("I nearly went mad waiting on hold", {"phone"}),
        ("I almost went home and called them", {"phone"}),
        ("I almost emailed them and called instead", {"phone"}),
        ("Why did you send me a letter?", {"mail"}),
        ("Did you even read the letter I sent you?", {"mail"}),
        # A question to the service that shows the channel at hand.
        ("do you have the corner sofa in stock at the Croydon store", {"in_person"}),
    ],
)
def test_a_use_nearly_made_or_asked_about_is_no_use(text: str, channels: set[str]) -> None:
    assert set(detect_channels(text)) == channels


@pytest.mark.parametrize(
    ("text", "channels"),
    [
        # A visit only promised is no visit.
        ("They said an engineer would be booked but nobody ever turned up", set()),
        ("A technician was supposed to come on Monday and never did", set()),
        ("the engineer was meant to visit last week", set()),
        ("an engineer will come round on Tuesday", set()),
        ("They said an engineer would come but nobody turned up", set()),
        ("A technician was due to visit but never showed up", set()),
        # One that happened still counts, "would" and all.
        ("the engineer would not leave until the line worked", {"field"}),
        ("The engineer came to the house and fixed the router", {"field"}),
        ("a technician came out the next day", {"field"}),
        ("The engineer was supposed to come at 8 and turned up at 4", {"field"}),
        # A visit that did not happen is no visit either.
        ("The engineer didn't show up", set()),
        ("the technician never turned up so I rang them", {"phone"}),
        ("the installer did not even come", set()),
        ("The engineer has not arrived yet and nobody rings back", set()),
        ("the engineer did not fix it", {"field"}),
        ("the engineer never came back to finish the job, he left it half done", {"field"}),
        # A role named among the people involved is no visit; one who came still is.
        ("My flatmate, the provider's installer and the landlord who allowed the work", set()),
        ("Me, the landlord, the engineer.", set()),
        ("we had the plumber, the electrician and the builder in", {"field"}),
        ("I called, then the technician came", {"phone", "field"}),
        ("The installer, who was lovely, fixed the line", {"field"}),
        # A chat with a person beside you is no chat with the service.
        ("I chatted with the woman next to me for the whole flight", set()),
        ("chatting with my wife while we queued", set()),
        ("we chatted to other passengers about the delay", set()),
        ("chatted with an agent on live chat", {"chat"}),
        ("I chatted with customer service for an hour", {"chat"}),
        ("I chatted with a lovely woman who sorted out my refund", {"chat"}),
        ("I chatted with them and they refunded me", {"chat"}),
    ],
)
def test_a_visit_only_promised_or_a_chat_with_a_neighbour_is_no_use(
    text: str, channels: set[str]
) -> None:
    assert set(detect_channels(text)) == channels
