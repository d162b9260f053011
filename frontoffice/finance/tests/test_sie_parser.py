"""The SIE 4 parser: quoting quirks of real files, encodings, exact amounts, line-numbered errors."""

from __future__ import annotations

import datetime
from decimal import Decimal

from frontoffice.finance.sie.parser import parse, tokenize
from frontoffice.finance.sie.validate import validate

HEADER = '#FLAGGA 0\r\n#FORMAT PC8\r\n#SIETYP 4\r\n#RAR 0 20260101 20261231\r\n#KONTO 1930 "Bank"\r\n#KONTO 3001 "Försäljning"\r\n'


def sie(body: str, header: str = HEADER) -> bytes:
    return (header + body).encode("cp437")


def test_quoted_texts_keep_escaped_quotes_and_backslashes():
    tokens, problems = tokenize(r'#VER A 1 20260101 "Sa \"hej\" 1820\A012" 20260102')
    assert tokens == ["#VER", "A", "1", "20260101", 'Sa "hej" 1820\\A012', "20260102"]
    assert problems == []


def test_a_quote_inside_a_word_belongs_to_the_text():
    tokens, _problems = tokenize('#KONTO 1684 "Fordringar hos leverant"r"')
    assert tokens == ["#KONTO", "1684", 'Fordringar hos leverant"r']


def test_unterminated_quote_runs_to_the_end_of_the_line_with_a_note():
    doc = parse(
        sie(
            '#VER A 1 20260105 "Ver\r\n{\r\n#TRANS 1930 {} 10.00 20260105 "260    aaaa\r\n#TRANS 3001 {} -10.00\r\n}\r\n'
        )
    )
    assert doc.errors == []
    assert doc.vouchers[0].transactions[0].text == "260    aaaa"
    assert [(n.line, n.message) for n in doc.notes] == [
        (7, "a text is missing its closing quote; it was read to the end of the line"),
        (9, "a text is missing its closing quote; it was read to the end of the line"),
    ]


def test_object_lists_with_quoted_and_bare_items():
    tokens, _ = tokenize('#TRANS 3010 {"1" "654321" 6 P-1} -900.00')
    assert tokens == ["#TRANS", "3010", ["1", "654321", "6", "P-1"], "-900.00"]
    assert tokenize("#TRANS 3010 { } 1.00")[0][2] == []


def test_cp437_characters_decode_to_swedish_letters():
    doc = parse(sie('#FNAMN "Åsa Öberg Ärlig AB"\r\n'))
    assert doc.company_name == "Åsa Öberg Ärlig AB"
    assert doc.accounts["3001"].name == "Försäljning"
    assert doc.encoding == "cp437"


def test_utf8_is_read_when_the_file_says_so_or_has_a_bom():
    text = HEADER.replace("PC8", "UTF8") + '#FNAMN "Åsa AB"\n'
    assert parse(text.encode("utf-8")).company_name == "Åsa AB"
    bom = b"\xef\xbb\xbf" + (HEADER + '#FNAMN "Åsa AB"\n').encode("utf-8")
    doc = parse(bom)
    assert (doc.encoding, doc.company_name) == ("utf-8", "Åsa AB")


def test_amounts_are_exact_decimals_never_floats():
    doc = parse(sie("#IB 0 1930 0.1\r\n#UB 0 1930 -1234.50\r\n#IB 0 3001 100000000000.07\r\n"))
    amounts = [doc.opening[(0, "1930")][0], doc.closing[(0, "1930")][0], doc.opening[(0, "3001")][0]]
    assert amounts == [Decimal("0.1"), Decimal("-1234.50"), Decimal("100000000000.07")]
    assert all(type(a) is Decimal for a in amounts)


def test_malformed_amounts_are_line_numbered_errors():
    doc = parse(sie("#IB 0 1930 1e5\r\n#UB 0 1930 12,50\r\n"))
    assert [str(p) for p in doc.errors] == [
        "line 7: #IB needs a year index, an account and an amount such as -1234.50",
        "line 8: #UB needs a year index, an account and an amount such as -1234.50",
    ]


