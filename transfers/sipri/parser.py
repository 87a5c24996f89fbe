"""Reading SIPRI trade-register exports (both formats) into plain deal records.

No database access here: `sipri_read` turns a file into `Deal`s and
`RowError`s; `transfers.sipri.importer` writes them.

A row is taken as SIPRI published it. Figures that break a rule editors are held
to (more delivered than ordered) are kept and flagged on the deal
(`Deal.inconsistency`), never rejected; a row that SIPRI's export broke over two
physical lines (an unquoted line break in Comments) is put back together when
the lines make exactly one valid row.

One module of about 650 lines, on purpose: it reads one publisher's files, and its
two formats share the cell readers, the rejoining of broken rows and the records.
In order: the formats' headers and vocabularies; categories from descriptions (the
legacy format has no category column); the records (`Deal`, `DeliveryYear`,
`RowError`, `Export`); reading: decoding, the cells of each column, a legacy row, a
by-delivery-year deal's rows, rejoining broken rows, and `sipri_read`, the entry point.
"""

import csv
import datetime
import functools
import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import slugify

from ..dates import MIN_YEAR, max_sane_year

LEGACY = "legacy"
BY_DELIVERY_YEAR = "by-delivery-year"

LEGACY_HEADER = [
    "Recipient",
    "Supplier",
    "Year of order",
    "",
    "Number ordered",
    "",
    "Weapon designation",
    "Weapon description",
    "Number delivered",
    "",
    "Year(s) of delivery",
    "status",
    "Comments",
    "SIPRI TIV per unit",
    "SIPRI TIV for total order",
    "SIPRI TIV of delivered weapons",
]
NEW_HEADER = [
    "SIPRI AT Database ID",
    "Supplier",
    "Recipient",
    "Designation",
    "Description",
    "Armament category",
    "Order date",
    "Order date is estimate",
    "Numbers delivered",
    "Numbers delivered is estimate",
    "Delivery year",
    "Delivery year is estimate",
    "Status",
    "SIPRI estimate",
    "TIV deal unit",
    "TIV delivery values",
    "Local production",
]

CONDITIONS = {
    "new": "new",
    "second hand": "second-hand",
    "second hand but modernized": "second-hand-modernised",
    "second hand but modernised": "second-hand-modernised",
}

CATEGORIES = {
    "aircraft": "aircraft",
    "air-defence systems": "air-defence",
    "air defence systems": "air-defence",
    "anti-submarine warfare weapons": "anti-submarine",
    "armoured vehicles": "armoured-vehicles",
    "artillery": "artillery",
    "engines": "engines",
    "missiles": "missiles",
    "naval weapons": "naval-weapons",
    "other": "other",
    "satellites": "satellites",
    "sensors": "sensors",
    "ships": "ships",
}

# --- Categories from descriptions (the legacy format has no category column) -------------
#
# SIPRI's descriptions name the kind of weapon. These rules, tried in order, map a
# description to SIPRI's category; they reproduce the category column of the newer
# export for every description in it (tests/test_sipri_real.py checks this).

_ABBREVIATIONS = {
    r"\bsam\b": "surface-to-air missile",
    r"\babm\b": "anti-ballistic missile",
    r"\basm\b": "air-to-surface missile",
    r"\bfga\b": "fighter/ground-attack",
    r"\buav\b": "drone",
    r"\bugv\b": "unmanned ground vehicle",
    r"\beo\b": "electro-optical",
    r"\bad\b": "air-defence",
    r"\bmcm ship\b": "minesweeper",
    r"\bampibious\b": "amphibious",
    r"\biinfantry\b": "infantry",
}

