"""The four shipped observation rubrics (English and Swedish), installed by the curriculum
command and the demo. Each criterion is scored on a four-step scale."""

from __future__ import annotations

from typing import Any

SCALE = [
    {"en": "Not yet", "sv": "Inte än"},
    {"en": "Partly", "sv": "Delvis"},
    {"en": "Good", "sv": "Bra"},
    {"en": "Excellent", "sv": "Utmärkt"},
]


def _c(name_en: str, name_sv: str, desc_en: str, desc_sv: str) -> dict[str, Any]:
    return {
        "name_en": name_en,
        "name_sv": name_sv,
        "description_en": desc_en,
        "description_sv": desc_sv,
        "levels": SCALE,
    }


DEFAULT_RUBRICS: list[dict[str, Any]] = [
    {
        "code": "greeting-at-the-desk",
        "name_en": "Greeting at the desk",
        "name_sv": "Mottagande i receptionen",
        "description_en": "A visitor arrives at the front desk and is received.",
        "description_sv": "En besökare kommer till receptionen och tas emot.",
        "criteria": [
            _c(
                "Acknowledged promptly",
                "Uppmärksammad direkt",
                "Eye contact or a word within a few seconds, even when busy.",
                "Ögonkontakt eller ett ord inom några sekunder, även när det är mycket.",
            ),
            _c(
                "Warm and professional welcome",
                "Varmt och professionellt bemötande",
                "Friendly tone, introduces themself or the clinic, uses the visitor's name.",
                "Vänlig ton, presenterar sig eller mottagningen, använder besökarens namn.",
            ),
            _c(
                "Found out what the visitor needs",
                "Tog reda på besökarens ärende",
                "Asks and listens before acting; checks the booking or the errand.",
                "Frågar och lyssnar innan hen agerar; kontrollerar bokning eller ärende.",
            ),
            _c(
                "Clear next step",
                "Tydligt nästa steg",
                "Tells the visitor what happens next and roughly how long it takes.",
                "Berättar vad som händer sedan och ungefär hur lång tid det tar.",
            ),
        ],
    },
    {
        "code": "discovery-call",
        "name_en": "Discovery call",
        "name_sv": "Behovsanalyssamtal",
        "description_en": "A rep's first real conversation with a prospect about their needs.",
        "description_sv": "Säljarens första riktiga samtal med en presumtiv kund om behoven.",
        "criteria": [
            _c(
                "Prepared",
                "Förberedd",
                "Knows the company, the lead's source and earlier contacts before calling.",
                "Känner till företaget, leadets källa och tidigare kontakter innan samtalet.",
            ),
            _c(
                "Open questions",
                "Öppna frågor",
                "Asks open questions and lets the prospect talk most of the time.",
                "Ställer öppna frågor och låter kunden prata större delen av tiden.",
            ),
            _c(
                "Qualified",
                "Kvalificerade",
                "Covers budget, authority, need and timeline without interrogating.",
                "Tar upp budget, beslutsfattare, behov och tidsram utan att förhöra.",
            ),
            _c(
                "Agreed next step",
                "Överenskommet nästa steg",
                "Ends with a concrete, dated next step the prospect agreed to.",
                "Avslutar med ett konkret nästa steg med datum som kunden har gått med på.",
            ),
        ],
    },
    {
        "code": "face-to-face-meeting",
        "name_en": "Face-to-face meeting",
        "name_sv": "Personligt möte",
        "description_en": "A meeting with a customer or prospect on site or at our office.",
        "description_sv": "Ett möte med en kund eller presumtiv kund hos dem eller hos oss.",
        "criteria": [
            _c(
                "Purpose and agenda",
                "Syfte och dagordning",
                "States the purpose and checks the agenda with the customer at the start.",
                "Säger syftet och stämmer av dagordningen med kunden i början.",
            ),
            _c(
                "Listening",
                "Lyssnande",
                "Summarises what the customer said and checks it is understood correctly.",
                "Sammanfattar vad kunden sagt och kontrollerar att det uppfattats rätt.",
            ),
            _c(
                "Value, not features",
                "Värde, inte funktioner",
                "Links our offer to the customer's own goals and numbers.",
                "Kopplar erbjudandet till kundens egna mål och siffror.",
            ),
            _c(
                "Close and follow-up",
                "Avslut och uppföljning",
                "Agrees on decisions and next steps; sends the follow-up the same day.",
                "Kommer överens om beslut och nästa steg; skickar uppföljningen samma dag.",
            ),
        ],
    },
    {
        "code": "invoice-question-call",
        "name_en": "Invoice question call",
        "name_sv": "Samtal om en fakturafråga",
        "description_en": "A customer calls or writes with a question about an invoice line.",
        "description_sv": "En kund ringer eller skriver med en fråga om en fakturarad.",
        "criteria": [
            _c(
                "Understood the question",
                "Förstod frågan",
                "Identifies the invoice and the line, and restates the question.",
                "Hittar fakturan och raden och återger frågan med egna ord.",
            ),
            _c(
                "Correct explanation",
                "Korrekt förklaring",
                "Explains the price, discount or VAT correctly and in plain words.",
                "Förklarar pris, rabatt eller moms korrekt och med enkla ord.",
            ),
            _c(
                "Courtesy",
                "Gott bemötande",
                "Calm, respectful and patient, also when the customer is upset.",
                "Lugn, respektfull och tålmodig, även när kunden är upprörd.",
            ),
            _c(
                "Resolved and recorded",
                "Löst och dokumenterat",
                "Resolves it (or credits the line) and records the answer on the question.",
                "Löser ärendet (eller krediterar raden) och dokumenterar svaret på frågan.",
            ),
        ],
    },
]


def install_default_rubrics() -> int:
    """Create the shipped rubrics that are missing (existing ones are left as edited)."""
    from frontoffice.training.models import Rubric
    from frontoffice.training.services import rubric_save

    created = 0
    for spec in DEFAULT_RUBRICS:
        if Rubric.objects.filter(code=spec["code"]).exists():
            continue
        rubric_save(actor=None, system=True, **spec)
        created += 1
    return created
