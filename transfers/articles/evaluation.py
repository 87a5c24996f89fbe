"""How well the engine drafts: precision and recall per part over annotated articles.

An annotated article (tests/data/articles/NAME.json) names its text, its publication
date, the fixtures whose records make the gazetteer, and its claims. Each claim has
anchors (words of the sentences it comes from) and either the key of a claim in those
fixtures (the seed article: annotated from the seed fixture) or its parts written out:

    {"anchors": ["We have delivered"], "claim": "ivanov-confirms-tor-m1-deliveries"}
    {"anchors": ["..."], "subject": "contract:rus-irn-2005-tor-m1", "field": "value",
     "value": "USD 700000000", "speaker": "person:sergei-ivanov", "attribution": "on-record",
     "stance": "asserts"}

Subjects compare at the level of the deal (a contract, its lines and deliveries are one
deal), of the system or of the actor; a proposed deal as `proposal:SUPPLIER>RECIPIENT:system`.
Values compare as typed values (transfers.assertions). A speaker is a person
(`person:slug`), a proposed person (`proposed:Name`), an actor (`actor:CODE`) or none ("").

A draft matches an annotated claim when their sentences overlap; each claim takes at most
one draft (the one that agrees on most parts), and a draft left over counts against precision.
"""

import datetime
import json
import time
from pathlib import Path

from ..assertions import AssertionUnreadable, assertion_read
from .engine import article_draft
from .gazetteer import gazetteer_from_fixtures
from .text import MAX_CHARS, html_to_text

PARTS = ("subject", "field+value", "subject+field+value", "speaker", "attribution", "stance")
TARGETS = {"subject+field+value": 0.8, "speaker": 0.7, "stance": 0.7}
PRECISION_TARGET = 0.7
ROOT = Path(__file__).resolve().parents[2]


def _typed(field, value):
    if not field:
        return None
    if field == "other":
        return ("other", value)
    try:
        typed = assertion_read(field=field, text=value)
    except AssertionUnreadable:
        return ("unreadable", value)
    return (field, tuple(sorted((k, str(v)) for k, v in typed.items())))


def _claim_value(values):
    """The value of a fixture claim in the form assertion_read takes."""
    field = values.get("assertion_field") or ""
    if field in ("quantity_ordered", "quantity_delivered"):
        low, high = values.get("assertion_quantity"), values.get("assertion_quantity_max")
        text = f"{low}-{high}" if high else str(low)
    elif field == "value":
        low, high = values.get("assertion_amount"), values.get("assertion_amount_max")
        text = f"{values['assertion_currency']} {low}" + (f"-{high}" if high else "")
    elif field in ("order_date", "delivery_date"):
        cut = {"year": 4, "month": 7}.get(values.get("assertion_date_precision"), 10)
        text = values["assertion_date"][:cut]
    elif field == "status":
        text = ("not " if values.get("assertion_negated") else "") + values["assertion_status"]
    else:
        text = values.get("assertion_value", "")
    qualifier = values.get("assertion_qualifier") or ""
    if qualifier and qualifier != "exact":
        text = f"{qualifier.replace('-', ' ')} {text}"
    return field, text


def _fixture_claims(paths):
    claims = {}
    for path in paths:
        for obj in json.loads(Path(path).read_text(encoding="utf-8")):
            if obj["model"] == "transfers.claim":
                claims[obj["fields"]["key"]] = obj["fields"]
    return claims


def _gold_from_claim(values):
    for name in ("contract", "transfer", "delivery"):
        if values.get(name):
            subject = f"contract:{values[name][0]}"
            break
    else:
        subject = f"system:{values['system'][0]}" if values.get("system") else f"actor:{values['actor'][0]}"
    if values.get("speaker"):
        speaker = f"person:{values['speaker'][0]}"
    elif values.get("speaker_actor"):
        speaker = f"actor:{values['speaker_actor'][0]}"
    else:
        speaker = ""
    field, value = _claim_value(values)
    return {
        "subject": subject,
        "field": field,
        "value": value,
        "speaker": speaker,
        "attribution": values["attribution"],
        "stance": values["stance"],
    }