CATEGORY_RULES = [
    ("artillery", [r"mortar turret", r"self-propelled gun turret"]),
    ("other", [r"turret", r"air refuel"]),
    ("armoured-vehicles", [r"tank destroyer"]),
    ("missiles", [r"anti-radar"]),
    (
        "sensors",
        [
            r"radar",
            r"sonar",
            r"electro-optical",
            r"reconnaissance system",
            r"signals intelligence system",
            r"air-search system",
        ],
    ),
    ("engines", [r"\bengine\b", r"turbofan", r"turbojet", r"turboprop", r"gas turbine", r"nuclear reactor"]),
    ("satellites", [r"satellite"]),
    ("ships", [r"missile boat", r"torpedo boat", r"aircraft carrier"]),
    ("missiles", [r"naval mine", r"torpedo", r"submarine-launched", r"one-way attack", r"loitering munition"]),
    ("naval-weapons", [r"\bnaval\b", r"anti-submarine rocket launcher", r"anti-submarine mortar"]),
    (
        "air-defence",
        [r"surface-to-air missile system", r"anti-aircraft", r"air-defence system", r"anti-ballistic missile system"],
    ),
    ("missiles", [r"missile\b(?! launcher)", r"guided", r"\bbomb\b"]),
    ("aircraft", [r"aircraft", r"helicopter", r"\bdrone\b", r"airship"]),
    (
        "ships",
        [
            r"\bship\b",
            r"\bboat\b",
            r"\bcraft\b",
            r"corvette",
            r"frigate",
            r"destroyer",
            r"cruiser",
            r"submarine",
            r"minehunter",
            r"minesweeper",
            r"minelayer",
            r"tanker",
            r"\btug\b",
            r"icebreaker",
            r"gunboat",
        ],
    ),
    ("armoured-vehicles", [r"\btank\b", r"armoured", r"vehicle", r"bridgelayer", r"chassis"]),
    ("artillery", [r"\bgun\b", r"mortar", r"rocket launcher", r"missile launcher", r"coastal defence", r"howitzer"]),
]
_COMPILED_RULES = [(category, [re.compile(p) for p in patterns]) for category, patterns in CATEGORY_RULES]


@functools.lru_cache(maxsize=4096)
def category_from_description(description):
    text = description.lower()
    for pattern, replacement in _ABBREVIATIONS.items():
        text = re.sub(pattern, replacement, text)
    for category, patterns in _COMPILED_RULES:
        if any(p.search(text) for p in patterns):
            return category
    return "other"


# The published inconsistencies a deal can carry (the values of Transfer.Inconsistency).
DELIVERED_ABOVE_ORDERED = "delivered-above-ordered"
# An actor's name (transfers.models.Actor.name).
PARTY_MAX = 200
# A weapon system's designation and description (transfers.models.WeaponSystem): a longer
# one is refused by line, never cut (two designations cut alike would be one system).
DESIGNATION_MAX = 200
DESCRIPTION_MAX = 300

# The newer export marks some designations with trailing dashes ("AIFV --", "Bushmaster -"):
# the same weapon as the legacy register's "AIFV" and "Bushmaster".
_DESIGNATION_MARKS = re.compile(r"\s+-+$")


def system_designation(designation):
    """The designation that names the weapon system: as SIPRI writes it, without the
    newer export's trailing dash marks."""
    return _DESIGNATION_MARKS.sub("", designation.strip())


# --- Records -------------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file is not a SIPRI export at all: nothing is written."""


@dataclass
class DeliveryYear:
    year: int
    quantity: int | None = None
    quantity_is_estimate: bool = False
    year_is_estimate: bool = False
    # The by-delivery-year export's "TIV delivery values" of this year, as published (None: none).
    tiv: Decimal | None = None


@dataclass
class Deal:
    line: int
    reference: str
    sipri_deal_id: str | None
    supplier: str
    recipient: str
    designation: str
    description: str
    category: str
    order_year: int
    order_year_is_estimate: bool
    quantity_ordered: int | None
    quantity_ordered_is_estimate: bool
    quantity_delivered: int | None
    delivered_is_estimate: bool
    deliveries: list[DeliveryYear] = field(default_factory=list)
    condition: str = "new"
    licensed_production: bool = False
    tiv_per_unit: Decimal | None = None
    tiv_order: Decimal | None = None
    tiv_delivered: Decimal | None = None
    comments: str = ""
    # A published figure that hand entry would refuse (DELIVERED_ABOVE_ORDERED), or "".
    inconsistency: str = ""

    @property
    def system_key(self):
        """What identifies the deal's weapon system: its designation and its category."""
        return (system_designation(self.designation), self.category)


@dataclass
class RowError:
    line: int
    reason: str

    def __str__(self):
        return f"line {self.line}: {self.reason}"


@dataclass
class Export:
    format: str
    encoding: str
    generated: datetime.date | None
    header_line: int
    deals: list[Deal]
    errors: list[RowError]
    rows: int
    # Rows broken over several physical lines and put back together: (first line, last line).
    rejoined: list[tuple[int, int]] = field(default_factory=list)
    # The delivery years the export covers, from its preamble ("year range '1995' to '2025'").
    year_range: tuple[int, int] | None = None
    # Its suppliers and recipients, from its preamble ("from All countries to All countries"):
    # (None, None) without one.
    parties: tuple[str | None, str | None] = (None, None)
    # Of the bytes read (once: a pipe or a file replaced while read gives its digest to no other).
    sha256: str = ""
    # Columns after SIPRI's that the header names (a user's own, added in a spreadsheet): not read.
    ignored_columns: list[str] = field(default_factory=list)