def test_a_voucher_is_read_with_its_transactions():
    doc = parse(
        sie(
            '#VER "A" "12" 20260315 "Sale" 20260316\r\n{\r\n   #TRANS 1930 {} 125.00\r\n   #TRANS 3001 {"1" "K1"} -125.00 20260315 "x" 2\r\n}\r\n'
        )
    )
    (voucher,) = doc.vouchers
    assert (voucher.series, voucher.number, voucher.date, voucher.line) == (
        "A",
        "12",
        datetime.date(2026, 3, 15),
        7,
    )
    assert [(t.account, t.objects, t.amount, t.line) for t in voucher.transactions] == [
        ("1930", [], Decimal("125.00"), 9),
        ("3001", [("1", "K1")], Decimal("-125.00"), 10),
    ]
    assert voucher.transactions[1].quantity == Decimal("2")


def test_rtrans_and_btrans_are_history_and_not_summed():
    doc = parse(
        sie(
            "#VER A 1 20260315 x\r\n{\r\n#BTRANS 1930 {} 5.00\r\n#RTRANS 1930 {} 10.00\r\n#TRANS 1930 {} 10.00\r\n#TRANS 3001 {} -10.00\r\n}\r\n"
        )
    )
    assert [t.amount for t in doc.vouchers[0].transactions] == [Decimal("10.00"), Decimal("-10.00")]
    assert len(doc.vouchers[0].history) == 2
    assert validate(doc).errors == []


def test_garbage_bytes_give_line_numbered_errors():
    doc = parse(b"\x00\x01\xff\xfe garbage\nmore text\n")
    assert [str(p) for p in doc.errors] == [
        "line 1: the line holds control characters; this is not a SIE text file",
        "line 2: “more text” is not a SIE record (records start with #)",
        "line 1: this is not a SIE file: no #FLAGGA, #SIETYP, #KONTO or #VER record was found",
    ]


def test_missing_rar_is_an_error():
    doc = parse(sie("", header='#FLAGGA 0\r\n#SIETYP 4\r\n#KONTO 1930 "Bank"\r\n'))
    assert [str(p) for p in doc.errors] == [
        "line 1: the file has no #RAR 0 record, so its fiscal year is unknown"
    ]


def test_trans_outside_a_voucher_is_an_error():
    doc = parse(sie("#TRANS 1930 {} 10.00\r\n"))
    assert [str(p) for p in doc.errors] == [
        "line 7: #TRANS outside a voucher: it must be inside the { } block of a #VER"
    ]


def test_unclosed_voucher_block_is_an_error():
    doc = parse(sie("#VER A 1 20260315 x\r\n{\r\n#TRANS 1930 {} 10.00\r\n"))
    assert [str(p) for p in doc.errors] == ["line 8: the voucher block opened here is never closed with “}”"]


def test_unknown_records_are_ignored_with_one_note_each():
    doc = parse(sie("#NYHET 1\r\n#NYHET 2\r\n#SRU 1930 7201\r\n"))
    assert doc.errors == []
    assert [str(n) for n in doc.notes] == ["line 7: unknown record #NYHET ignored (2 line(s))"]


def test_validation_reports_unbalanced_vouchers_dates_and_decimals_with_lines():
    doc = parse(
        sie(
            "#VER A 1 20250101 x\r\n{\r\n#TRANS 1930 {} 10.00\r\n#TRANS 3001 {} -9.99\r\n}\r\n"
            "#VER A 2 20260101 y\r\n{\r\n#TRANS 1930 {} 1.005\r\n#TRANS 3001 {} -1.005\r\n}\r\n"
        )
    )
    report = validate(doc)
    assert report.error_messages() == [
        "line 7: voucher A 1 is dated 2025-01-01, outside the fiscal year 2026-01-01 to 2026-12-31 (#RAR 0)",
        "line 7: voucher A 1 does not balance: its transactions sum to 0.01, not 0",
        "line 14: the amount 1.005 has more than two decimals",
        "line 15: the amount -1.005 has more than two decimals",
    ]


def test_unbalanced_opening_balances_are_a_warning():
    report = validate(parse(sie("#IB 0 1930 100.00\r\n#IB 0 3001 -90.00\r\n")))
    assert report.errors == []
    assert [str(w) for w in report.warnings] == [
        "line 7: the opening balances (#IB 0) do not balance: they sum to 10.00, not 0"
    ]
