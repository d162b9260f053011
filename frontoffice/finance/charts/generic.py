"""A generic, English-first chart of accounts for legal entities outside Sweden.

A compact four-digit plan in the common international layout (1 assets, 2 liabilities,
3 equity, 4 income, 5-8 expenses). Same row format as ``bas``: number, Swedish name, English
name, type, control kind, default VAT code, required dimension. The Swedish name is a
translation, so Swedish-speaking users of a foreign subsidiary still read their language.

VAT codes are left blank: the codes (SE25, SE12, SE06, SE00) are Swedish rates, and a
foreign entity sets its own defaults after set-up.

The voucher series keep the BAS codes (A, F, B, R), because invoicing and payments post to
those codes whatever chart the legal entity uses.
"""

from __future__ import annotations

ASSET, LIABILITY, EQUITY, INCOME, EXPENSE = "asset", "liability", "equity", "income", "expense"
RECEIVABLES, PAYABLES, VAT = "receivables", "payables", "vat"

# (number, name_sv, name_en, type, control, vat_code, required_dimension)
# One account per line, so the table reads like the chart it is.
# fmt: off
ACCOUNTS: list[tuple[str, str, str, str, str, str, str]] = [
    ("1000", "Kassa", "Cash on hand", ASSET, "", "", ""),
    ("1010", "Bankkonto", "Bank account", ASSET, "", "", ""),
    ("1020", "Sparkonto", "Savings account", ASSET, "", "", ""),
    ("1100", "Kundfordringar", "Accounts receivable", ASSET, RECEIVABLES, "", ""),
    ("1150", "Övriga kortfristiga fordringar", "Other receivables", ASSET, "", "", ""),
    ("1200", "Varulager", "Inventory", ASSET, "", "", ""),
    ("1300", "Förutbetalda kostnader", "Prepaid expenses", ASSET, "", "", ""),
    ("1500", "Inventarier", "Equipment", ASSET, "", "", ""),
    ("1510", "Ackumulerade avskrivningar på inventarier", "Accumulated depreciation, equipment", ASSET, "", "", ""),
    ("1600", "Fordon", "Vehicles", ASSET, "", "", ""),
    ("1610", "Ackumulerade avskrivningar på fordon", "Accumulated depreciation, vehicles", ASSET, "", "", ""),
    ("1700", "Immateriella tillgångar", "Intangible assets", ASSET, "", "", ""),
    ("2000", "Leverantörsskulder", "Accounts payable", LIABILITY, PAYABLES, "", ""),
    ("2100", "Utgående moms", "Output VAT / sales tax payable", LIABILITY, VAT, "", ""),
    ("2110", "Ingående moms", "Input VAT", LIABILITY, VAT, "", ""),
    ("2120", "Momsredovisning", "VAT settlement", LIABILITY, VAT, "", ""),
    ("2200", "Löneskulder", "Wages payable", LIABILITY, "", "", ""),
    ("2210", "Källskatt", "Payroll taxes withheld", LIABILITY, "", "", ""),
    ("2300", "Upplupna kostnader", "Accrued expenses", LIABILITY, "", "", ""),
    ("2350", "Förutbetalda intäkter", "Deferred revenue", LIABILITY, "", "", ""),
    ("2400", "Skatteskulder", "Income tax payable", LIABILITY, "", "", ""),
    ("2500", "Långfristiga lån", "Long-term loans", LIABILITY, "", "", ""),
    ("3000", "Aktiekapital", "Share capital", EQUITY, "", "", ""),
    ("3100", "Balanserat resultat", "Retained earnings", EQUITY, "", "", ""),
    ("3200", "Årets resultat", "Profit or loss for the year", EQUITY, "", "", ""),
    ("4000", "Försäljning av varor", "Sales of goods", INCOME, "", "", ""),
    ("4100", "Försäljning av tjänster", "Sales of services", INCOME, "", "", ""),
    ("4500", "Övriga intäkter", "Other income", INCOME, "", "", ""),
    ("4900", "Öresavrundning", "Rounding differences", INCOME, "", "", ""),
    ("5000", "Varuinköp", "Cost of goods sold", EXPENSE, "", "", ""),
    ("6000", "Löner", "Salaries and wages", EXPENSE, "", "", ""),
    ("6100", "Sociala avgifter", "Payroll taxes and social charges", EXPENSE, "", "", ""),
    ("6200", "Lokalhyra", "Rent", EXPENSE, "", "", ""),
    ("6300", "El, vatten och värme", "Utilities", EXPENSE, "", "", ""),
    ("6400", "Kontorsmaterial", "Office supplies", EXPENSE, "", "", ""),
    ("6500", "Telefon och internet", "Telephone and internet", EXPENSE, "", "", ""),
    ("6600", "Resekostnader", "Travel", EXPENSE, "", "", ""),
    ("6700", "Marknadsföring", "Marketing and advertising", EXPENSE, "", "", ""),
    ("6800", "Konsulter och arvoden", "Professional fees", EXPENSE, "", "", ""),
    ("6850", "Försäkringar", "Insurance", EXPENSE, "", "", ""),
    ("6900", "Bankavgifter", "Bank charges", EXPENSE, "", "", ""),
    ("7000", "Avskrivningar", "Depreciation", EXPENSE, "", "", ""),
    ("8000", "Ränteintäkter", "Interest income", INCOME, "", "", ""),
    ("8100", "Räntekostnader", "Interest expense", EXPENSE, "", "", ""),
    ("8900", "Inkomstskatt", "Income tax", EXPENSE, "", "", ""),
]
# fmt: on

# What SIE 4 exports write as #KPTYP (empty: not a BAS chart, the record is left out).
CHART_TYPE = ""

SERIES = [
    ("A", "Manual journal entries", True),
    ("F", "Customer invoices", False),
    ("B", "Payments", False),
    ("R", "Corrections", True),
]