# --- Reading -------------------------------------------------------------------------------------


_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


def _decode(data):
    if data.startswith(_UTF16_MARKS):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"byte {exc.start:,} is not UTF-16, though the file starts with UTF-16's byte order mark"
            ) from None
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            line = data[: exc.start + 3].count(b"\n") + 1
            raise ImportFileError(
                f"line {line}: byte 0x{data[exc.start + 3]:02x} is not UTF-8, though the file starts with "
                "UTF-8's byte order mark; save it again as UTF-8 or as SIPRI's Latin-1"
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # (line, its text as UTF-8 or None); no byte of a UTF-8 character is a line feed.
    lines = [(line, _utf8_or_none(line)) for line in data.split(b"\n")]
    if not any(text is not None and not line.isascii() for line, text in lines):
        return _single_byte(data)
    # Rows in UTF-8 beside rows that are not (two exports joined, a row typed in another
    # editor): each line read in its own encoding, not the whole file as Latin-1 (which made
    # every 'Côte d'Ivoire' of the UTF-8 rows 'CÃ´te d'Ivoire').
    other = [number for number, (_, text) in enumerate(lines, 1) if text is None]
    codec = _single_byte(b"\n".join(line for line, text in lines if text is None))[1]
    where = f"line {other[0]}" if len(other) == 1 else f"{len(other):,} lines from line {other[0]}"
    text = "\n".join(line.decode(codec) if text is None else text for line, text in lines)
    return text, f"utf-8 with {where} in {codec}"


def _utf8_or_none(line):
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _single_byte(data):
    # SIPRI's register is Latin-1. Windows-1252 differs only at 0x80-0x9f: Latin-1 has control
    # characters there that no text uses, Windows has € ‘ ’ “ ” – — … (a register saved from
    # Excel on Windows). Five of those bytes Windows leaves undefined: then Latin-1.
    if _WINDOWS_ONLY.search(data):
        try:
            return data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"


_WINDOWS_ONLY = re.compile(rb"[\x80-\x9f]")
# A line ends where csv and every editor say it does. str.splitlines() also ends one at
# \x0b, \x0c, \x1c-\x1e, \x85, \u2028 and \u2029, which a Comments cell can hold (text pasted
# from Word keeps a manual line break as \x0b): the cell was cut and every later line number
# was off by one.
_LINE_END = re.compile(r"\r\n|\r|\n")


def _clean_line(line):
    # The newer export ends every line with a stray ';'.
    return line.rstrip("\r\n").rstrip().removesuffix(";").rstrip()


_GENERATED = re.compile(r"Data generated:\s*(\d{1,2} \w+ \d{4})", re.ASCII)


def _header_differs(line):
    """Why a line that opens as a SIPRI header is not one (its columns reordered, renamed,
    missing), naming the first column that differs; None for any other line."""
    for delimiter in DELIMITERS:
        names = [c.strip().removesuffix(";") for c in _cells(line, delimiter)]
        for expected in (LEGACY_HEADER, NEW_HEADER):
            if len(names) < 3 or names[0].lower() != expected[0].lower():
                continue
            for number, (found, wanted) in enumerate(zip(names, expected, strict=False), start=1):
                if found.lower() != wanted.lower():
                    return (
                        f"the header's column {number} is {found!r} where SIPRI's export has {wanted!r}: "
                        "export the file again from SIPRI, or put its columns back as they were "
                        f"({', '.join(expected)})"
                    )
            if len(names) < len(expected):
                return (
                    f"the header has {len(names)} columns where SIPRI's export has {len(expected)}: "
                    f"{expected[len(names)]!r} is missing"
                )
    return None


def _header_kind(cells):
    # The newer export's stray ';' is inside the last cell once a spreadsheet has saved it.
    # Case aside: `Status` for SIPRI's `status`, a header retyped or re-cased in a spreadsheet.
    names = [c.strip().removesuffix(";").lower() for c in cells]
    if names[: len(LEGACY_HEADER)] == [name.lower() for name in LEGACY_HEADER]:
        return LEGACY
    if names[: len(NEW_HEADER)] == [name.lower() for name in NEW_HEADER]:
        return BY_DELIVERY_YEAR
    return None


# What the register's columns hold: TIVs have 14 digits with 3 decimals, counts are integers.
TIV_LIMIT = Decimal("1e11")
COUNT_LIMIT = 2_000_000_000


class _Reject(Exception):
    pass


# ASCII digits only: Python's \d, int() and Decimal() also read '１９９９', '١٩٩٩' and '1_000'.
_YEAR = re.compile(r"[0-9]{4}")
_WHOLE = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


@functools.lru_cache(maxsize=1)
def _max_year(today):
    return max_sane_year()


def _year(text, what):
    text = text.strip()
    if not _YEAR.fullmatch(text):
        raise _Reject(f"{what} {text!r} is not a year")
    year = int(text)
    upper = _max_year(datetime.date.today())
    if not MIN_YEAR <= year <= upper:
        raise _Reject(f"{what} {year} is outside {MIN_YEAR}-{upper}")
    return year


def _count(text, what):
    text = text.strip()
    if text == "":
        return None
    if not _WHOLE.fullmatch(text):
        raise _Reject(f"{what} {text!r} is not a whole number")
    if len(text.lstrip("-").lstrip("0")) > 10:  # before int(): 5,000 digits are a ValueError
        raise _Reject(f"{what} {text[:20]}... is implausibly large")
    value = int(text)
    if value < 0:
        raise _Reject(f"{what} {value} is negative")
    if value > COUNT_LIMIT:
        raise _Reject(f"{what} {value} is implausibly large")
    return value


def _decimal(text, what):
    text = text.strip()
    if text == "":
        return None
    if not _DECIMAL.fullmatch(text):
        raise _Reject(f"{what} {text!r} is not a number")
    if len(text.lstrip("-").split(".")[0].lstrip("0")) > 11:  # before Decimal(): 5,000 digits
        raise _Reject(f"{what} {text[:20]}... is implausibly large")
    value = Decimal(text)
    if value < 0:
        raise _Reject(f"{what} {text!r} is negative")
    if value >= TIV_LIMIT:
        raise _Reject(f"{what} {text!r} is implausibly large")
    value = value.quantize(Decimal("0.001"))
    if value >= TIV_LIMIT:  # 99999999999.9999 rounds up past the column (14 digits, 3 decimals)
        raise _Reject(f"{what} {text!r} is implausibly large")
    return value


def _flag(text, what, yes=("?", "yes"), no=("", "no")):
    value = text.strip().lower()
    if value in yes:
        return True
    if value in no:
        return False
    raise _Reject(f"{what} {text!r} is not an uncertainty mark")


def _condition(text):
    value = CONDITIONS.get(text.strip().lower())
    if value is None:
        raise _Reject(f"status {text!r} is not New, Second hand or Second hand but modernized")
    return value


def _within(value, what, limit, kind):
    """The value, or the row refused when it is longer than its column: never cut."""
    if len(value) > limit:
        raise _Reject(f"{what} is {len(value):,} characters long; {kind} has at most {limit}")
    return value


def _party(text, what):
    value = text.strip()
    if not value:
        raise _Reject(f"{what} is empty")
    if not value.rstrip("*").strip():
        raise _Reject(f"{what} {value!r} names no party (a '*' marks a non-state actor's name)")
    if not any(character.isalpha() for character in value):
        # '840' would be taken for an ISO number (the United States), '!!!*' for a name.
        raise _Reject(f"{what} {value!r} names no party: a party's name has letters")
    return _within(value, what, PARTY_MAX, "a party's name")


def _designation(text, what):
    # The length first: system_designation's pattern takes quadratic time on a long run of spaces.
    value = _within(text.strip(), what, DESIGNATION_MAX, "a designation")
    if not system_designation(value):
        raise _Reject(f"{what} is empty")
    return value


def _description(text, what):
    return _within(text.strip(), what, DESCRIPTION_MAX, "a description")


def _stable_reference(*parts):
    digest = hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]
    return f"sipri-l-{digest}"


