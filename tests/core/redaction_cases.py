"""Realistic answers with personal data in several countries' formats, and harmless look-alikes.

Each personal case lists the substrings that must not survive redaction and
the placeholder expected in their place. Written for these tests; the numbers
are made up (IBANs and cards carry valid check digits so the checks are tested).
Also read by benchmarks/bench_redaction.py.
"""

from __future__ import annotations

# (text, substrings that must be gone, placeholder that must appear)
PERSONAL: list[tuple[str, tuple[str, ...], str]] = [
    # e-mail
    ("You can write to me at jo.smith+cjm@example.co.uk anytime", ("jo.smith",), "[email]"),
    ("mon adresse : claire.dubois@exemple.fr", ("claire.dubois",), "[email]"),
    # phones, international and national
    ("Tel. +49 (0)30/1234567, ask for me", ("1234567", "+49"), "[phone]"),
    ("Rappelez-moi au +33 6 12 34 56 78 svp", ("12 34 56 78", "+33"), "[phone]"),
    ("Sie erreichen mich unter 030/1234567", ("1234567",), "[phone]"),
    ("mein Handy: 0151 23456789", ("23456789",), "[phone]"),
    ("call me on 020 7946 0958 after six", ("7946", "0958"), "[phone]"),
    ("my mobile is 07911 123456", ("123456",), "[phone]"),
    ("text +44 7911 123456 if the engineer is late", ("7911", "123456"), "[phone]"),
    ("they called me from (212) 555-0187 twice", ("555-0187",), "[phone]"),
    ("my cell 415-555-2671, leave a message", ("555-2671",), "[phone]"),
    ("+1 415 555 2671 is my work line", ("555 2671",), "[phone]"),
    ("mon fixe c'est le 01 42 68 53 00", ("42 68 53 00",), "[phone]"),
    ("llámame al +34 612 345 678", ("612 345 678",), "[phone]"),
    ("il mio numero è +39 347 123 4567", ("123 4567",), "[phone]"),
    # payment cards (Luhn)
    ("they charged my card 4532 0151 1283 0366 twice", ("0366", "4532"), "[card]"),
    ("Amex 3714-496353-98431 was declined", ("98431",), "[card]"),
    # IBANs, whole
    (
        "Meine IBAN ist DE90 5011 0517 0924 8315 47, bitte erstatten",
        ("DE90", "8315", " 47"),
        "[iban]",
    ),
    ("refund to FR28 2004 1010 0505 0001 347M 026 please", ("FR28", "347M", "026"), "[iban]"),
    ("IBAN: GB29NWBK60161331926819", ("GB29", "26819"), "[iban]"),
    ("pagad a ES91 2100 0418 4502 0005 1332", ("ES91", "1332"), "[iban]"),
    ("rekening NL81 RABO 0312 3456 78", ("NL81", "3456 78"), "[iban]"),
    ("bonifico su IT60 X054 2811 1010 0000 0123 456", ("IT60", "456"), "[iban]"),
    # UK postcodes
    ("the shop at SW1A 1AA was closed", ("SW1A", "1AA"), "[postcode]"),
    ("they delivered to M1 1AE instead of my flat", ("M1 1AE",), "[postcode]"),
    ("I live near EC1V 9HX", ("EC1V",), "[postcode]"),
    # street addresses
    ("the engineer went to 12 Baker Street by mistake", ("12 Baker",), "[address]"),
    ("parcel left at 221B Baker St. with a neighbour", ("221B",), "[address]"),
    ("I moved to 48 Elm Grove last spring", ("48 Elm",), "[address]"),
    ("we were at 1600 Pennsylvania Avenue for hours", ("1600 Pennsylvania",), "[address]"),
    ("livré au 8 rue de la Paix, 75002 Paris", ("rue de la Paix", "75002"), "[address]"),
    ("j'habite 14 bis avenue Victor Hugo", ("Victor Hugo",), "[address]"),
    ("Lieferung an Hauptstraße 5, 10115 Berlin", ("Hauptstraße 5", "10115"), "[address]"),
    ("wir wohnen im Lindenweg 12a", ("Lindenweg 12a",), "[address]"),
    ("vivo en Calle Mayor 3", ("Mayor 3",), "[address]"),
    ("abito in Via Roma 12, Milano", ("Via Roma 12",), "[address]"),
    # names after a cue
    ("Hello, my name is Sarah Connor and I waited an hour", ("Sarah", "Connor"), "[name]"),
    ("Bonjour, je m'appelle Amélie Poulain", ("Amélie", "Poulain"), "[name]"),
    ("Ich heiße Jürgen Weber und wartete lange", ("Jürgen", "Weber"), "[name]"),
    ("Mein Name ist Anna Schmidt", ("Anna", "Schmidt"), "[name]"),
    ("me llamo Lucía García", ("Lucía", "García"), "[name]"),
    # national identity numbers
    ("my NI number is SJ 49 28 01 A", ("49 28 01",), "[ni-number]"),
    ("NINO AB123456C on the form", ("AB123456C",), "[ni-number]"),
    ("SSN 123-45-6789 was on the letter", ("123-45-6789",), "[ssn]"),
    ("they asked my social security number 219 09 9999", ("219 09 9999",), "[ssn]"),
    # dates of birth
    ("I was born on 14/03/1985 so they said I was too old", ("14/03/1985",), "[date-of-birth]"),
    ("DOB: 1990-07-21", ("1990-07-21",), "[date-of-birth]"),
    ("date of birth 3 March 1979 was wrong on the form", ("1979",), "[date-of-birth]"),
    ("née le 12 mars 1968 à Lyon", ("1968",), "[date-of-birth]"),
    ("geboren am 01.02.1975", ("01.02.1975",), "[date-of-birth]"),
    # Added after the patterns were written, and kept whatever the result.
    ("ring me on 0161 496 0000 tomorrow", ("496 0000",), "[phone]"),
    ("numéro: 06.12.34.56.78", ("12.34.56.78",), "[phone]"),
    ("Rückruf bitte an +49 170 1234567", ("1234567",), "[phone]"),
    ("pay it back to BE68 5390 0754 7034", ("BE68", "7034"), "[iban]"),
    ("card ending 5425 2334 3010 9903 was charged", ("9903",), "[card]"),
    ("my name's Tom Baker, call if you need me", ("Tom", "Baker"), "[name]"),
    ("D.O.B. 07/11/1962 on file", ("07/11/1962",), "[date-of-birth]"),
    ("they sent it to 7 Station Road, Leeds LS1 4DY", ("7 Station", "LS1 4DY"), "[address]"),
    ("je suis au 3 place Bellecour, 69002 Lyon", ("Bellecour", "69002"), "[address]"),
    ("my ssn is 078-05-1120", ("078-05-1120",), "[ssn]"),
]