def draft_parts(draft):
    """The parts of a DraftData as annotations write them."""
    if draft.subject_type in ("contract", "transfer"):
        key = draft.subject_key if draft.subject_type == "contract" else draft.subject_key[0]
        subject = f"contract:{key}"
    elif draft.subject_type == "proposal":
        proposal = draft.proposed_contract
        subject = (
            f"proposal:{proposal.get('supplier', '')}>{proposal.get('recipient', '')}:{proposal.get('system', '')}"
        )
    else:
        subject = f"{draft.subject_type}:{draft.subject_key}"
    if draft.speaker:
        speaker = f"person:{draft.speaker}"
    elif draft.proposed_speaker:
        speaker = f"proposed:{draft.proposed_speaker}"
    elif draft.speaker_actor:
        speaker = f"actor:{draft.speaker_actor}"
    else:
        speaker = ""
    return {
        "subject": subject,
        "field": draft.assertion_field,
        "value": draft.assertion_value,
        "speaker": speaker,
        "attribution": draft.attribution,
        "stance": draft.stance,
    }


def _agreement(gold, parts):
    same_value = gold["field"] == parts["field"] and _typed(gold["field"], gold["value"]) == _typed(
        parts["field"], parts["value"]
    )
    return {
        "subject": gold["subject"] == parts["subject"],
        "field+value": same_value,
        "subject+field+value": gold["subject"] == parts["subject"] and same_value,
        "speaker": gold["speaker"] == parts["speaker"],
        "attribution": gold["attribution"] == parts["attribution"],
        "stance": gold["stance"] == parts["stance"],
    }


def _spans(text, anchors):
    spans = []
    for anchor in anchors:
        at = text.find(anchor)
        if at < 0:
            raise ValueError(f"Anchor not found in the article: {anchor!r}")
        spans.append((at, at + len(anchor)))
    return spans


def _overlaps(draft, spans):
    mine = [(draft.start, draft.end), *(tuple(span) for span in draft.also)]
    return any(a < d and c < b for a, b in mine for c, d in spans)


def article_evaluate(*, annotation_path):
    """{name, claims, drafts, counts per part, misses, extras, seconds} of one annotated article."""
    path = Path(annotation_path)
    annotation = json.loads(path.read_text(encoding="utf-8"))
    text = (path.parent / annotation["text"]).read_text(encoding="utf-8")
    fixtures = [ROOT / name for name in annotation.get("fixtures", [])] + [
        path.parent / name for name in annotation.get("local_fixtures", [])
    ]
    gazetteer = gazetteer_from_fixtures(paths=fixtures)
    fixture_claims = _fixture_claims(fixtures)
    published = annotation.get("published")
    published = datetime.date.fromisoformat(published) if published else None
    started = time.perf_counter()
    drafts = article_draft(text=text, gazetteer=gazetteer, published=published)
    seconds = time.perf_counter() - started
    golds = []
    for claim in annotation["claims"]:
        gold = _gold_from_claim(fixture_claims[claim["claim"]]) if "claim" in claim else {}
        gold.update(
            {k: claim[k] for k in ("subject", "field", "value", "speaker", "attribution", "stance") if k in claim}
        )
        gold.setdefault("field", "")
        gold.setdefault("value", "")
        gold.setdefault("speaker", "")
        gold["spans"] = _spans(text, claim["anchors"])
        gold["label"] = claim.get("claim") or claim["anchors"][0][:50]
        golds.append(gold)
    parts = [draft_parts(draft) for draft in drafts]
    taken = set()
    correct = dict.fromkeys(PARTS, 0)
    misses = []
    # Claims first take the drafts that state them (subject, field and value), then the closest left.
    chosen = {}
    for exact in (True, False):
        for number, gold in enumerate(golds):
            if number in chosen:
                continue
            best = None
            for index, draft in enumerate(drafts):
                if index in taken or not _overlaps(draft, gold["spans"]):
                    continue
                agreement = _agreement(gold, parts[index])
                if exact and not agreement["subject+field+value"]:
                    continue
                score = (agreement["subject+field+value"], sum(agreement.values()))
                if best is None or score > best[0]:
                    best = (score, index, agreement)
            if best is not None:
                chosen[number] = best
                taken.add(best[1])
    for number, gold in enumerate(golds):
        best = chosen.get(number)
        if best is None:
            misses.append((gold["label"], "no draft"))
            continue
        for part, ok in best[2].items():
            correct[part] += ok
        wrong = [part for part in ("subject", "field+value", "speaker", "attribution", "stance") if not best[2][part]]
        if wrong:
            misses.append((gold["label"], ", ".join(f"{p}: {parts[best[1]][p.split('+')[0]]!r}" for p in wrong)))
    extras = [text[drafts[i].start : drafts[i].end][:70] for i in range(len(drafts)) if i not in taken]
    return {
        "name": path.stem,
        "claims": len(golds),
        "drafts": len(drafts),
        "correct": correct,
        "misses": misses,
        "extras": extras,
        "seconds": seconds,
        "words": len(text.split()),
    }