_LICENCE = re.compile(r"licen[cs]", re.IGNORECASE)


def _legacy_deal(cells, line):
    """One legacy row as a Deal, without its reference (which depends on the rows before it)."""
    if len(cells) != len(LEGACY_HEADER):
        raise _Reject(f"expected {len(LEGACY_HEADER)} columns, found {len(cells)}")
    recipient = _party(cells[0], "Recipient")
    supplier = _party(cells[1], "Supplier")
    if recipient == supplier:
        raise _Reject("supplier and recipient are the same")
    order_year = _year(cells[2], "Year of order")
    designation = _designation(cells[6], "Weapon designation")
    ordered = _count(cells[4], "Number ordered")
    delivered = _count(cells[8], "Number delivered")
    # SIPRI publishes some deals with more delivered than ordered (often 0 ordered):
    # kept as published, flagged.
    inconsistency = ""
    if ordered is not None and delivered is not None and delivered > ordered:
        inconsistency = DELIVERED_ABOVE_ORDERED
    years = []
    for part in [p for p in cells[10].split(";") if p.strip()]:
        years.append(_year(part, "Year of delivery"))
    delivered_estimate = _flag(cells[9], "Number delivered mark")
    deliveries = [DeliveryYear(year=y) for y in sorted(set(years))]
    if len(deliveries) == 1 and delivered is not None:
        deliveries[0].quantity = delivered
        deliveries[0].quantity_is_estimate = delivered_estimate
    comments = cells[12].strip()
    return Deal(
        line=line,
        reference="",
        sipri_deal_id=None,
        supplier=supplier,
        recipient=recipient,
        designation=designation,
        description=_description(cells[7], "Weapon description"),
        category=category_from_description(cells[7]),
        order_year=order_year,
        order_year_is_estimate=_flag(cells[3], "Year of order mark"),
        quantity_ordered=ordered,
        quantity_ordered_is_estimate=_flag(cells[5], "Number ordered mark"),
        quantity_delivered=delivered,
        delivered_is_estimate=delivered_estimate,
        deliveries=deliveries,
        condition=_condition(cells[11]),
        licensed_production=bool(_LICENCE.search(comments)),
        tiv_per_unit=_decimal(cells[13], "SIPRI TIV per unit"),
        tiv_order=_decimal(cells[14], "SIPRI TIV for total order"),
        tiv_delivered=_decimal(cells[15], "SIPRI TIV of delivered weapons"),
        comments=comments,
        inconsistency=inconsistency,
    )