# Text that looks like personal data and is not: must come out unchanged.
HARMLESS: list[str] = [
    "The appointment was on 2024-01-15 at the branch",
    "on 15/01/2024 I called and nobody answered",
    "They gave me ref 12345678 and said to wait",
    "order #A1234567 never arrived",
    "booking reference 4829301746 was not found",
    "the ticket number 0123456789 was on the email",
    "paid £1,250.00 for the installation",
    "it cost 89.99 euros and another 12.50 for delivery",
    "I waited from 14:30 to 16:45 on the phone",
    "flight BA 2490 was delayed by 3 hours",
    "about 12.5% more than the advert said",
    "back in 2019 it was much better",
    "I have been a customer since 1998",
    "the queue had 150 people in it",
    "they said 5 to 10 working days",
    "case number 20240115-0042 is still open",
    "my flat is on the 3rd floor, door 2",
    "we went to the High Street branch",
    "Platform 9 at King's Cross was closed",
    "I gave it a 7 out of 10",
    "version 2.3.1 of the app crashed",
    "the price went from 1200 to 1450 in a year",
    "order 20231130 shipped on 30.11.2023",
    "Tariff code 0800-FREE was advertised",
    "my name is on the contract",
    "je m'appelle et personne ne répond",
    "it took 3-4 weeks",
    "the 10 day trial ended on 01.03.2024",
    "Room 101, building B",
    "the engineer came at 8 am on day 2",
    # Added after the patterns were written, and kept whatever the result.
    "my parcel 00340434161094042557 is lost",
    "a 4-5 star rating at most",
    "the bill went up by 23.4 per cent on 1 April 2024",
    "I rang 3 times between 9.00 and 9.30",
    "they quoted 1 800 pounds for the boiler",
    "the 2nd of May 2023 was my first visit",
]
