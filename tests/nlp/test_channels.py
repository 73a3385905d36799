"""Channel rules on made-up sentences: a channel counts only when the text shows it used."""

from __future__ import annotations

import pytest

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
        # Not used: third parties, the text itself, objects that share a word.
        ("I called the police", set()),
        ("I filed a complaint with the CFPB", set()),
        ("this letter is my formal dispute", set()),
        ("I gave them my phone number and email address", set()),
        ("the transfer is on hold again", set()),
        ("a company called Apex bought the debt", set()),
        ("I was on video calls all day so I did it at lunch", set()),
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


def test_negation_does_not_reach_past_its_clause() -> None:
    assert set(detect_channels("I had no idea what to do, so I called the bank")) == {"phone"}


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