def _legacy_reference(deal, occurrences):
    """Legacy rows have no id: a key of the fields that identify the deal, plus its order
    among rows that share them."""
    identity = (deal.supplier, deal.recipient, deal.order_year, deal.designation)
    occurrences[identity] = occurrences.get(identity, 0) + 1
    return _stable_reference(*identity, occurrences[identity])


# What every row of a deal repeats (the deal's, not a delivery year's): description, category,
# order date and its estimate flag, status, SIPRI estimate, TIV deal unit, local production.
_DEAL_COLUMNS = [4, 5, 6, 7, 12, 13, 14, 16]


def _new_rows_to_deal(rows):
    """Rows of one deal id (one per delivery year) into one Deal."""
    line, cells = rows[0]
    deal_id = cells[0].strip()
    supplier = _party(cells[1], "Supplier")
    recipient = _party(cells[2], "Recipient")
    if recipient == supplier:
        raise _Reject("supplier and recipient are the same")
    designation = _designation(cells[3], "Designation")
    description = _description(cells[4], "Description")
    category = CATEGORIES.get(cells[5].strip().lower())
    if category is None:
        raise _Reject(f"Armament category {cells[5]!r} is not one of SIPRI's categories")
    deliveries = []
    tiv_delivered = None
    for row_line, row in rows:
        if (row[1].strip(), row[2].strip(), row[3].strip()) != (supplier, recipient, designation):
            raise _Reject(f"line {row_line} has deal id {deal_id} but other parties or designation")
        for column in _DEAL_COLUMNS:
            if row[column].strip() != cells[column].strip():
                raise _Reject(
                    f"line {row_line} has deal id {deal_id} but {NEW_HEADER[column]} {row[column].strip()!r}, "
                    f"where line {line} has {cells[column].strip()!r}"
                )
        if not row[10].strip():
            if row[8].strip() or row[15].strip():
                raise _Reject(f"line {row_line}: Numbers delivered or TIV delivery values without a Delivery year")
            continue
        year = _year(row[10], "Delivery year")
        quantity = _count(row[8], "Numbers delivered")
        value = _decimal(row[15], "TIV delivery values")
        deliveries.append(
            DeliveryYear(
                year=year,
                quantity=quantity,
                quantity_is_estimate=_flag(row[9], "Numbers delivered is estimate", yes=("yes",), no=("no", "")),
                year_is_estimate=_flag(row[11], "Delivery year is estimate", yes=("yes",), no=("no", "")),
                tiv=value.quantize(Decimal("0.001")) if value is not None else None,
            )
        )
        if value is not None:
            tiv_delivered = (tiv_delivered or Decimal(0)) + value
    if len({d.year for d in deliveries}) != len(deliveries):
        raise _Reject(f"deal {deal_id} lists the same delivery year twice")
    if tiv_delivered is not None and tiv_delivered.quantize(Decimal("0.001")) >= TIV_LIMIT:
        raise _Reject(f"deal {deal_id}'s TIV delivery values add up to {tiv_delivered}, implausibly large")
    if sum(d.quantity or 0 for d in deliveries) > COUNT_LIMIT:
        raise _Reject(f"deal {deal_id}'s numbers delivered add up past {COUNT_LIMIT:,}, implausibly large")
    deliveries.sort(key=lambda d: d.year)
    known = [d.quantity for d in deliveries if d.quantity is not None]
    return Deal(
        line=line,
        reference=f"sipri-{deal_id}",
        sipri_deal_id=deal_id,
        supplier=supplier,
        recipient=recipient,
        designation=designation,
        description=description,
        category=category,
        order_year=_year(cells[6], "Order date"),
        order_year_is_estimate=_flag(cells[7], "Order date is estimate", yes=("yes",), no=("no", "")),
        quantity_ordered=None,
        quantity_ordered_is_estimate=False,
        quantity_delivered=sum(known) if known else None,
        delivered_is_estimate=any(d.quantity_is_estimate for d in deliveries),
        deliveries=deliveries,
        condition=_condition(cells[12]),
        licensed_production=_flag(cells[16], "Local production", yes=("yes",), no=("no", "")),
        tiv_per_unit=_decimal(cells[14], "TIV deal unit"),
        tiv_order=None,
        tiv_delivered=tiv_delivered.quantize(Decimal("0.001")) if tiv_delivered is not None else None,
        comments="",
    )


