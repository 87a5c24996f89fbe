"""Dates and amounts in an article's text: dates resolved against the article's date
(`last year`, `on Tuesday`), amounts read into the form claims take (`USD 700000000`)."""

import datetime
import functools
import re

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta

from ...assertions import MULTIPLIERS, AssertionUnreadable, assertion_read
from ...dates import MAX_DB_YEAR, MIN_YEAR

MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)"
)
DATE_PATTERNS = [
    ("day", re.compile(r"\b(\d{1,2}) " + MONTHS + r",? ((?:19|20)\d\d)\b")),
    ("day", re.compile(r"\b" + MONTHS + r" (\d{1,2}),? ((?:19|20)\d\d)\b")),
    ("month", re.compile(r"\b" + MONTHS + r",? ((?:19|20)\d\d)\b")),
    ("year", re.compile(r"\b(?:in|since|by|until|from|during|of|late|early|mid-)\s*((?:19|20)\d\d)\b")),
    # `in April last year`: the month of the year named relative to the article's.
    ("month-relative", re.compile(r"\b" + MONTHS + r",? (?:of )?(?:last|this|next) year\b")),
    # `in the second half of September`, `by the end of March`: the month, at its precision.
    (
        "month-of-year",
        re.compile(
            r"\b(?:in|by|until|during|late|early|mid-)\s*(?:the\s+(?:first|second|latter|last)\s+half\s+of\s+|"
            r"the\s+(?:beginning|end|middle|start)\s+of\s+|early\s+|late\s+|mid-)?" + MONTHS + r"(?![ ,]+\d)"
        ),
    ),
    ("relative", re.compile(r"\b(?:last|this|next) (?:year|month|week)\b|\byesterday\b", re.IGNORECASE)),
    (
        "weekday",
        re.compile(r"\b(?:on )?(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
    ),
]

CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR",
    "ruble": "RUB", "rubles": "RUB", "rouble": "RUB", "roubles": "RUB", "yuan": "CNY", "renminbi": "CNY",
    "yen": "JPY", "won": "KRW", "shekel": "ILS", "shekels": "ILS", "lira": "TRY", "naira": "NGN", "rupiah": "IDR",
    "ringgit": "MYR",
    "baht": "THB", "zloty": "PLN", "zlotys": "PLN", "forints": "HUF", "hryvnia": "UAH", "hryvnias": "UAH",
    "soles": "PEN", "reais": "BRL", "rand": "ZAR", "kronor": "SEK",
    # Names a country's adjective makes unambiguous (crowns, francs, pesos, dinars, dirhams).
    "cfa francs": "XOF", "swiss francs": "CHF", "swedish crowns": "SEK", "swedish kronor": "SEK",
    "norwegian crowns": "NOK", "norwegian kroner": "NOK", "danish crowns": "DKK", "danish kroner": "DKK",
    "czech crowns": "CZK", "philippine pesos": "PHP", "mexican pesos": "MXN", "colombian pesos": "COP",
    "chilean pesos": "CLP", "argentine pesos": "ARS", "algerian dinars": "DZD", "serbian dinars": "RSD",
    "kuwaiti dinars": "KWD", "iraqi dinars": "IQD", "uae dirhams": "AED", "emirati dirhams": "AED",
    "moroccan dirhams": "MAD", "egyptian pounds": "EGP", "pakistani rupees": "PKR", "taiwan dollars": "TWD",
    "australian dollars": "AUD", "canadian dollars": "CAD", "singapore dollars": "SGD", "qatari riyals": "QAR",
    "new zealand dollars": "NZD", "hong kong dollars": "HKD", "romanian lei": "RON",
}  # fmt: skip
# The name of several states' currencies, alone: the currency of the one party of the article
# that has a currency of that name (`18.9 billion pesos` in a report of a Philippine purchase,
# `4.5 billion crowns` of a Swedish sale), else the default (None: no amount drafted). Both
# parties' (`pounds` of a British sale to Egypt) is the default: which one the writer meant,
# the article does not say.
_CFA_WEST = ["BEN", "BFA", "CIV", "GNB", "MLI", "NER", "SEN", "TGO"]
_CFA_CENTRAL = ["CMR", "CAF", "TCD", "COG", "GNQ", "GAB"]
LOCAL_CURRENCY_WORDS = {
    ("peso", "pesos"): ({"PHL": "PHP", "MEX": "MXN", "COL": "COP", "CHL": "CLP", "ARG": "ARS"}, None),
    ("dinar", "dinars"): ({"DZA": "DZD", "SRB": "RSD", "KWT": "KWD", "IRQ": "IQD"}, None),
    ("dirham", "dirhams"): ({"ARE": "AED", "MAR": "MAD"}, None),
    ("crown", "crowns", "krone", "kroner"): ({"SWE": "SEK", "NOR": "NOK", "DNK": "DKK", "CZE": "CZK"}, None),
    ("franc", "francs"): (
        {"CHE": "CHF", **dict.fromkeys(_CFA_WEST, "XOF"), **dict.fromkeys(_CFA_CENTRAL, "XAF")},
        None,
    ),
    ("rupee", "rupees"): ({"PAK": "PKR", "IND": "INR"}, "INR"),
    ("riyal", "riyals"): ({"QAT": "QAR", "SAU": "SAR"}, "SAR"),
    ("pound", "pounds"): ({"EGY": "EGP", "GBR": "GBP"}, "GBP"),
}
_LOCAL = {word: currencies for words, currencies in LOCAL_CURRENCY_WORDS.items() for word in words}


