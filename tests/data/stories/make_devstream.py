# ruff: noqa: E501  (template sentences read better unbroken; this is data)
"""Write ``devstream.jsonl``: a synthetic, labelled German/English news stream.

SYNTHETIC: every article is built from the hand-written templates and fact pools below
by a seeded random generator; no real news text is used. It exists to tune and test
the story clusterer on the hard cases we know of:

- the same people in different events (Musk's X spat vs. Tesla's earnings call vs. the
  Musk–Altman Roadster dispute; the same politicians at a summit and in a scandal);
- the same kind of event about different actors in the same week (two earnings
  reports, two strikes: only the names and numbers tell them apart);
- follow-ups one to three days after the first reports;
- syndicated copies (same text, another source and id);
- an English and a German report of one event.

Labels: ``story`` is the gold story *per language* (``<event>-<lang>``): monolingual
clustering is scored against it. ``event`` is shared by the German and English stories
of one event: cross-lingual links are scored against it.

Run: ``python tests/data/stories/make_devstream.py`` (deterministic; rewrites the file).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20181031
START = datetime(2025, 9, 1, 6, 0, tzinfo=UTC)
WEEKS = 6
EVENTS = 84

PEOPLE = [
    "Elon Musk",
    "Sam Altman",
    "Friedrich Merz",
    "Olaf Scholz",
    "Christine Lagarde",
    "Jerome Powell",
    "Annalena Baerbock",
    "Tim Cook",
    "Satya Nadella",
    "Ursula von der Leyen",
    "Robert Habeck",
    "Sundar Pichai",
    "Markus Söder",
    "Emmanuel Macron",
    "Giorgia Meloni",
    "Oliver Blume",
    "Christian Sewing",
    "Roland Busch",
    "Bill Gates",
    "Lars Klingbeil",
]
COMPANIES = [
    "Tesla",
    "OpenAI",
    "Siemens",
    "Volkswagen",
    "BMW",
    "SAP",
    "Deutsche Bank",
    "Lufthansa",
    "Bayer",
    "BASF",
    "Apple",
    "Microsoft",
    "Google",
    "Amazon",
    "Allianz",
    "Adidas",
    "Porsche",
    "Infineon",
    "Zalando",
    "Commerzbank",
    "Mercedes-Benz",
    "Nvidia",
    "Airbus",
    "Telekom",
]
CARMAKERS = [
    "Tesla",
    "Volkswagen",
    "BMW",
    "Porsche",
    "Mercedes-Benz",
    "Stellantis",
    "Toyota",
    "Audi",
]
MUSK_KINDS = {"earnings", "launch", "recall", "spat", "summit", "layoffs", "acquisition"}
CITIES = [
    ("Berlin", "Berlin"),
    ("Munich", "München"),
    ("Hamburg", "Hamburg"),
    ("Frankfurt", "Frankfurt"),
    ("Cologne", "Köln"),
    ("Paris", "Paris"),
    ("London", "London"),
    ("Vienna", "Wien"),
    ("Zurich", "Zürich"),
    ("Brussels", "Brüssel"),
    ("Stuttgart", "Stuttgart"),
    ("Leipzig", "Leipzig"),
    ("Dresden", "Dresden"),
    ("Hanover", "Hannover"),
    ("Rome", "Rom"),
]
TOPICS = [
    ("artificial intelligence", "künstliche Intelligenz"),
    ("migration", "Migration"),
    ("energy prices", "Energiepreise"),
    ("free speech", "Meinungsfreiheit"),
    ("tariffs", "Zölle"),
    ("climate policy", "Klimapolitik"),
    ("defence spending", "Verteidigungsausgaben"),
    ("housing", "Wohnungsbau"),
]
DEFECTS = [
    ("faulty brakes", "fehlerhafte Bremsen"),
    ("a software bug", "einen Softwarefehler"),
    ("airbag problems", "Probleme mit Airbags"),
    ("battery fires", "Batteriebrände"),
]
PRODUCTS = ["Model Q", "Vision X", "Neo 7", "Aura Pro", "Pulse 3", "Orbit", "Nova S"]
TEAMS = [
    "Bayern Munich",
    "Borussia Dortmund",
    "RB Leipzig",
    "Bayer Leverkusen",
    "Eintracht Frankfurt",
    "VfB Stuttgart",
    "Arsenal",
    "Real Madrid",
]
PLAYERS = [
    "Jamal Musiala",
    "Florian Wirtz",
    "Kai Havertz",
    "Leroy Sané",
    "Joshua Kimmich",
    "Niclas Füllkrug",
    "Serge Gnabry",
    "Antonio Rüdiger",
]
UNIONS = [
    ("Verdi", "Verdi"),
    ("IG Metall", "IG Metall"),
    ("the GDL train drivers' union", "die Lokführergewerkschaft GDL"),
]
STORMS = [
    "Zoltan",
    "Ylenia",
    "Bernd",
    "Ciarán",
    "Herta",
    "Sabine",
    "Kirsten",
    "Ignatz",
    "Friederike",
    "Burglind",
    "Xavier",
    "Eunice",
]
BANKS = [
    ("ECB", "EZB", "Christine Lagarde"),
    ("Bundesbank", "Bundesbank", "Joachim Nagel"),
    ("Fed", "Fed", "Jerome Powell"),
    ("Bank of England", "Bank of England", "Andrew Bailey"),
    ("Swiss National Bank", "Schweizerische Nationalbank", "Martin Schlegel"),
    ("Bank of Japan", "Bank of Japan", "Kazuo Ueda"),
]

# Each event type: titles and facts per language; {slots} are filled per event.
TYPES: dict[str, dict[str, dict[str, list[str]]]] = {
    "earnings": {
        "en": {
            "titles": [
                "{company} posts {pct} percent profit jump in third quarter",
                "{company} quarterly revenue reaches {amount} billion euros",
                "{company} beats forecasts, {person} upbeat on outlook",
            ],
            "facts": [
                "{company} reported revenue of {amount} billion euros for the third quarter.",
                "Net profit at {company} rose {pct} percent compared with a year earlier.",
                "Chief executive {person} told analysts on the earnings call that demand remained strong.",
                "Shares of {company} climbed {pct2} percent in after-hours trading.",
                "{person} said {company} would raise its full-year guidance.",
                "Analysts had expected revenue of about {amount2} billion euros.",
            ],
            "follow": [
                "A day after the results, {company} shares extended their rally.",
                "Several brokers raised their price targets for {company} following the earnings call with {person}.",
            ],
        },
        "de": {
            "titles": [
                "{company} steigert Gewinn im dritten Quartal um {pct} Prozent",
                "{company} meldet Quartalsumsatz von {amount} Milliarden Euro",
                "{company} übertrifft Erwartungen – {person} zuversichtlich",
            ],
            "facts": [
                "{company} erzielte im dritten Quartal einen Umsatz von {amount} Milliarden Euro.",
                "Der Nettogewinn von {company} stieg im Jahresvergleich um {pct} Prozent.",
                "Vorstandschef {person} sagte in der Telefonkonferenz mit Analysten, die Nachfrage bleibe stark.",
                "Die Aktie von {company} legte nachbörslich um {pct2} Prozent zu.",
                "{person} kündigte an, {company} werde die Jahresprognose anheben.",
                "Analysten hatten mit einem Umsatz von etwa {amount2} Milliarden Euro gerechnet.",
            ],
            "follow": [
                "Einen Tag nach den Zahlen setzte die {company}-Aktie ihren Höhenflug fort.",
                "Mehrere Banken hoben nach der Telefonkonferenz mit {person} ihre Kursziele für {company} an.",
            ],
        },
    },
    "layoffs": {
        "en": {
            "titles": [
                "{company} to cut {num} jobs in {city}",
                "{company} announces {num} job cuts as costs rise",
                "Thousands protest as {company} plans layoffs in {city}",
            ],
            "facts": [
                "{company} said it will cut {num} jobs at its site in {city} by 2027.",
                "The company blamed weak demand and high energy costs for the job cuts.",
                "{union} called the layoffs at {company} a betrayal of the workforce.",
                "Works council members in {city} said they would fight the plan.",
                "The cuts are part of a savings programme worth {amount} billion euros.",
            ],
            "follow": [
                "Workers at the {city} site of {company} staged a walkout against the job cuts.",
                "{company} and {union} began talks over a social plan for the {num} jobs.",
            ],
        },
        "de": {
            "titles": [
                "{company} streicht {num} Stellen in {city}",
                "{company} kündigt Abbau von {num} Arbeitsplätzen an",
                "Proteste gegen Stellenabbau bei {company} in {city}",
            ],
            "facts": [
                "{company} will an seinem Standort in {city} bis 2027 {num} Stellen abbauen.",
                "Das Unternehmen begründete den Stellenabbau mit schwacher Nachfrage und hohen Energiekosten.",
                "{union} nannte den Abbau bei {company} einen Verrat an der Belegschaft.",
                "Der Betriebsrat in {city} kündigte Widerstand gegen die Pläne an.",
                "Der Abbau ist Teil eines Sparprogramms im Umfang von {amount} Milliarden Euro.",
            ],
            "follow": [
                "Beschäftigte am Standort {city} von {company} legten aus Protest die Arbeit nieder.",
                "{company} und {union} nahmen Gespräche über einen Sozialplan für die {num} Stellen auf.",
            ],
        },
    },
    "acquisition": {
        "en": {
            "titles": [
                "{company} agrees to buy {company2} for {amount} billion",
                "{company} strikes {amount} billion deal for {company2}",
                "Regulators to review {company} takeover of {company2}",
            ],
            "facts": [
                "{company} agreed to acquire {company2} in a deal valued at {amount} billion euros.",
                "The offer represents a premium of {pct} percent over {company2}'s closing price.",
                "{person} said the takeover would create a European champion.",
                "The deal still needs approval from competition authorities in Brussels.",
                "Shares of {company2} jumped {pct2} percent on the news.",
            ],
            "follow": [
                "The European Commission opened a preliminary review of the {company} bid for {company2}.",
                "A major shareholder of {company2} said the {amount} billion offer was too low.",
            ],
        },
        "de": {
            "titles": [
                "{company} übernimmt {company2} für {amount} Milliarden",
                "Milliardendeal: {company} kauft {company2}",
                "Kartellwächter prüfen Übernahme von {company2} durch {company}",
            ],
            "facts": [
                "{company} hat sich auf die Übernahme von {company2} für {amount} Milliarden Euro geeinigt.",
                "Das Angebot liegt {pct} Prozent über dem Schlusskurs von {company2}.",
                "{person} sagte, durch die Übernahme entstehe ein europäischer Champion.",
                "Der Deal muss noch von den Wettbewerbsbehörden in Brüssel genehmigt werden.",
                "Die Aktie von {company2} sprang nach der Nachricht um {pct2} Prozent nach oben.",
            ],
            "follow": [
                "Die EU-Kommission leitete eine Vorprüfung des Angebots von {company} für {company2} ein.",
                "Ein Großaktionär von {company2} nannte das Angebot über {amount} Milliarden zu niedrig.",
            ],
        },
    },
    "strike": {
        "en": {
            "titles": [
                "{union} strike halts {company} operations in {city}",
                "Strike at {company}: {num} workers walk out",
                "Travellers stranded as {union} strikes in {city}",
            ],
            "facts": [
                "{union} called {num} workers at {company} in {city} out on a 48-hour strike.",
                "The union is demanding a pay rise of {pct} percent.",
                "{company} called the strike disproportionate and urged the union to return to talks.",
                "Hundreds of passengers were stranded at {city} on Tuesday morning.",
                "Negotiations between {union} and {company} broke down last week.",
            ],
            "follow": [
                "{union} and {company} agreed to resume talks after the strike in {city} ended.",
                "{company} said the strike in {city} cost it about {amount} million euros.",
            ],
        },
        "de": {
            "titles": [
                "{union}-Streik legt {company} in {city} lahm",
                "Streik bei {company}: {num} Beschäftigte legen Arbeit nieder",
                "Reisende in {city} gestrandet – {union} streikt",
            ],
            "facts": [
                "{union} rief {num} Beschäftigte von {company} in {city} zu einem 48-stündigen Streik auf.",
                "Die Gewerkschaft fordert eine Lohnerhöhung von {pct} Prozent.",
                "{company} nannte den Streik unverhältnismäßig und forderte eine Rückkehr an den Verhandlungstisch.",
                "Hunderte Fahrgäste saßen am Dienstagmorgen in {city} fest.",
                "Die Verhandlungen zwischen {union} und {company} waren vergangene Woche gescheitert.",
            ],
            "follow": [
                "{union} und {company} wollen nach dem Streik in {city} wieder verhandeln.",
                "Der Streik in {city} kostete {company} nach eigenen Angaben rund {amount} Millionen Euro.",
            ],
        },
    },
    "storm": {
        "en": {
            "titles": [
                "Storm {storm} batters {city}, {num} evacuated",
                "Storm {storm}: flooding and power cuts in {city}",
                "{num} people evacuated as storm {storm} hits",
            ],
            "facts": [
                "Storm {storm} brought winds of up to {num2} kilometres per hour to {city}.",
                "Authorities evacuated {num} residents from low-lying areas.",
                "Train services around {city} were suspended after trees fell onto the tracks.",
                "About {num3} households were left without power overnight.",
                "The weather service warned that storm {storm} would move east on Wednesday.",
            ],
            "follow": [
                "Clean-up work began in {city} after storm {storm} passed.",
                "Insurers estimated the damage from storm {storm} at {amount} million euros.",
            ],
        },
        "de": {
            "titles": [
                "Sturm {storm} wütet in {city} – {num} Menschen evakuiert",
                "Orkan {storm}: Überschwemmungen und Stromausfälle in {city}",
                "{num} Evakuierte nach Sturm {storm}",
            ],
            "facts": [
                "Sturm {storm} erreichte in {city} Windgeschwindigkeiten von bis zu {num2} Kilometern pro Stunde.",
                "Die Behörden brachten {num} Anwohner aus tief gelegenen Gebieten in Sicherheit.",
                "Der Zugverkehr rund um {city} wurde eingestellt, nachdem Bäume auf die Gleise gestürzt waren.",
                "Rund {num3} Haushalte waren über Nacht ohne Strom.",
                "Der Wetterdienst warnte, Sturm {storm} ziehe am Mittwoch weiter nach Osten.",
            ],
            "follow": [
                "In {city} begannen nach Sturm {storm} die Aufräumarbeiten.",
                "Versicherer schätzen den Schaden durch Sturm {storm} auf {amount} Millionen Euro.",
            ],
        },
    },
    "breach": {
        "en": {
            "titles": [
                "Hackers steal data of {num} {company} customers",
                "{company} confirms cyberattack, customer data exposed",
                "Data breach at {company}: what customers need to know",
            ],
            "facts": [
                "{company} said hackers had accessed personal data of {num} customers.",
                "The stolen data includes names, email addresses and in some cases bank details.",
                "The company has informed the data protection authority in {city}.",
                "Security researchers linked the attack to a ransomware group.",
                "{company} urged customers to change their passwords immediately.",
            ],
            "follow": [
                "The data protection authority in {city} opened proceedings against {company} over the breach.",
                "{company} said the number of affected customers was higher than the {num} first reported.",
            ],
        },
        "de": {
            "titles": [
                "Hacker erbeuten Daten von {num} {company}-Kunden",
                "{company} bestätigt Cyberangriff – Kundendaten betroffen",
                "Datenleck bei {company}: Was Kunden jetzt wissen müssen",
            ],
            "facts": [
                "{company} zufolge haben Hacker auf persönliche Daten von {num} Kunden zugegriffen.",
                "Zu den gestohlenen Daten gehören Namen, E-Mail-Adressen und teils Bankverbindungen.",
                "Das Unternehmen hat die Datenschutzbehörde in {city} informiert.",
                "Sicherheitsforscher bringen den Angriff mit einer Ransomware-Gruppe in Verbindung.",
                "{company} rief die Kunden auf, ihre Passwörter sofort zu ändern.",
            ],
            "follow": [
                "Die Datenschutzbehörde in {city} leitete wegen des Lecks ein Verfahren gegen {company} ein.",
                "{company} zufolge sind mehr Kunden betroffen als die zunächst gemeldeten {num}.",
            ],
        },
    },
    "launch": {
        "en": {
            "titles": [
                "{company} unveils {product} at {city} event",
                "{company}'s new {product} to cost {amount} euros",
                "First look: {company} {product}",
            ],
            "facts": [
                "{company} presented the {product} at an event in {city} on Tuesday.",
                "The {product} will go on sale in {month} at a price of {amount} euros.",
                "{person} called the {product} the most important launch in the company's history.",
                "Reviewers praised the design but criticised the battery life.",
                "{company} expects to sell {num} units in the first year.",
            ],
            "follow": [
                "Pre-orders for the {company} {product} sold out within hours.",
                "Early buyers of the {product} reported software problems.",
            ],
        },
        "de": {
            "titles": [
                "{company} stellt {product} in {city} vor",
                "Neues {product} von {company} kostet {amount} Euro",
                "Erster Eindruck: {company} {product}",
            ],
            "facts": [
                "{company} präsentierte das {product} am Dienstag bei einer Veranstaltung in {city}.",
                "Das {product} kommt im {monat} für {amount} Euro in den Handel.",
                "{person} nannte das {product} den wichtigsten Produktstart der Firmengeschichte.",
                "Tester lobten das Design, kritisierten aber die Akkulaufzeit.",
                "{company} rechnet im ersten Jahr mit {num} verkauften Geräten.",
            ],
            "follow": [
                "Die Vorbestellungen für das {product} von {company} waren binnen Stunden ausverkauft.",
                "Erste Käufer des {product} berichten von Softwareproblemen.",
            ],
        },
    },
    "spat": {
        "en": {
            "titles": [
                "{person} lashes out at {person2} on X over {topic}",
                "{person} and {person2} trade insults on X",
                "Row over {topic}: {person} attacks {person2}",
            ],
            "facts": [
                "{person} accused {person2} of lying about {topic} in a post on X.",
                "The post was viewed more than {num} times within hours.",
                "{person2} replied that {person} was spreading misinformation.",
                "The exchange is the latest in a long feud between the two.",
                "Supporters of {person2} called for a boycott of the platform.",
            ],
            "follow": [
                "{person} doubled down on his criticism of {person2} a day later.",
                "{person2} said he would not respond further to {person}.",
            ],
        },
        "de": {
            "titles": [
                "{person} attackiert {person2} auf X wegen {topic_de}",
                "Schlagabtausch auf X: {person} gegen {person2}",
                "Streit um {topic_de}: {person} greift {person2} an",
            ],
            "facts": [
                "{person} warf {person2} in einem Beitrag auf X vor, über {topic_de} zu lügen.",
                "Der Beitrag wurde binnen Stunden mehr als {num} Mal angesehen.",
                "{person2} entgegnete, {person} verbreite Falschinformationen.",
                "Der Wortwechsel ist der jüngste in einer langen Fehde der beiden.",
                "Anhänger von {person2} riefen zum Boykott der Plattform auf.",
            ],
            "follow": [
                "{person} legte einen Tag später mit neuer Kritik an {person2} nach.",
                "{person2} kündigte an, nicht weiter auf {person} zu reagieren.",
            ],
        },
    },
    "rates": {
        "en": {
            "titles": [
                "{bank} keeps rates at {pct} percent",
                "{person} signals end of rate cuts at {bank}",
                "{bank} holds interest rates as inflation lingers",
            ],
            "facts": [
                "The {bank} left its key interest rate unchanged at {pct} percent.",
                "{person} told reporters in {city} that inflation was still too high.",
                "Markets had widely expected the decision.",
                "Economists expect the next move in {month} at the earliest.",
                "The euro rose slightly against the dollar after the announcement.",
            ],
            "follow": [
                "Minutes released later showed {bank} policymakers were divided.",
                "{person} repeated that further cuts were not on the agenda.",
            ],
        },
        "de": {
            "titles": [
                "{bank} belässt Leitzins bei {pct} Prozent",
                "{person} deutet Ende der Zinssenkungen an",
                "{bank} hält Zinsen stabil – Inflation bleibt hartnäckig",
            ],
            "facts": [
                "Die {bank} ließ ihren Leitzins unverändert bei {pct} Prozent.",
                "{person} sagte vor Journalisten in {city}, die Inflation sei weiter zu hoch.",
                "Die Märkte hatten mit der Entscheidung weitgehend gerechnet.",
                "Ökonomen erwarten den nächsten Schritt frühestens im {monat}.",
                "Der Euro legte nach der Ankündigung leicht gegenüber dem Dollar zu.",
            ],
            "follow": [
                "Später veröffentlichte Protokolle zeigen, dass die Notenbanker der {bank} uneins waren.",
                "{person} bekräftigte, weitere Senkungen stünden nicht auf der Tagesordnung.",
            ],
        },
    },
    "transfer": {
        "en": {
            "titles": [
                "{team} sign {player} for {amount} million",
                "{player} joins {team} in record deal",
                "{team} complete {amount} million move for {player}",
            ],
            "facts": [
                "{team} have signed {player} for a fee of {amount} million euros.",
                "{player} agreed a contract until 2030.",
                "It is the most expensive transfer in the club's history.",
                "{player} passed his medical in {city} on Monday.",
                "The coach said {player} would make the team stronger immediately.",
            ],
            "follow": [
                "{player} was presented to fans of {team} in front of {num} spectators.",
                "{player} trained with {team} for the first time on Thursday.",
            ],
        },
        "de": {
            "titles": [
                "{team} verpflichtet {player} für {amount} Millionen",
                "Rekordtransfer: {player} wechselt zu {team}",
                "{player} ist da: {team} zahlt {amount} Millionen",
            ],
            "facts": [
                "{team} hat {player} für eine Ablöse von {amount} Millionen Euro verpflichtet.",
                "{player} unterschrieb einen Vertrag bis 2030.",
                "Es ist der teuerste Transfer der Vereinsgeschichte.",
                "{player} absolvierte am Montag in {city} den Medizincheck.",
                "Der Trainer sagte, {player} mache die Mannschaft sofort besser.",
            ],
            "follow": [
                "{player} wurde den Fans von {team} vor {num} Zuschauern vorgestellt.",
                "{player} trainierte am Donnerstag erstmals mit {team}.",
            ],
        },
    },
    "recall": {
        "en": {
            "titles": [
                "{company} recalls {num} vehicles over {defect}",
                "{company} recall: {num} cars affected",
                "Regulator orders {company} recall",
            ],
            "facts": [
                "{company} is recalling {num} vehicles worldwide because of {defect}.",
                "The Federal Motor Transport Authority ordered the recall.",
                "Owners will be contacted by letter and repairs are free of charge.",
                "No accidents linked to the problem have been reported so far.",
                "The recall affects models built between 2022 and 2024.",
            ],
            "follow": [
                "{company} said the repairs for the {num} vehicles would take until spring.",
                "Consumer groups demanded compensation from {company} for owners.",
            ],
        },
        "de": {
            "titles": [
                "{company} ruft {num} Fahrzeuge wegen {defect_de} zurück",
                "Rückruf bei {company}: {num} Autos betroffen",
                "KBA ordnet Rückruf bei {company} an",
            ],
            "facts": [
                "{company} ruft weltweit {num} Fahrzeuge wegen {defect_de} zurück.",
                "Das Kraftfahrt-Bundesamt hat den Rückruf angeordnet.",
                "Die Halter werden angeschrieben, die Reparatur ist kostenlos.",
                "Unfälle im Zusammenhang mit dem Problem sind bislang nicht bekannt.",
                "Betroffen sind Modelle der Baujahre 2022 bis 2024.",
            ],
            "follow": [
                "{company} zufolge dauern die Reparaturen an den {num} Fahrzeugen bis zum Frühjahr.",
                "Verbraucherschützer fordern von {company} eine Entschädigung der Halter.",
            ],
        },
    },
    "summit": {
        "en": {
            "titles": [
                "{person} meets {person2} in {city} for talks on {topic}",
                "{person} and {person2} agree closer cooperation on {topic}",
                "Summit in {city}: {person} hosts {person2}",
            ],
            "facts": [
                "{person} received {person2} in {city} for talks on {topic}.",
                "Both sides agreed to set up a joint working group.",
                "{person2} said the talks had been constructive.",
                "Protesters gathered outside the venue in {city}.",
                "A joint declaration is expected to be signed in {month}.",
            ],
            "follow": [
                "After the {city} talks, {person} said more meetings with {person2} would follow.",
                "Critics said the summit of {person} and {person2} produced few results.",
            ],
        },
        "de": {
            "titles": [
                "{person} trifft {person2} in {city} zu Gesprächen über {topic_de}",
                "{person} und {person2} vereinbaren engere Zusammenarbeit",
                "Gipfel in {city}: {person} empfängt {person2}",
            ],
            "facts": [
                "{person} empfing {person2} in {city} zu Gesprächen über {topic_de}.",
                "Beide Seiten vereinbarten eine gemeinsame Arbeitsgruppe.",
                "{person2} nannte die Gespräche konstruktiv.",
                "Vor dem Tagungsort in {city} versammelten sich Demonstranten.",
                "Eine gemeinsame Erklärung soll im {monat} unterzeichnet werden.",
            ],
            "follow": [
                "Nach den Gesprächen in {city} kündigte {person} weitere Treffen mit {person2} an.",
                "Kritiker bemängelten, der Gipfel von {person} und {person2} habe wenig gebracht.",
            ],
        },
    },
    "protest": {
        "en": {
            "titles": [
                "{num} march in {city} against {topic} plans",
                "Mass protest in {city} over {topic}",
                "Police: {num} at {city} demonstration",
            ],
            "facts": [
                "About {num} people marched through {city} on Saturday to protest against {topic} plans.",
                "Organisers had expected fewer participants.",
                "Police said the protest in {city} was largely peaceful.",
                "Speakers called on {person} to change course.",
                "Traffic in the city centre was disrupted for several hours.",
            ],
            "follow": [
                "Organisers announced another protest in {city} for next weekend.",
                "{person} said he understood the concerns of the {city} protesters.",
            ],
        },
        "de": {
            "titles": [
                "{num} Menschen demonstrieren in {city} gegen Pläne zu {topic_de}",
                "Großdemo in {city} wegen {topic_de}",
                "Polizei: {num} Teilnehmer bei Demo in {city}",
            ],
            "facts": [
                "Rund {num} Menschen zogen am Samstag durch {city}, um gegen Pläne zu {topic_de} zu protestieren.",
                "Die Veranstalter hatten mit weniger Teilnehmern gerechnet.",
                "Die Polizei sprach von einem weitgehend friedlichen Protest in {city}.",
                "Redner forderten {person} zu einem Kurswechsel auf.",
                "Der Verkehr in der Innenstadt war über Stunden beeinträchtigt.",
            ],
            "follow": [
                "Die Veranstalter kündigten für das kommende Wochenende eine weitere Demo in {city} an.",
                "{person} sagte, er verstehe die Sorgen der Demonstranten in {city}.",
            ],
        },
    },
}

FILLER = {
    "en": [
        "The company did not respond to a request for comment.",
        "More details are expected in the coming days.",
        "This is a developing story and will be updated.",
        "Reporting by our correspondents; editing by the news desk.",
    ],
    "de": [
        "Das Unternehmen reagierte nicht auf eine Anfrage.",
        "Weitere Einzelheiten werden in den kommenden Tagen erwartet.",
        "Die Meldung wird aktualisiert.",
        "Mit Material von Nachrichtenagenturen.",
    ],
}
SOURCES = {
    "en": ["reuters", "apnews", "bbc", "guardian", "ft", "cnbc", "dw-en", "politico"],
    "de": ["spiegel", "zeit", "faz", "sz", "tagesschau", "handelsblatt", "heise", "dpa"],
}
MONTHS = [("January", "Januar"), ("February", "Februar"), ("March", "März"), ("April", "April")]

# Hand-written: the seed's Musk–Altman Roadster dispute, and Musk in two other events.
ROADSTER = {
    "en": {
        "titles": [
            "Musk and Altman trade barbs over cancelled Tesla Roadster reservation",
            "Altman wants his Roadster deposit back, Musk hits back on X",
            "Sam Altman vs Elon Musk: the 39,000 euro Roadster row",
        ],
        "facts": [
            "Sam Altman posted screenshots of his attempt to recover a 39,000 euro deposit for a Tesla Roadster he reserved in 2018.",
            "Elon Musk replied on X that Altman had received a refund within 24 hours.",
            "The OpenAI CEO wrote that 7.5 years was a long time to wait for a car.",
            "Musk and Altman co-founded OpenAI before Musk left its board in 2018.",
            "The Roadster was first announced in 2017 and has still not gone into production.",
        ],
        "follow": [
            "Altman later said the Roadster refund had indeed arrived, but the feud with Musk continued."
        ],
    },
    "de": {
        "titles": [
            "Musk vs. Altman: 39.000 Euro, ein Roadster – und das Ego zweier KI-Götter",
            "Altman will Roadster-Anzahlung zurück – Musk kontert auf X",
            "Streit um stornierten Tesla Roadster: Musk gegen Altman",
        ],
        "facts": [
            "Sam Altman veröffentlichte Screenshots seines Versuchs, eine 2018 geleistete Anzahlung von 39.000 Euro für den Tesla Roadster zurückzufordern.",
            "Elon Musk konterte auf X, Altman habe die Rückerstattung innerhalb von 24 Stunden erhalten.",
            "Der OpenAI-Chef schrieb, 7,5 Jahre seien eine lange Zeit zum Warten.",
            "Musk und Altman gründeten OpenAI gemeinsam, bevor Musk 2018 den Vorstand verließ.",
            "Der Roadster wurde 2017 angekündigt und ist bis heute nicht in Produktion.",
        ],
        "follow": [
            "Altman bestätigte später die Rückerstattung für den Roadster, der Streit mit Musk geht weiter."
        ],
    },
}


def _fill(template: str, slots: dict[str, str]) -> str:
    return template.format(**slots)


def _slots(rng: random.Random, kind: str) -> dict[str, str]:
    person, person2 = rng.sample(PEOPLE, 2)
    company, company2 = rng.sample(COMPANIES, 2)
    city = rng.choice(CITIES)
    topic = rng.choice(TOPICS)
    defect = rng.choice(DEFECTS)
    union = rng.choice(UNIONS)
    month = rng.choice(MONTHS)
    amount = rng.choice([f"{rng.randint(2, 95)}", f"{rng.randint(1, 9)}.{rng.randint(1, 9)}"])
    slots = {
        "person": person,
        "person2": person2,
        "company": company,
        "company2": company2,
        "city": city[0],
        "city_de": city[1],
        "topic": topic[0],
        "topic_de": topic[1],
        "defect": defect[0],
        "defect_de": defect[1],
        "union": union[0],
        "union_de": union[1],
        "month": month[0],
        "monat": month[1],
        "amount": amount,
        "amount2": str(rng.randint(2, 95)),
        "pct": str(rng.randint(2, 40)),
        "pct2": str(rng.randint(2, 12)),
        "num": f"{rng.randint(2, 95) * 100:,}",
        "num2": str(rng.randint(90, 160)),
        "num3": f"{rng.randint(10, 90) * 1000:,}",
        "product": rng.choice(PRODUCTS),
        "team": rng.choice(TEAMS),
        "player": rng.choice(PLAYERS),
        "storm": "",
        "bank": "",
        "bank_de": "",
    }
    return slots


def _localise(slots: dict[str, str], lang: str) -> dict[str, str]:
    """German spellings of cities, unions and numbers (``12,000`` → ``12.000``)."""
    if lang == "en" or not slots:
        return slots
    out = dict(slots)
    out["city"], out["union"] = slots["city_de"], slots["union_de"]
    out["bank"] = slots["bank_de"]
    for key in ("num", "num3", "amount"):
        out[key] = slots[key].replace(",", "#").replace(".", ",").replace("#", ".")
    return out


def _events(rng: random.Random) -> list[dict[str, Any]]:
    kinds = sorted(TYPES)
    storms = rng.sample(STORMS, len(STORMS))  # a storm name is used once
    events: list[dict[str, Any]] = []
    for n in range(EVENTS):
        kind = kinds[n % len(kinds)]
        slots = _slots(rng, kind)
        slots["storm"] = storms[n % len(storms)]
        bank, bank_de, governor = BANKS[n % len(BANKS)]  # one decision per bank
        slots["bank"], slots["bank_de"] = bank, bank_de
        if kind == "rates":
            slots["person"] = governor
        if kind == "recall":
            slots["company"] = rng.choice(CARMAKERS)
        if n % 9 == 0 and kind in MUSK_KINDS:  # the same people in different events
            slots["person"] = "Elon Musk"
            if kind in {"earnings", "recall", "launch"}:
                slots["company"] = "Tesla"
        langs = rng.choices([("en", "de"), ("en",), ("de",)], weights=[70, 15, 15])[0]
        start = START + timedelta(hours=rng.randint(0, WEEKS * 7 * 24 - 96))
        events.append(
            {
                "id": f"ev{n:03d}-{kind}",
                "kind": kind,
                "slots": slots,
                "langs": langs,
                "start": start,
                "templates": TYPES[kind],
            }
        )
    # The seed's dispute, Musk's earnings call and Musk's X spat, in the same week.
    week = START + timedelta(days=16)
    musk_earnings = _slots(rng, "earnings") | {"person": "Elon Musk", "company": "Tesla"}
    musk_spat = _slots(rng, "spat") | {
        "person": "Elon Musk",
        "person2": "Sam Altman",
        "topic": "artificial intelligence",
        "topic_de": "künstliche Intelligenz",
    }
    events.append(
        {
            "id": "ev900-roadster",
            "kind": "roadster",
            "slots": {},
            "langs": ("en", "de"),
            "start": week,
            "templates": ROADSTER,
        }
    )
    events.append(
        {
            "id": "ev901-earnings",
            "kind": "earnings",
            "slots": musk_earnings,
            "langs": ("en", "de"),
            "start": week + timedelta(hours=20),
            "templates": TYPES["earnings"],
        }
    )
    events.append(
        {
            "id": "ev902-spat",
            "kind": "spat",
            "slots": musk_spat,
            "langs": ("en", "de"),
            "start": week + timedelta(days=2),
            "templates": TYPES["spat"],
        }
    )
    return events


def _articles(rng: random.Random, event: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for lang in event["langs"]:
        tpl = event["templates"][lang]
        slots = _localise(event["slots"], lang)
        count = rng.randint(3, 7)
        when = event["start"] + timedelta(minutes=rng.randint(0, 240))
        for k in range(count):
            follow_up = k >= 2 and rng.random() < 0.35
            if follow_up:
                when += timedelta(hours=rng.randint(20, 60))
            else:
                when += timedelta(minutes=rng.randint(10, 300))
            title = _fill(rng.choice(tpl["titles"]), slots)
            facts = rng.sample(tpl["facts"], rng.randint(2, min(4, len(tpl["facts"]))))
            if event["slots"] and not any("{" in f for f in facts):  # every report names an actor
                facts[0] = rng.choice([f for f in tpl["facts"] if "{" in f])
            if follow_up:
                facts = [rng.choice(tpl["follow"]), *facts[:2]]
            sentences = [_fill(s, slots) for s in facts]
            if rng.random() < 0.4:
                sentences.append(rng.choice(FILLER[lang]))
            source = rng.choice(SOURCES[lang])
            article = {
                "id": "",
                "date": when.isoformat(),
                "lang": lang,
                "source": source,
                "title": title,
                "text": " ".join(sentences),
                "story": f"{event['id']}-{lang}",
                "event": event["id"],
            }
            out.append(article)
            if rng.random() < 0.15:  # a syndicated copy, minutes later
                copy = dict(
                    article,
                    source=rng.choice(SOURCES[lang]),
                    date=(when + timedelta(minutes=rng.randint(1, 30))).isoformat(),
                )
                out.append(copy)
    return out


def build() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    articles = [a for event in _events(rng) for a in _articles(rng, event)]
    articles.sort(key=lambda a: (a["date"], a["story"], a["title"]))
    for n, article in enumerate(articles):
        article["id"] = f"dev{n:05d}"
    return articles


def main() -> None:
    path = Path(__file__).with_name("devstream.jsonl")
    articles = build()
    with path.open("w", encoding="utf-8") as out:
        for article in articles:
            out.write(json.dumps(article, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