class _Unreadable(list):
    """A line the csv module refuses (a cell over its limit): rejected with the reason."""

    def __init__(self, reason):
        super().__init__([""])
        self.reason = reason


# SIPRI writes commas; the same export saved again by a spreadsheet set for a European locale
# has semicolons, and Excel's "Unicode text" has tabs (in UTF-16). The header line says which.
DELIMITERS = (",", ";", "\t")
# Where semicolons separate cells, the same locale writes decimals with a comma: TIV 12,5.
_DECIMAL_COMMA = re.compile(r"\s*[0-9]+,[0-9]+\s*", re.ASCII)
_DECIMAL_COLUMNS = range(13, 16)  # the TIVs (and the newer export's SIPRI estimate), in both formats
_DELIMITER_NAMES = {";": "semicolon", "\t": "tab"}


# Control characters no export writes in a cell: an escape code (or a bell, a backspace)
# stored in a name is replayed by every terminal and log that prints it. Not the tab (a
# delimiter) nor the separators a comment keeps as published (\x0b, \x0c, \x1c to \x1e).
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1b\x1f\x7f]")


def _cells(line, delimiter=","):
    if "\x00" in line:
        # PostgreSQL stores no NUL in text: a row holding one is refused here, with its line.
        return _Unreadable("holds a NUL character")
    control = _CONTROL.search(line)
    if control:
        return _Unreadable(f"holds a control character (U+{ord(control.group()):04X})")
    line = line.replace("\ufeff", "")  # a byte order mark mid-file: two exports joined
    try:
        return next(csv.reader([line], delimiter=delimiter), None) or [""]
    except csv.Error as exc:
        return _Unreadable(f"unreadable as CSV ({exc})")


def _joined(cells, more):
    """Two physical lines' cells as one row: the line break belongs to the cell it split."""
    return [*cells[:-1], cells[-1] + "\n" + more[0], *more[1:]]


def _legacy_row_valid(cells):
    try:
        _legacy_deal(cells, 0)
    except _Reject:
        return False
    return True


def _new_row_valid(cells):
    return len(cells) == len(NEW_HEADER) and re.fullmatch(r"[0-9]{1,18}", cells[0].strip()) is not None


# A row broken over more than this many physical lines is not put back together.
MAX_REJOINED_LINES = 3
# A quoted cell is read over at most this many lines (a quote left open would take the rest).
MAX_QUOTED_LINES = 20


def _quoted_row(lines, index, delimiter):
    """(cells, lines taken) of the row at lines[index] read as CSV reads a file, where a line
    break inside a quoted cell is part of the cell (as Excel writes a Comments cell with
    a line break); (None, 0) unless a quoted cell ran past the line's end and was closed."""
    taken = 0

    def physical():
        nonlocal taken
        while index + taken < len(lines) and taken < MAX_QUOTED_LINES:
            taken += 1
            yield lines[index + taken - 1] + "\n"

    try:
        # strict: a quote still open when the lines run out is an error, not a row.
        cells = next(csv.reader(physical(), strict=True, delimiter=delimiter), None)
    except csv.Error:
        return None, 0
    return (cells, taken) if cells is not None and taken > 1 else (None, 0)


def _trimmed(cells, width, named):
    """A row's cells past SIPRI's `width` columns dropped when they are empty (a spreadsheet
    saves a row with trailing separators) or under the header's own extra columns (`named` of
    them); else the row as read, refused for its count."""
    if isinstance(cells, _Unreadable) or len(cells) <= width:
        return cells
    extra = cells[width:]
    if len(cells) <= width + named or not any(cell.strip() for cell in extra[named:]):
        return cells[:width]
    return cells