def local_currency(word, parties):
    """The code of a currency named `word` (one of LOCAL_CURRENCY_WORDS) for an article whose
    (seller, buyer) are `parties`."""
    by_state, default = _LOCAL[word.lower()]
    found = {by_state[code] for code in parties if code in by_state}
    return found.pop() if len(found) == 1 else default


CURRENCY_SYMBOLS = {
    "US$": "USD", "AU$": "AUD", "A$": "AUD", "CA$": "CAD", "C$": "CAD", "NZ$": "NZD", "NT$": "TWD",
    "T$": "TWD", "HK$": "HKD", "S$": "SGD", "R$": "BRL", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY",
    "₹": "INR", "₩": "KRW", "₺": "TRY", "₽": "RUB", "₪": "ILS",
}  # fmt: skip
_LONGEST_FIRST = functools.partial(sorted, key=len, reverse=True)
# `13.5-billion-baht contract`, `$1.5-billion deal`: the figure's words joined by hyphens too.
_MULT = r"(?:[\s-]?(?:" + "|".join(_LONGEST_FIRST(map(re.escape, MULTIPLIERS))) + r")\b)?"
_NUM = r"\d+(?:[.,]\d+)*"
# `Rs 5,000 crore`, `Rs. 4,150 crore`: India's rupees, as its press writes them (a word of its
# own, in that case: not the end of `years 2020`).
_RUPEES = r"(?<![A-Za-z])Rs\.?(?=\s?\d)"
_SYM = "(?:" + "|".join(_LONGEST_FIRST(map(re.escape, CURRENCY_SYMBOLS))) + rf"|(?-i:{_RUPEES}))"
_CODES = (
    r"(?:USD|EUR|GBP|RUB|CNY|INR|JPY|KRW|ILS|SAR|TRY|AED|CHF|SEK|NOK|DKK|AUD|CAD|NZD|TWD|HKD|SGD|BRL|NGN|IDR|"
    r"MYR|THB|PLN|HUF|UAH|PEN|ZAR|XOF|XAF|PHP|MXN|COP|CLP|ARS|DZD|RSD|KWD|IQD|MAD|EGP|PKR|QAR|RON|CZK)"
)
_WORD = r"(?:[\s-](?:US |U\.S\. )?(?:" + "|".join(_LONGEST_FIRST(map(re.escape, [*CURRENCY_WORDS, *_LOCAL]))) + r")\b)"
_ONE = rf"(?:{_SYM}\s?{_NUM}{_MULT}|{_CODES}\s?{_NUM}{_MULT}|{_NUM}{_MULT}(?:{_WORD}|\s{_CODES}\b))"
# The spaces after a qualifier belong to it, and an amount starts with no space: a `\s*` of
# their own, tried at every space of a run of 4,000, made a sentence take 10 s.
_QUAL = (
    r"(?:(?P<qual>about|around|approximately|some|nearly|almost|roughly|more than|over|at least|up to|as much as|"
    r"less than|under|an estimated|estimated)\s*)?"
)
MONEY = re.compile(
    _QUAL + rf"(?:between\s+)?(?P<low>{_ONE}|(?:{_SYM}\s?)?{_NUM}{_MULT})(?:\s?(?:-|–|to|and)\s?(?P<high>{_ONE}))?",
    re.IGNORECASE,
)
QUALIFIER_WORDS = {
    "about": "about", "around": "about", "approximately": "about", "some": "about", "nearly": "about",
    "almost": "about", "roughly": "about", "an estimated": "about", "estimated": "about", "more than": "more than",
    "over": "more than", "at least": "at least", "up to": "up to", "as much as": "up to", "less than": "less than",
    "under": "less than",
}  # fmt: skip