def scores(result):
    """{part: (precision, recall)}."""
    return {
        part: (
            result["correct"][part] / result["drafts"] if result["drafts"] else 0.0,
            result["correct"][part] / result["claims"] if result["claims"] else 0.0,
        )
        for part in PARTS
    }


def evaluation_run(*, directory=None):
    """The results of every annotated article in the directory, and their sum as `overall`."""
    directory = Path(directory or ROOT / "tests" / "data" / "articles")
    results = [article_evaluate(annotation_path=path) for path in sorted(directory.glob("*.json"))]
    overall = {
        "name": "overall",
        "claims": sum(r["claims"] for r in results),
        "drafts": sum(r["drafts"] for r in results),
        "correct": {part: sum(r["correct"][part] for r in results) for part in PARTS},
        "misses": [],
        "extras": [],
        "seconds": sum(r["seconds"] for r in results),
        "words": sum(r["words"] for r in results),
    }
    return results, overall


def seed_targets_met(result):
    """[(what, figure, target, met)] of the seed article's targets."""
    figures = scores(result)
    rows = [(f"recall of {part}", figures[part][1], target) for part, target in TARGETS.items()]
    rows.append(("precision of subject+field+value", figures["subject+field+value"][0], PRECISION_TARGET))
    return [(what, figure, target, figure >= target) for what, figure, target in rows]


def timing_run(*, words=1000, directory=None):
    """Seconds to draft an article of at least `words` words (the annotated articles end to end)."""
    directory = Path(directory or ROOT / "tests" / "data" / "articles")
    texts = [path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.txt"))]
    text, k = "", 0
    while len(text.split()) < words:  # whole articles, one after another, until there are enough words
        text += texts[k % len(texts)] + "\n\n"
        k += 1
    gazetteer = gazetteer_from_fixtures(paths=[ROOT / "fixtures" / "seed.json"])
    article_draft(text="Warm-up: Russia said it sold nothing.", gazetteer=gazetteer)
    started = time.perf_counter()
    drafts = article_draft(text=text, gazetteer=gazetteer, published=datetime.date(2007, 1, 16))
    return len(text.split()), len(drafts), time.perf_counter() - started


def worst_timing_run(*, limit=MAX_CHARS):
    """[(what, seconds)] to read the worst articles the size limit allows that we know of: an
    HTML page of blocks opened one in another and never closed, a text of punctuation without
    a space (spaCy's tokenizer is quadratic in such a run), and the others below."""
    words = "Russia delivered 29 Tor-M1 systems to Iran, an official said."
    blocks = (limit - len(words)) // len("<div>")
    started = time.perf_counter()
    text = html_to_text("<div>" * blocks + words)
    timings = [(f"an HTML page of {blocks:,} nested blocks", time.perf_counter() - started)]
    if text != words:
        raise ValueError(f"the page's text read as {text!r}")
    gazetteer = gazetteer_from_fixtures(paths=[ROOT / "fixtures" / "seed.json"])
    article_draft(text="Warm-up: Russia said it sold nothing.", gazetteer=gazetteer)
    started = time.perf_counter()
    said = "Russia said "
    article_draft(text=said + '"' * (limit - len(said)), gazetteer=gazetteer)
    timings.append((f"{limit - len(said):,} quotation marks without a space", time.perf_counter() - started))
    # One "sentence" of deal words as long as the limit: its rules compare words with the
    # others in their sentence (50 s and more before sentences were read in pieces).
    run_on = ("sold 9 Tor-M1 " * (limit // 14 + 1))[: limit - 1]
    started = time.perf_counter()
    article_draft(text=run_on, gazetteer=gazetteer)
    timings.append((f"a sentence of {len(run_on):,} characters of deal words", time.perf_counter() - started))
    # Found by an adversarial pass: a run of spaces (a pattern's `\s*` at each of them),
    # sentences by the tens of thousands on one line, unclosed tags (CVE-2025-6069).
    spaces = "Russia said it sold" + " " * (limit - 21) + "x."
    tags = "<p>" + "<a " * ((limit - 3) // 3)
    for what, build in [
        (f"{limit - 21:,} spaces in a sentence", lambda: spaces),
        (f"{limit // 4:,} sentences on one line", lambda: "US. " * (limit // 4)),
        (f"an HTML page of {(limit - 3) // 3:,} unclosed tags", lambda: html_to_text(tags)),
    ]:
        started = time.perf_counter()
        article_draft(text=build(), gazetteer=gazetteer)
        timings.append((what, time.perf_counter() - started))
    return timings