def _rows(lines, first_number, kind, rejoined, delimiter, named=0):
    """(line number, cells) of each data row. A row with too few cells is rejoined with
    the lines after it when together they make exactly one valid row, and the line after
    it is not a whole row of its own (SIPRI's export breaks rows at line breaks inside
    Comments, unquoted). A row whose quoted cell holds a line break is read whole first
    (_quoted_row), if that makes one valid row."""
    width = len(LEGACY_HEADER) if kind == LEGACY else len(NEW_HEADER)
    row_valid = _legacy_row_valid if kind == LEGACY else _new_row_valid

    def local(cells):
        cells = _trimmed(cells, width, named)
        # A row's decimal commas, once its cells are its columns (not a part of a split row).
        if delimiter != ";" or isinstance(cells, _Unreadable):
            return cells
        return [
            cell.replace(",", ".") if i in _DECIMAL_COLUMNS and _DECIMAL_COMMA.fullmatch(cell) else cell
            for i, cell in enumerate(cells)
        ]

    def valid(cells):
        return row_valid(local(cells))

    index = 0
    while index < len(lines):
        line = lines[index]
        number = first_number + index
        index += 1
        if not line.strip():
            continue
        cells = _cells(line, delimiter)  # cut to SIPRI's columns by local(), as every row yielded
        if not isinstance(cells, _Unreadable) and not any(cell.strip() for cell in cells):
            continue  # a spreadsheet's empty row: separators only (`,,,,`)
        if len(cells) < width and '"' in line:
            quoted, taken = _quoted_row(lines, index - 1, delimiter)
            if quoted is not None and len(quoted) == width and valid(quoted):
                yield number, local(quoted)
                index += taken - 1
                continue
        if len(cells) < width and not isinstance(cells, _Unreadable):
            joined, last = cells, index
            while last < len(lines) and last - index < MAX_REJOINED_LINES - 1:
                more = _cells(lines[last], delimiter)
                if isinstance(more, _Unreadable) or (len(more) == width and valid(more)):
                    break  # the next line is a row of its own
                joined = _joined(joined, more)
                last += 1
                if len(joined) >= width:
                    break
            if len(joined) == width and valid(joined):
                rejoined.append((number, first_number + last - 1))
                cells, index = joined, last
        yield number, local(cells)


_YEAR_RANGE = re.compile(r"year range '(\d{4})' to '(\d{4})'", re.ASCII)
_PARTIES = re.compile(r"\bfrom\s+(.+?)\s+to\s+(.+?)\s*\.\s*Deals\b")
# SIPRI's preamble lines are short; _PARTIES on a 10,000-character line backtracked for minutes.
PREAMBLE_LINE_MAX = 1_000
# Sixteen times the whole legacy register (about 4 MB): a device or a wrong file is refused
# before it is held in memory.
MAX_FILE_BYTES = 64 * 2**20