def _date_found(match, kind, published):
    """(date, precision) of a date match, relative forms resolved against the publication date."""
    text = match.group(0)
    default = datetime.datetime(2000, 1, 1)
    if kind in ("day", "month"):
        try:
            value = date_parser.parse(text.replace(".", ""), fuzzy=True, default=default).date()
        except (ValueError, OverflowError):
            return None
        return (value if kind == "day" else value.replace(day=1)), kind
    if kind == "year":
        return datetime.date(int(match.group(1)), 1, 1), "year"
    if published is None:
        return None
    lower = text.lower()
    if kind == "month-of-year":
        # `in February`, in an article of March 2022: the last February up to the article.
        month = date_parser.parse(text.split()[-1].replace(".", ""), default=default).month
        year = published.year if month <= published.month else published.year - 1
        return datetime.date(year, month, 1), "month"
    if kind == "month-relative":
        month = date_parser.parse(text.split()[0].strip(",."), default=default).month
        step = {"last": -1, "this": 0, "next": 1}[lower.split()[-2]]
        return datetime.date(published.year + step, month, 1), "month"
    if kind == "weekday":
        weekday = date_parser.parse(lower.replace("on ", ""), default=default).weekday()
        back = (published.weekday() - weekday) % 7
        return published - datetime.timedelta(days=back), "day"
    if lower == "yesterday":
        return published - datetime.timedelta(days=1), "day"
    step = {"last": -1, "this": 0, "next": 1}[lower.split()[0]]
    unit = lower.split()[1]
    if unit == "year":
        return datetime.date(published.year + step, 1, 1), "year"
    if unit == "month":
        return (published.replace(day=1) + relativedelta(months=step)), "month"
    return published + relativedelta(weeks=step), "day"


def dates_in(text, published):
    found, taken = [], []
    for kind, pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            value = _date_found(match, kind, published)
            # "yesterday" in an article of 1 January 1900: a date no record may hold, not a draft's.
            if value and MIN_YEAR <= value[0].year <= MAX_DB_YEAR:
                taken.append(match.span())
                found.append((match.start(), match.end(), match.group(0).strip(), *value))
    return sorted(found)


def _amount_text(text, parties=()):
    """`USD 700000000` of `$700 million`, `1 billion dollars`, `€7.8bn`: the form claims read."""
    currency = None
    text = re.sub(r"(?<=\w)-(?=[A-Za-z])", " ", text)  # `13.5-billion-baht`
    if re.search(_RUPEES, text):
        currency, text = "INR", re.sub(_RUPEES, " ", text)
    for symbol in _LONGEST_FIRST(CURRENCY_SYMBOLS):
        code = CURRENCY_SYMBOLS[symbol]
        if symbol in text:
            currency, text = code, text.replace(symbol, " ")
            break
    for word in _LONGEST_FIRST(CURRENCY_WORDS):
        code = CURRENCY_WORDS[word]
        if re.search(rf"\b{word}\b", text, re.IGNORECASE):
            currency, text = code, re.sub(rf"(?:US |U\.S\. )?\b{word}\b", " ", text, flags=re.IGNORECASE)
            break
    # `EUR1.1 billion`, as Janes writes it: the code runs into the figure.
    match = re.search(rf"\b{_CODES}(?![A-Za-z])", text)
    if match:
        currency, text = match.group(0), text.replace(match.group(0), " ")
    if currency is None:
        for word in _LOCAL:
            if re.search(rf"\b{word}\b", text, re.IGNORECASE):
                currency = local_currency(word, parties)
                text = re.sub(rf"\b{word}\b", " ", text, flags=re.IGNORECASE)
                break
    return currency, " ".join(text.split())


def money_in(text, *, parties=()):
    """[(start, end, as written, value in the claims' form)] of the amounts in a text.
    `parties`: the article's (seller, buyer) codes, for a currency several states name alike."""
    found = []
    for match in MONEY.finditer(text):
        low, high = match["low"], match["high"]
        currency, low_number = _amount_text(low, parties)
        high_number = None
        if high:
            high_currency, high_number = _amount_text(high, parties)
            currency = currency or high_currency
        if currency is None or not re.search(r"\d", low_number):
            continue
        # `$500 million to $1 billion`, `700-800 million dollars`: the unit written once counts for both.
        unit = re.search(r"[a-z]+$", high_number or "", re.IGNORECASE)
        if high_number and unit and not re.search(r"[a-z]$", low_number, re.IGNORECASE):
            low_number += " " + unit.group(0)
        number = f"{low_number}-{high_number}" if high_number else low_number
        qualifier = QUALIFIER_WORDS.get((match["qual"] or "").lower(), "")
        if high_number and qualifier not in ("", "about"):
            qualifier = ""
        value = f"{qualifier} {currency} {number}".strip()
        try:
            typed = assertion_read(field="value", text=value)
        except AssertionUnreadable:
            continue
        amount = typed["assertion_amount"]
        top = typed["assertion_amount_max"]
        canonical = f"{currency} {amount.normalize():f}" + (f"-{top.normalize():f}" if top is not None else "")
        if qualifier:
            canonical = f"{qualifier} {canonical}"
        start = match.start("qual") if match["qual"] else match.start("low")
        found.append((start, match.end(), text[start : match.end()].strip(), canonical))
    return found
