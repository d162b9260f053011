"""The Swedish BAS chart of accounts: the accounts a small or medium company actually uses.

Each row: number, Swedish name, English name, type, control kind, default VAT code,
required dimension. Source: the public BAS account plan structure (account classes 1-8).
"""

from __future__ import annotations

# (number, name_sv, name_en, type, control, vat_code, required_dimension)
ACCOUNTS: list[tuple[str, str, str, str, str, str, str]] = [
    ("1510", "Kundfordringar", "Accounts receivable", "asset", "receivables", "", ""),
    ("1910", "Kassa", "Cash", "asset", "", "", ""),
    ("1930", "Företagskonto/checkkonto/affärskonto", "Business bank account", "asset", "", "", ""),
    ("2081", "Aktiekapital", "Share capital", "equity", "", "", ""),
    ("2091", "Balanserad vinst eller förlust", "Retained earnings", "equity", "", "", ""),
    ("2099", "Årets resultat", "Profit or loss for the year", "equity", "", "", ""),
    ("2440", "Leverantörsskulder", "Accounts payable", "liability", "payables", "", ""),
    (
        "2611",
        "Utgående moms på försäljning inom Sverige, 25 %",
        "Output VAT 25 %",
        "liability",
        "vat",
        "",
        "",
    ),
    (
        "2621",
        "Utgående moms på försäljning inom Sverige, 12 %",
        "Output VAT 12 %",
        "liability",
        "vat",
        "",
        "",
    ),
    ("2631", "Utgående moms på försäljning inom Sverige, 6 %", "Output VAT 6 %", "liability", "vat", "", ""),
    ("2641", "Debiterad ingående moms", "Input VAT", "liability", "vat", "", ""),
    ("2650", "Redovisningskonto för moms", "VAT settlement account", "liability", "vat", "", ""),
    ("3001", "Försäljning inom Sverige, 25 % moms", "Sales in Sweden, 25 % VAT", "income", "", "SE25", ""),
    ("3002", "Försäljning inom Sverige, 12 % moms", "Sales in Sweden, 12 % VAT", "income", "", "SE12", ""),
    ("3003", "Försäljning inom Sverige, 6 % moms", "Sales in Sweden, 6 % VAT", "income", "", "SE06", ""),
    ("3004", "Försäljning inom Sverige, momsfri", "Sales in Sweden, VAT exempt", "income", "", "SE00", ""),
    ("4010", "Inköp av material och varor", "Purchases of goods", "expense", "", "SE25", ""),
    ("5010", "Lokalhyra", "Rent of premises", "expense", "", "SE25", ""),
    ("6110", "Kontorsmateriel", "Office supplies", "expense", "", "SE25", "cost_centre"),
    ("6212", "Mobiltelefon", "Mobile phone", "expense", "", "SE25", ""),
    ("7010", "Löner till kollektivanställda", "Wages", "expense", "", "", ""),
    ("7510", "Arbetsgivaravgifter", "Employer social security contributions", "expense", "", "", ""),
    ("8999", "Årets resultat", "Profit or loss for the year", "expense", "", "", ""),
]

SERIES = [
    ("A", "Manuella verifikationer / Manual vouchers", True),
    ("F", "Kundfakturor / Customer invoices", False),
    ("B", "Betalningar / Payments", False),
    ("R", "Rättelser / Corrections", True),
]