def sipri_read(path):
    """Read a SIPRI export: detect format, encoding and preamble; parse every row.

    Raises ImportFileError if the file is not a SIPRI trade-register export.
    Bad rows become RowErrors with their line numbers; good rows become Deals.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            # A FIFO would block the open; a device (/dev/zero) would be read without end.
            raise ImportFileError(f"{path} is not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ImportFileError(
            f"{path} is larger than {MAX_FILE_BYTES // 2**20} MB; SIPRI's exports are a few MB (the whole "
            "register is about 4 MB)"
        )
    if b"\x00" in data[:4096] and not data.startswith(_UTF16_MARKS):
        raise ImportFileError("this is a binary file, not a SIPRI CSV export")
    sha256 = hashlib.sha256(data).hexdigest()
    text, encoding = _decode(data)
    del data
    lines = _LINE_END.split(text)
    generated = None
    year_range = None
    parties = (None, None)
    header_index = None
    kind = None
    differing = None
    for index, raw in enumerate(lines[:60]):
        line = _clean_line(raw)
        match = _GENERATED.search(line)
        if match:
            try:
                generated = datetime.datetime.strptime(match.group(1), "%d %b %Y").date()
            except ValueError:
                generated = None
            # SIPRI wrote it: not before its register's first years, not after today (a day's
            # grace for time zones). A date in 2150 had become every later release's previous one.
            latest = datetime.date.today() + datetime.timedelta(days=1)
            if generated is not None and not (datetime.date(MIN_YEAR, 1, 1) <= generated <= latest):
                raise ImportFileError(
                    f"line {index + 1}: 'Data generated' {generated:%d %b %Y} cannot be the date of a SIPRI "
                    f"export (before {MIN_YEAR} or after today)"
                )
        match = _YEAR_RANGE.search(line)
        if match:
            year_range = (int(match.group(1)), int(match.group(2)))
        match = _PARTIES.search(line) if len(line) <= PREAMBLE_LINE_MAX else None
        if match:
            parties = (match.group(1), match.group(2))
        delimiter = next((d for d in DELIMITERS if d in line and _header_kind(_cells(line, d))), None)
        if delimiter is not None:
            header = _cells(line, delimiter)
            kind, header_index = _header_kind(header), index
            width = len(LEGACY_HEADER) if kind == LEGACY else len(NEW_HEADER)
            extra = [cell.strip().removesuffix(";") for cell in header[width:]]
            while extra and not extra[-1]:
                extra.pop()
            break
        differing = differing or _header_differs(line)
    if header_index is None:
        raise ImportFileError(
            differing
            or "no SIPRI trade-register header found in the first 60 lines (expected a line starting "
            "'Recipient,Supplier,Year of order' or 'SIPRI AT Database ID,Supplier,Recipient')"
        )

    deals, errors, rows, rejoined = [], [], 0, []
    # The newer export's stray ';' ends every line; in the legacy register a ';' or a space
    # at the end of a line is part of a Comments cell that the line break split.
    body = [_clean_line(raw) if kind == BY_DELIVERY_YEAR else raw for raw in lines[header_index + 1 :]]
    del lines
    occurrences = {}
    # A deal's rows, by its id, in the order the ids first appear: a spreadsheet sorted by
    # delivery year or by supplier parts them.
    by_id = {}
    for line_number, cells in _rows(body, header_index + 2, kind, rejoined, delimiter, named=len(extra)):
        rows += 1
        if isinstance(cells, _Unreadable):
            errors.append(RowError(line_number, cells.reason))
            continue
        if _header_kind(cells):
            # Its rows would be imported twice over, or read as the first export's.
            raise ImportFileError(
                f"line {line_number} is a header again, as on line {header_index + 1}: two exports joined in "
                "one file? Import each on its own."
            )
        if kind == LEGACY:
            try:
                deal = _legacy_deal(cells, line_number)
            except _Reject as exc:
                errors.append(RowError(line_number, str(exc)))
                continue
            deal.reference = _legacy_reference(deal, occurrences)
            deals.append(deal)
            continue
        if len(cells) != len(NEW_HEADER):
            errors.append(RowError(line_number, f"expected {len(NEW_HEADER)} columns, found {len(cells)}"))
            continue
        deal_id = cells[0].strip()
        if not re.fullmatch(r"[0-9]{1,18}", deal_id):
            errors.append(RowError(line_number, f"SIPRI AT Database ID {deal_id!r} is not a number"))
            continue
        by_id.setdefault(deal_id, []).append((line_number, [*cells[:-1], cells[-1].strip().removesuffix(";")]))
    for pending in by_id.values():
        try:
            deals.append(_new_rows_to_deal(pending))
        except _Reject as exc:
            errors.append(RowError(pending[0][0], str(exc)))
    errors.sort(key=lambda error: error.line)
    if errors and not deals:
        # No release is recorded of a file of which no row could be read (an export of no
        # deal at all is one: a query that found none, recorded as a partial release).
        shown = "; ".join(str(error) for error in errors[:3])
        raise ImportFileError(
            f"none of its {rows:,} rows could be read ({shown}{' ...' if len(errors) > 3 else ''}); "
            "is it a SIPRI export as downloaded?"
        )
    return Export(
        format=kind,
        encoding=encoding if delimiter == "," else f"{encoding}, {_DELIMITER_NAMES[delimiter]}-separated",
        generated=generated,
        header_line=header_index + 1,
        deals=deals,
        errors=errors,
        rows=rows,
        rejoined=rejoined,
        year_range=year_range,
        parties=parties,
        sha256=sha256,
        ignored_columns=extra,
    )


def party_slug(name):
    """An actor code for a party without an ISO code: its name's slug, cut to the code's 64
    characters with a digest of the rest (two long names alike at first stay two)."""
    slug = slugify(name.replace("*", ""))
    if not slug:
        # A name of no Latin letter (`Хезболла*`): its digest, so that two such names stay two.
        slug = f"party-{hashlib.sha1(name.strip().encode()).hexdigest()[:10]}"
    if slug.isdigit():
        slug = f"party-{slug}"  # digits alone read as an id (models.validate_not_an_id)
    if len(slug) > 64:
        slug = f"{slug[:55]}-{hashlib.sha1(slug.encode()).hexdigest()[:8]}"
    return slug
