"""Reading bank files: encodings, delimiters, Swedish amounts and dates, every bad cell named."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from frontoffice.receivables.bankfile import (
    Mapping,
    detect_decimal_separator,
    parse_amount,
    parse_date,
    parse_rows,
    read_bank_file,
)

SWEDISH = "Bokföringsdag;Belopp;Referens;Avsändare\n2026-03-20;1 250,00;1234567897;Åkesson Bygg AB\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (SWEDISH.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + SWEDISH.encode("utf-8"), "utf-8-sig"),
        (SWEDISH.encode("cp1252"), "cp1252"),
        (SWEDISH.replace("\n", "\r\n").encode("cp1252"), "cp1252"),
    ],
)
def test_the_encoding_is_sniffed_and_swedish_letters_survive(data, encoding):
    file = read_bank_file(data)
    assert file.encoding == encoding
    assert file.header == ["Bokföringsdag", "Belopp", "Referens", "Avsändare"]
    assert file.rows == [(2, ["2026-03-20", "1 250,00", "1234567897", "Åkesson Bygg AB"])]


def test_latin_1_bytes_that_cp1252_does_not_define_still_decode():
    data = "Datum;Belopp;Text\n2026-03-20;10,00;a\x81b\n".encode("latin-1")
    file = read_bank_file(data)
    assert file.encoding == "latin-1"
    assert file.rows[0][1][2] == "a\x81b"


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Datum;Belopp;Referens\n2026-03-20;1 250,50;123\n", ";"),
        ('Datum,Belopp,Referens\n2026-03-20,"1 250,50",123\n', ","),
        ("Datum\tBelopp\tReferens\n2026-03-20\t1250.50\t123\n", "\t"),
        ("Datum|Belopp|Referens\n2026-03-20|1250.50|123\n", "|"),
    ],
)
def test_the_delimiter_is_sniffed(text, delimiter):
    file = read_bank_file(text.encode())
    assert file.delimiter == delimiter
    assert file.header == ["Datum", "Belopp", "Referens"]
    assert file.rows[0][1][1] in ("1 250,50", "1250.50")


def test_quoted_cells_with_delimiters_and_line_breaks_keep_their_line_numbers():
    text = 'Datum;Belopp;Avsändare\n2026-03-20;100,00;"Bygg; och\nSnickeri AB"\n\n2026-03-21;200,00;Anna\n'
    file = read_bank_file(text.encode())
    assert file.rows == [
        (2, ["2026-03-20", "100,00", "Bygg; och\nSnickeri AB"]),
        (5, ["2026-03-21", "200,00", "Anna"]),
    ]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"PK\x03\x04\x00\x00binary", "not_csv"),
        (b"Datum;Belopp\n", "no_rows"),
        (b"just one column\nand another line\n", "no_columns"),
    ],
)
def test_files_that_are_not_bank_csv_files_are_refused_with_a_reason(data, code):
    with pytest.raises(ValidationError) as error:
        read_bank_file(data)
    assert error.value.code == code


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("1 250,50", ",", "1250.50"),
        ("1\u00a0250,50", ",", "1250.50"),
        ("1.250,50", ",", "1250.50"),
        ("1.234.567,8", ",", "1234567.80"),
        ("1250", ",", "1250.00"),
        ("1.250", ",", "1250.00"),
        ("1,250.50", ".", "1250.50"),
        ("1250.5", ".", "1250.50"),
        ("1 250.50", ".", "1250.50"),
        ("-1 250,50", ",", "-1250.50"),
        ("\u22121 250,50", ",", "-1250.50"),
        ("1 250,50-", ",", "-1250.50"),
        ("+300,00", ",", "300.00"),
        ("300,00 kr", ",", "300.00"),
        ("SEK 300,00", ",", "300.00"),
    ],
)
def test_swedish_and_english_amounts_are_read_exactly(text, separator, expected):
    assert parse_amount(text, separator) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "1,2,3", "12,345", "1.25.0", "1 25,00", "1e5", "NaN", "1.250,505", "--5", "1 250,50 EUR"],
)
def test_malformed_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text, ",")


def test_the_decimal_separator_is_the_one_the_file_uses():
    assert detect_decimal_separator(["1 250,50", "300", "12,00"]) == ","
    assert detect_decimal_separator(["1,250.50", "300", "12.00"]) == "."
    assert detect_decimal_separator(["300", "1 250"]) == ","  # Swedish when nothing tells


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-20", datetime.date(2026, 3, 20)),
        ("20260320", datetime.date(2026, 3, 20)),
        ("2026/03/20", datetime.date(2026, 3, 20)),
        ("20.03.2026", datetime.date(2026, 3, 20)),
        ("20/03/2026", datetime.date(2026, 3, 20)),
        ("2026-03-20 00:00:00", datetime.date(2026, 3, 20)),
        (" 2026-03-20 ", datetime.date(2026, 3, 20)),
    ],
)
def test_dates_are_read_in_the_formats_banks_use(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "2026-02-30", "03/20/2026", "tomorrow", "2026-3"])
def test_malformed_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


def test_every_bad_row_is_reported_with_its_line_and_column():
    text = (
        "Datum;Belopp;Referens;Avsändare;Valuta\n"
        "2026-03-20;1 250,00;1234567897;Anna;SEK\n"
        "2026-02-30;100,00;;Bertil;SEK\n"
        "2026-03-21;abc;;Cecilia;SEK\n"
        "2026-03-22;50,00;;David;EUR\n"
        "2026-03-23;0,00;;Erik;SEK\n"
        "2026-03-24;-40,00;;Bank fee;SEK\n"
        "2026-03-25;10,00\n"
    )
    file = read_bank_file(text.encode())
    mapping = Mapping(
        date="Datum", amount="Belopp", reference="Referens", payer="Avsändare", currency="Valuta"
    )
    rows, problems = parse_rows(file, mapping, base_currency="SEK")
    assert [(r.line, r.amount, r.reference, r.payer) for r in rows] == [
        (2, Decimal("1250.00"), "1234567897", "Anna")
    ]
    assert [(p.line, p.column, p.code) for p in problems] == [
        (3, "Datum", "invalid_date"),
        (4, "Belopp", "invalid_amount"),
        (5, "Valuta", "wrong_currency"),
        (6, "Belopp", "not_incoming"),
        (7, "Belopp", "not_incoming"),
        (8, None, "missing_cells"),
    ]
    assert "Line 5" in str(problems[2]) and "EUR" in str(problems[2])


def test_outgoing_rows_can_be_skipped_instead_of_refused():
    text = "Datum;Belopp\n2026-03-20;100,00\n2026-03-21;-40,00\n"
    rows, problems = parse_rows(
        read_bank_file(text.encode()),
        Mapping(date="Datum", amount="Belopp", skip_negative=True),
        base_currency="SEK",
    )
    assert problems == []
    assert [(r.line, r.skipped) for r in rows] == [(2, False), (3, True)]


def test_a_mapping_must_name_existing_columns_for_date_and_amount():
    file = read_bank_file(SWEDISH.encode())
    with pytest.raises(ValidationError) as error:
        parse_rows(file, Mapping(date="Datum", amount="", reference="Referens"), base_currency="SEK")
    assert set(error.value.error_dict) == {"date", "amount"}
