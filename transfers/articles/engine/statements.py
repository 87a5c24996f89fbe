"""Reading statements: an article split into lines, sentences and clauses, and each
clause read into draft claims (speaker, attribution, stance, subject, assertion, date).

Longer than ~500 lines for a reason: the Engine's rules share one article's state (the
people and systems mentioned so far, the deal in the news, the speakers proposed) and
call one another in the order a statement is read, so they read best as one class.
In order: the draft (DraftData) and the clause (Clause); the Engine: the article (run,
survey, clauses), one statement (_statement, continuing or merging statements), the
speaker (phrases before or after the reporting verb, who it is, attribution), stance,
assertions (figures, dates, statuses and which deal verb they go with), the subject
(parties, systems, the deal recorded or proposed), the stated date, one draft per fact;
then small helpers and article_draft, the entry point.
"""

import copy
import datetime
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from ...assertions import AssertionUnreadable, assertion_read
from ..text import is_heading, metadata_read
from .recogniser import (
    US_SPELLING,
    Recogniser,
    actor_state,
    nlp,
)
from .values import (
    MONTHS,
    QUALIFIER_WORDS,
    dates_in,
    money_in,
)
from .vocabulary import (
    ACCORDING_MEDIA,
    AFTER_INVERTED,
    AMMUNITION_NOUNS,
    ANONYMOUS,
    APPOSITIVE_NOT_NAMES,
    BOUNDARIES,
    BUILD_VERBS,
    BUY_VERBS,
    CANCELLED,
    DEAL_WORDS,
    DELIVERY_WORDS,
    EARLIER_ORDER,
    FOLLOW_ON_WORDS,
    GIVING_VERBS,
    MEDIA_WORDS,
    NEW_ORDER,
    NEWS_AGENCY,
    NOT_CANCELLED,
    NUMBER_WORDS,
    ORDER_WORDS,
    PLANNED_DELIVERY,
    PRONOUNS,
    QUOTE_CLOSE,
    QUOTE_OPEN,
    RANKS,
    REPORTING,
    ROLE_WORDS,
    RUNNING_TOTAL,
    SCALE_WORDS,
    SKIP_AFTER_SPEAKER,
    SKIP_AFTER_VERB,
    SPECIFIC_DEAL,
    SPEECH_VERBS,
    STANCE_RULES,
    STATUS_RULES,
    SUPPLIED,
    SUPPLY_VERBS,
    SYSTEM_NOUNS,
    TAKE_VERBS,
    family_name,
)


@dataclass
class DraftData:
    start: int
    end: int
    group: int = 0
    also: list = field(default_factory=list)
    subject_type: str = ""  # contract, transfer, system, actor, proposal
    subject_key: object = None  # a reference, (reference, line), a slug, a code
    proposed_contract: dict = field(default_factory=dict)
    speaker: str = ""
    speaker_actor: str = ""
    speaker_role: str = ""
    proposed_speaker: str = ""
    attribution: str = "source"
    stance: str = "asserts"
    assertion_field: str = ""
    assertion_value: str = ""
    assertion_text: str = ""
    quote: str = ""
    summary: str = ""
    stated_date: datetime.date | None = None
    stated_date_precision: str = "day"
    cues: dict = field(default_factory=dict)
    # Not stored: how the engine chains statements.
    deal: str | None = None
    speaker_kind: str = ""

    def cue(self, part, text):
        self.cues.setdefault(part, [])
        if text not in self.cues[part]:
            self.cues[part].append(text)

    @property
    def speaker_key(self):
        return (self.speaker, self.proposed_speaker, self.speaker_actor if not self.speaker else "")

    @property
    def subject(self):
        if self.subject_type == "proposal":
            return ("proposal", tuple(sorted(self.proposed_contract.items())))
        return (self.subject_type, self.subject_key)


# spaCy's tokenizer takes time quadratic in a run without spaces that it splits: 8,000 '('
# took 5 s, a 100,000-character article of them many minutes. No word or figure a statement
# needs is this long, so the tokenizer reads such a run with a space every MAX_RUN
# characters, at the same offsets.
MAX_RUN = 64
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")


def _runs_broken(line):
    def broken(match):
        run = match.group()
        return "".join(" " if k % (MAX_RUN + 1) == MAX_RUN else c for k, c in enumerate(run))

    return _LONG_RUN.sub(broken, line)


# A "sentence" longer than this many tokens is no sentence a reporter wrote (the longest in
# our annotated reports has about 90); it is read in pieces of this length, so that rules
# that compare each word with the others in its sentence take linear time in the article.
MAX_SENTENCE = 200


def _sentences(doc):
    """(start, end) token ranges of the doc's sentences, long ones cut into MAX_SENTENCE pieces."""
    for sentence in doc.sents:
        for piece_start, piece_end in _after_x(doc, sentence.start, sentence.end):
            for start in range(piece_start, piece_end, MAX_SENTENCE):
                yield start, min(start + MAX_SENTENCE, piece_end)


def _after_x(doc, start, end):
    """The sentence cut after `she wrote on X.` when a capitalised word follows: the
    splitter takes `X.` for an initial, and two statements were read as one."""
    for k in range(start + 1, end - 1):
        if doc[k].text == "X." and doc[k - 1].lower_ in ("on", "to", "via") and doc[k + 1].is_title:
            yield start, k + 1
            start = k + 1
    yield start, end


@dataclass
class Clause:
    doc: object
    i: int  # token range in the line's doc
    j: int
    offset: int  # the line's offset in the article
    mentions: list
    in_quote: list
    quote_goes_on: bool = False  # a quotation open at the clause's end goes on after it

    @property
    def start(self):
        return self.offset + self.doc[self.i].idx

    @property
    def end(self):
        last = self.doc[self.j - 1]
        return self.offset + last.idx + len(last.text)

    def text(self, i=None, j=None):
        i, j = (self.i if i is None else i), (self.j if j is None else j)
        if i >= j:
            return ""
        return self.doc[i:j].text

    def mentions_in(self, i, j, kind=None):
        return [m for m in self.mentions if i <= m.i and m.j <= j and (kind is None or m.kind == kind)]

    def mention_at(self, k):
        return next((m for m in self.mentions if m.i <= k < m.j), None)


def _quote_flags(doc, i, j):
    flags, inside = [], False
    for k in range(i, j):
        text = doc[k].text
        if text in QUOTE_OPEN or (text == '"' and not inside):
            inside = True
            flags.append(True)
            continue
        if text in QUOTE_CLOSE and text != "’" or (text == '"' and inside):
            flags.append(True)
            inside = False
            continue
        flags.append(inside)
    return flags


def _is_reporting(doc, k):
    lower = doc[k].lower_
    if lower == "according" and k + 1 < len(doc) and doc[k + 1].lower_ == "to":
        return True
    if lower == "called" and k + 1 < len(doc) and doc[k + 1].lower_ in ("on", "for"):
        return True
    if lower == "called" and k + 1 < len(doc) and doc[k + 1].lower_ in CALLED_WHAT:
        # `The ministry called the decision "a political gesture"`: what it is called, quoted.
        return any(doc[x].text in QUOTE_OPEN or doc[x].text == '"' for x in range(k + 2, min(k + 8, len(doc))))
    if lower in ("estimated", "estimates"):
        # `an analyst estimated the value at`, not `an estimated $3.9 billion`.
        return k > 0 and doc[k - 1].lower_ not in DETERMINERS and not doc[k - 1].like_num
    return lower in REPORTING


# How many drafts after a title's statement are read for its name (a statement has a few).
NAMED_NEXT_WINDOW = 30
# A title that is one person's (`the head of`, `the commander of`), not an anonymous official's.
ONE_PERSON = {"head", "chief", "commander", "minister", "director", "secretary", "president", "ambassador", "envoy"}
# What a speaker `called` before a quotation of what it is.
CALLED_WHAT = {"the", "it", "this", "that", "them", "these", "those", "his", "her", "their"}
# A state's government speaking, named without the state.
GOVERNMENT = {"government", "cabinet"}
# The ministries a phrase names by their portfolio.
MINISTRIES = {"foreign", "defence", "interior", "finance", "trade"}
# Who is in a capital without speaking for its state.
FOREIGN_HERE = {"diplomat", "diplomats", "embassy", "envoy", "ambassador", "western", "foreign", "european"}
DETERMINERS = {"a", "an", "the", "its", "their", "his", "her", "our", "this", "that", "these", "those"}


class Engine:
    def __init__(self, *, gazetteer, published=None, place=None):
        self.gazetteer = gazetteer
        self.place = place  # the dateline's (`BUCHAREST (Reuters) -`)
        self.home = None  # its state
        self.recogniser = Recogniser(gazetteer)
        self.published = published
        self.drafts = []
        self.people_seen = []  # slugs, in the order mentioned
        self.systems_seen = []
        self.current_deal = None
        self.follow_ons = set()  # (supplier, recipient, system) of follow-on orders named so far
        self.proposed = {}  # surname: full name of people proposed in this article
        self.proposed_roles = {}
        self.first_named = {}  # a proposed person's full name: the statement (group) first naming them
        self.main_pair = (None, None)
        self.main_system = None
        self.opened_by = None  # the party the sentence before opened with, in this paragraph
        self.quote_opening = None  # [start, end] of a quotation's first sentence, for the statement it opens

    # -- the article ---------------------------------------------------------------------------------------

    def run(self, text, *, skip=None):
        lines, offset = [], 0
        for line in text.split("\n"):
            lines.append((offset, line))
            offset += len(line) + 1
        kept = []
        for start, line in lines:
            stripped = line.strip()
            if not stripped or is_heading(stripped) or re.match(r"^/?\s*Source:", stripped):
                continue
            if skip and skip[0] <= start + len(line) and start <= skip[1]:
                # The dateline opens the line: the statement starts after it.
                cut = max(0, skip[1] - start)
                start, line = start + cut, line[cut:]
            kept.append((start, line))
        docs = list(nlp().pipe(_runs_broken(line) for _, line in kept))
        self._survey(docs)
        if self.place:
            places = [m for m in self.recogniser.mentions(nlp()(self.place)) if m.kind == "actor"]
            self.home = actor_state(self.gazetteer, places[0].key) if places else None
        group = 0
        for (start, _line), doc in zip(kept, docs, strict=True):
            mentions = sorted(self.recogniser.mentions(doc), key=lambda m: m.i)
            starts = [m.i for m in mentions]
            line_quotes = _quote_flags(doc, 0, len(doc))
            previous_in_line = None
            self.opened_by = None
            self.quote_opening = None
            for sentence_start, sentence_end in _sentences(doc):
                group += 1
                opens = sentence_start + (doc[sentence_start].lower_ == "the")
                # The party a sentence opens with, for `It` opening the next (`Indonesia is ...
                # It ordered 42 Rafale fighters`); a sentence opened by neither forgets it.
                # (Found by bisection: a text of 50,000 one-word sentences read every mention for each.)
                at = mentions[bisect_left(starts, opens) : bisect_right(starts, opens)]
                opener = next((m for m in at if m.kind == "actor"), None)
                it = doc[sentence_start].lower_ in ("it", "they")
                clauses = self._clauses(doc, sentence_start, sentence_end, start, mentions, starts, line_quotes)
                first_subject = None
                for clause in clauses:
                    made = self._statement(
                        clause, group=group, first_subject=first_subject, same_paragraph=previous_in_line
                    )
                    if made and first_subject is None:
                        first_subject = made
                previous_in_line = True
                if opener is not None or not it:
                    self.opened_by = opener.key if opener is not None else None
        self._named_next()
        return [_denial_said_once(draft) for draft in self._deduplicated() if _states_something(draft)]

    def _named_next(self):
        """`..., the head of Ukraine's military intelligence said.` and in the next paragraph
        `..., Major General Andriy Kovalchuk told a news conference`: the wires give a
        speaker's title first and the name after. A statement whose speaker is one person's
        title alone (`the head of`, `the commander of`; not `an official`) is the person named
        for the first time in the next statement or the one after, when that person speaks
        for no other party."""
        for n, draft in enumerate(self.drafts):
            role = set(draft.speaker_role.lower().split())
            if draft.speaker_kind != "role" or draft.speaker or draft.proposed_speaker or not role & ONE_PERSON:
                continue
            # Drafts are in the article's order: the next two statements at most are read.
            for later in self.drafts[n + 1 : n + 1 + NAMED_NEXT_WINDOW]:
                if later.group > draft.group + 2:
                    break
                if later.group == draft.group or (
                    later.speaker_key == draft.speaker_key and not later.proposed_speaker
                ):
                    continue
                name = later.proposed_speaker
                if (
                    name
                    and self.first_named.get(name) == later.group
                    and later.speaker_actor in ("", draft.speaker_actor)
                ):
                    draft.proposed_speaker, draft.speaker_kind = name, "person"
                    draft.attribution = later.attribution
                    draft.cue("speaker", f"“{draft.speaker_role}” named next: {name}")
                break

    def _survey(self, docs):
        """The article's main system and parties: what a statement without its own refers to."""
        counts, pairs = {}, {}
        for doc in docs:
            mentions = self.recogniser.mentions(doc)
            for m in mentions:
                if m.kind == "system":
                    counts[m.key] = counts.get(m.key, 0) + 1
            end = min(len(doc), MAX_SENTENCE)
            clause = Clause(doc, 0, end, 0, [m for m in mentions if m.j <= end], [False] * end)
            pair = self._parties(clause, 0, end, speaker_state=None)[:2]
            if pair[0] or pair[1]:
                pairs[pair] = pairs.get(pair, 0) + 1
        if counts:
            self.main_system = max(counts, key=counts.get)
        origin = self.gazetteer.systems[self.main_system].origin if self.main_system else None
        for (supplier, recipient), n in list(pairs.items()):
            if supplier is None and origin and origin != recipient:
                pairs.pop((supplier, recipient))
                pairs[(origin, recipient)] = pairs.get((origin, recipient), 0) + n
        pairs = {pair: n for pair, n in pairs.items() if pair[0] and pair[1]}
        if pairs:
            self.main_pair = max(pairs, key=pairs.get)

    def _clauses(self, doc, i, j, offset, mentions, starts, line_quotes):
        # An opening quotation mark that the splitter left at the end belongs to the next sentence.
        while j - 1 > i and doc[j - 1].text in QUOTE_OPEN:
            j -= 1
        while i < j - 1 and doc[i].text in QUOTE_CLOSE:
            i += 1
        in_quote = line_quotes[i:j]
        # The line's mentions are in token order, `starts` their first tokens (run()): a
        # sentence's found by bisection, not by reading all of them for each sentence (25,000
        # sentences on a line took 30 s).
        sentence_mentions = [m for m in mentions[bisect_left(starts, i) : bisect_left(starts, j)] if m.j <= j]
        whole = Clause(doc, i, j, offset, sentence_mentions, in_quote, j < len(doc) and line_quotes[j] and in_quote[-1])
        # `X reported that ..., but Y denied that`: two statements.
        for k in range(i + 2, j - 2):
            if doc[k].lower_ == "but" and doc[k - 1].text == "," and not in_quote[k - i]:
                left = [v for v in range(i, k) if not in_quote[v - i] and _is_reporting(doc, v)]
                right = [v for v in range(k + 1, j) if not in_quote[v - i] and _is_reporting(doc, v)]
                if left and right and doc[k + 1].lower_ not in PRONOUNS:
                    return [
                        Clause(doc, i, k - 1, offset, sentence_mentions, in_quote[: k - 1 - i]),
                        Clause(doc, k + 1, j, offset, sentence_mentions, in_quote[k + 1 - i :]),
                    ]
        return [whole]

    # -- one statement -------------------------------------------------------------------------------------

    def _statement(self, clause, *, group, first_subject, same_paragraph):
        doc, i, j = clause.doc, clause.i, clause.j
        quoted = [k for k in range(i, j) if clause.in_quote[k - i]]
        verbs = [k for k in range(i, j) if not clause.in_quote[k - i] and _is_reporting(doc, k)]
        main = next((k for k in verbs if doc[k].lower_ != "according"), None)
        according = next((k for k in verbs if doc[k].lower_ == "according"), None)
        draft = DraftData(start=clause.start, end=clause.end, group=group)
        self._verb = doc[main].lower_ if main is not None else ""
        for m in clause.mentions:
            if m.kind == "person":
                self.people_seen.append(m.key)

        # Speaker and content.
        phrase = None
        if main is not None:
            phrase = self._phrase_before(clause, main) or self._phrase_after(clause, main)
            draft.cue("speaker", f"reporting verb “{doc[main].text}”")
        elif according is not None:
            phrase = self._phrase_after(clause, according + 1)
            draft.cue("speaker", "“according to”")
        if quoted:
            run_end = quoted[0]
            while run_end < j and clause.in_quote[run_end - i]:
                run_end += 1
            content = (quoted[0], run_end)
            draft.quote = doc[content[0] : content[1]].text.strip('“”"‘’ ,')
            tail = main + 1 if main is not None and main >= run_end else j
            if any(doc[x].is_alpha and doc[x].lower_ not in SKIP_AFTER_VERB for x in range(tail, j)):
                # `"...," Wallace said, adding that a package worth ... was approved`: that is said too.
                content = (quoted[0], j)
            # After `denied that`: `that` opens what is reported (`said last month that` is when).
            that = None
            if main is not None and main < quoted[0]:
                that = next((x for x in range(main + 1, quoted[0]) if doc[x].lower_ == "that"), None)
            reported = [x for x in range(that + 1, quoted[0]) if doc[x].is_alpha] if that is not None else []
            if len(reported) >= 3:
                # `The ministry denied that any drones had been delivered, calling the report "groundless"`:
                # what is reported comes before the quotation, and is said too.
                content = (reported[0], j)
            elif (
                main is not None
                and quoted[0] > main
                and phrase
                and phrase[0] > i + 3
                and doc[phrase[0] - 1].text == ","
            ):
                # `Greece has signed a contract ..., the minister said, calling it "a leap"`: what is
                # said opens the sentence, before its speaker; the quotation is said too.
                content = (i, j)
            elif main is not None and main < quoted[0]:
                # `Israel criticised the sale, calling it "a threat"`, `Lund said the bloc was "deeply
                # concerned" that the helicopters ...`: all after the verb (and its speaker) is said.
                content = (phrase[1] if phrase and phrase[0] > main else main + 1, j)
        elif main is not None:
            k = main + 1
            while k < j and (doc[k].lower_ in SKIP_AFTER_VERB or (phrase and phrase[0] <= k < phrase[1])):
                k += 1
            end = according if according is not None and according > k else j
            content = (k, end)
            if phrase and phrase[0] > main:
                content = (phrase[1], end)
            past = _past_the_listener(doc, main, j)  # `told The Associated Press on Sunday`: `on`
            after = doc[past] if past < j else None
            inverted = (
                after is None or after.lower_ in AFTER_INVERTED or after.text.endswith("ing") or not after.is_alpha
            )
            before_text, after_text = clause.text(i, phrase[0]) if phrase else "", clause.text(*content)
            if DEAL_WORDS.search(before_text) and not DEAL_WORDS.search(after_text):
                inverted = True  # `Britain delivered 2,000 missiles, the minister told parliament.`
            if phrase and phrase[0] > i + 3 and _after_a_comma(clause, i + 3, phrase[0]) and inverted:
                # `Russia will deliver ..., the minister said on Tuesday, adding ...`: what is said comes first.
                content = (i, j)
            elif not any(doc[x].is_alpha for x in range(*content)) and phrase and phrase[0] > i:
                content = (i, phrase[0])
        elif according is not None:
            content = (i, according)
        else:
            content = (i, j)
        content_text = clause.text(*content)
        if main is None and according is None and quoted and len(quoted) >= (j - i) - 1 and clause.quote_goes_on:
            # `"Tehran is no longer just a supplier. It is a full participant," he said.`: the
            # quotation's first sentence is the statement its speaker ends.
            if doc[i].text in QUOTE_OPEN or doc[i].text == '"':
                self.quote_opening = [clause.start, clause.end]
                return None
        if main is None and according is None and quoted and len(quoted) >= (j - i) - 1 and self.drafts:
            # A quotation continued in a sentence of its own: the same statement.
            return self._continue(draft, clause, reason="quotation continued")
        speaker_ok = self._speaker(draft, clause, phrase)
        if speaker_ok == "pronoun":
            previous = self.drafts[-1] if self.drafts else None
            if previous is None:
                return None
            _speaker_of(previous, draft)
            draft.cue("speaker", f"“{doc[phrase[0]].text}”: the previous speaker")
        self._attribution(draft, clause, phrase)
        planned = (
            phrase is None
            and main is None
            and according is None
            and self.drafts
            and self.drafts[-1].group >= group - 1
            and PLANNED_DELIVERY.search(content_text)
        )
        if planned:
            # `The remaining six are expected by December.` after a spokeswoman's statement:
            # she goes on, about when the rest comes.
            _speaker_of(self.drafts[-1], draft)
            draft.cue("speaker", "a delivery still to come, told after a statement: the same speaker")
            draft.cues["attribution"] = ["as the statement before"]

        sales = self._sales(clause, content)
        if sales:
            # `the sale of 400 ... to Saudi Arabia ..., and of 1,200 ... to the UAE ...`: a
            # statement of each sale, with the speaker of both.
            left, right, buyer, elided = sales
            first = copy.deepcopy(draft)
            made = self._facts(first, clause, left, main=main, first_subject=first_subject)
            quantities = [f for f, *_ in getattr(first, "_found", []) if f.startswith("quantity")]
            sale = Sale(
                parties=(self._supplier_of(first), buyer, "“and … to”"),
                kind=("delivery" if quantities[0] == "quantity_delivered" else "order") if quantities else None,
                system=(self.systems_seen[-1] if self.systems_seen else None) if elided else None,
                elided=elided,
            )
            second = copy.deepcopy(draft)
            second.cue("subject", "the second sale the statement names")
            current = self.current_deal  # what follows is about the first sale, as the article's lead
            self._facts(second, clause, right, main=main, first_subject=first_subject, sale=sale)
            self.current_deal = current
            return made
        # Facts.
        self._assertion(draft, clause, content, content_text)
        if (
            main is None
            and according is None
            and not getattr(draft, "_found", None)
            and not clause.mentions
            and not planned
        ):
            if self.drafts and same_paragraph:
                return self._continue(draft, clause, reason="no new speaker or record: continues the statement")
            return None
        possessive = self._possessive_speaker(clause)
        if possessive and main is None:
            return self._continue(draft, clause, reason=f"about {possessive}'s statement", speaker=possessive)
        return self._facts(draft, clause, content, main=main, first_subject=first_subject, speaker_ok=speaker_ok)

    def _facts(self, draft, clause, content, *, main, first_subject, speaker_ok=None, sale=None):
        """The rest of a statement from what it says (`content`, a token range): its figures
        (unless read already), stance, subject and date; its drafts kept. `sale`: the second
        sale of a statement that names two (Sale)."""
        content_text = clause.text(*content)
        if not hasattr(draft, "_found"):
            self._assertion(draft, clause, content, content_text, sale=sale)
        self._stance(draft, clause, main, content_text)
        subject = self._subject(draft, clause, content, content_text, first_subject, sale=sale)
        if subject is None:
            return None
        self._stated_date(draft, clause, main, content)
        draft.summary = _summary(content_text or clause.text())
        if speaker_ok == "pronoun" and self.drafts:
            previous = self.drafts[-1]
            if not draft.assertion_field and not previous.assertion_field and previous.subject == draft.subject:
                return self._merge(previous, draft, reason="the same speaker goes on")
        drafts = self._split_assertions(draft)
        if self.quote_opening:
            for each in drafts:
                each.also.insert(0, self.quote_opening)
            self.quote_opening = None
        self.drafts.extend(drafts)
        if draft.deal or draft.subject_type == "proposal":
            self.current_deal = (draft.subject_type, draft.subject_key, dict(draft.proposed_contract))
        return subject

    def _sales(self, clause, content):
        """Two sales in one statement: `the sale of 400 X to Saudi Arabia for $3.9 billion,
        and of 1,200 Y to the United Arab Emirates for $610 million`, `delivered 10 X to A and
        five Y to B`. Each half names its own figure and its own buyer after `to`; the
        halves' token ranges, the second's buyer and whether its figure's noun is left out
        (`29 Tor-M1 systems to Iran and 12 to Syria`). None when the statement is one sale."""
        doc = clause.doc
        for k in range(content[0] + 3, content[1] - 3):
            if doc[k].lower_ != "and" or clause.in_quote[k - clause.i]:
                continue
            n = k + 1
            while n < content[1] - 1 and doc[n].lower_ in ("of", "another", "a", "further"):
                n += 1
            if _number_token(doc[n]) is None or doc[n].text.isdecimal() and 1900 <= int(doc[n].text) <= 2100:
                continue
            end = k - 1 if doc[k - 1].text == "," else k
            left, right = (content[0], end), (k + 1, content[1])
            figures = [x for x in range(*left) if _number_token(doc[x]) is not None]
            buyers = [self._buyer_after_to(clause, *half) for half in (left, right)]
            if figures and all(buyers) and buyers[0] != buyers[1]:
                elided = n + 1 >= content[1] or doc[n + 1].lower_ in ("to", "for", ",", ".")
                return left, right, buyers[1], elided
        return None

    def _news_parties(self, system):
        """(supplier, recipient) of the deal in the news when it is a deal of this system, else None."""
        if not self.current_deal or system is None:
            return None
        kind, key, proposal = self.current_deal
        if kind == "proposal":
            return (proposal.get("supplier"), proposal.get("recipient")) if proposal.get("system") == system else None
        contract = self._contract(key if kind == "contract" else key[0])
        if contract is None or system not in contract.lines:
            return None
        return (contract.supplier, contract.recipient)

    def _contract(self, reference):
        """The gazetteer's recorded deal of this reference, or None."""
        return next((c for c in self.gazetteer.contracts if c.reference == reference), None)

    def _supplier_of(self, draft):
        if draft.subject_type == "proposal":
            return draft.proposed_contract.get("supplier")
        reference = draft.deal or (draft.subject_key if draft.subject_type == "contract" else None)
        contract = self._contract(reference)
        return contract.supplier if contract else None

    def _buyer_after_to(self, clause, i, j):
        """The state of the last party named after `to` in tokens i..j."""
        to = [m for m in clause.mentions_in(i, j, "actor") if _preposition(clause.doc, m) == "to"]
        return actor_state(self.gazetteer, to[-1].key) if to else None

    def _continue(self, draft, clause, *, reason, speaker=None):
        target = None
        for previous in reversed(self.drafts):
            if speaker is None or previous.speaker == speaker:
                target = previous
                break
        if target is None:
            return None
        target.also.append([clause.start, clause.end])
        target.cue("merged", reason)
        if draft.quote and target.quote:
            target.quote = f"{target.quote} {draft.quote}"
        return target.subject

    def _merge(self, previous, draft, *, reason):
        if self.quote_opening:
            previous.also.append(self.quote_opening)
            self.quote_opening = None
        previous.also.append([draft.start, draft.end])
        previous.cue("merged", reason)
        if previous.stance == "asserts" and draft.stance != "asserts":
            previous.stance = draft.stance
            for cue in draft.cues.get("stance", []):
                previous.cue("stance", cue)
        if draft.quote and not previous.quote:
            previous.quote = draft.quote
        return previous.subject

    def _possessive_speaker(self, clause):
        doc = clause.doc
        for m in clause.mentions_in(clause.i, clause.j, "person"):
            if m.j + 1 < clause.j and doc[m.j].text in ("’s", "'s") and doc[m.j + 1].lower_ in (
                "comments", "remarks", "statement", "words", "confirmation", "announcement",
            ):  # fmt: skip
                return m.key
        return None

    def _phrase_before(self, clause, verb):
        doc = clause.doc
        head = None
        verb = _before_party_and_state(clause, verb)
        for k in range(verb - 1, clause.i - 1, -1):
            if clause.in_quote[k - clause.i]:
                break
            if doc[k].lower_ in ("that",) or doc[k].text in (";",):
                break
            if clause.mention_at(k) and clause.mention_at(k).kind in ("person", "actor"):
                head = k
                break
            if doc[k].lower_ in ROLE_WORDS or doc[k].lower_ in PRONOUNS:
                head = k
                break
            if k >= verb - 2 and doc[k].is_title and doc[k].is_alpha and (k > clause.i or doc[k].text in self.proposed):
                # `..." Wallace said`: a name not recorded (yet); opening the sentence, only a
                # surname named before (`Kovalchuk said`), not any capitalised first word.
                head = k
                break
        if head is None:
            return None
        mention = clause.mention_at(head)
        first = mention.i if mention else head
        start = first
        while (
            start - 1 >= clause.i
            and doc[start - 1].text not in BOUNDARIES
            and not clause.in_quote[start - 1 - clause.i]
        ):
            start -= 1
        end = verb
        while end > head + 1 and doc[end - 1].lower_ in SKIP_AFTER_SPEAKER:
            end -= 1
        if mention:
            end = max(end, mention.j)
        while start < end and doc[start].lower_ in ("in", "and") and start < first:
            start += 1
        name = _name_before_comma(clause, start)
        if name is not None and not clause.mentions_in(start, end, "person"):
            start = name  # `Eleni Markou, a lawmaker for the opposition, said`: her name opens the phrase
        elif (
            start - 2 >= clause.i
            and doc[start - 1].text == ","
            and doc[start - 2].lower_ in ROLE_WORDS
            and (mention.kind == "person" if mention else doc[head].lower_ not in ROLE_WORDS)
        ):
            # `Iran's foreign ministry spokesman, Reza Mahdavi, said`: the title before the comma is
            # the speaker's too, not what is said.
            start -= 2
            while start - 1 >= clause.i and doc[start - 1].text not in BOUNDARIES:
                start -= 1
        return (start, end)

    def _phrase_after(self, clause, verb):
        doc = clause.doc
        k = verb + 1
        while k < clause.j and doc[k].lower_ in ("to", "the"):
            k += 1
        end = k
        while end < clause.j and doc[end].text not in BOUNDARIES and doc[end].text not in (".", "!", "?"):
            end += 1
        if end == k:
            return None
        has_head = any(clause.mention_at(x) or doc[x].lower_ in ROLE_WORDS for x in range(k, end))
        return (k, end) if has_head else None

    def _speaker(self, draft, clause, phrase):
        """Who speaks: sets the speaker fields; 'pronoun' when the phrase is one."""
        if phrase is None:
            draft.speaker_kind = "source"
            return None
        doc, g = clause.doc, self.gazetteer
        words = [doc[k].lower_ for k in range(*phrase)]
        text = clause.text(*phrase)
        role = re.sub(r"^(?:a|an|the)\s+", "", text, flags=re.IGNORECASE)
        if len(words) == 1 and words[0] in PRONOUNS:
            return "pronoun"
        people = clause.mentions_in(*phrase, kind="person")
        actors = clause.mentions_in(*phrase, kind="actor")
        located = [m for m in actors if m.i > 0 and doc[m.i - 1].lower_ == "in"]
        if located and (len(located) < len(actors) or set(words) & FOREIGN_HERE):
            # `a Western diplomat in Vientiane`, `the Chinese Embassy in Belgrade`: where the
            # speaker is, not whom they speak for (`officials in Belgrade` are Serbia's).
            actors = [m for m in actors if m not in located]
        if people:
            person = g.people[people[-1].key]
            draft.speaker, draft.speaker_actor = person.slug, person.affiliation or ""
            rest = " ".join(text.replace(people[-1].text, " ").split()).strip(" ,")
            draft.speaker_role = rest or person.title
            draft.speaker_kind = "person"
            draft.cue("speaker", f"name “{people[-1].text}”")
            return "person"
        given = self._by_given_name(clause, phrase)
        if given and given[0] == "person":
            person = g.people[given[1]]
            draft.speaker, draft.speaker_actor = person.slug, person.affiliation or ""
            draft.speaker_role, draft.speaker_kind = person.title, "person"
            draft.cue("speaker", f"“{text}”: {person.name}, named before")
            return "person"
        if given:
            draft.proposed_speaker, draft.speaker_kind = given[1], "person"
            draft.speaker_role = self.proposed_roles.get(given[1], "")
            draft.cue("speaker", f"“{text}”: {given[1]}, named before")
            return "person"
        if MEDIA_WORDS & set(words) or NEWS_AGENCY.search(text):
            draft.speaker_role = role
            draft.speaker_kind = "media"
            draft.cue("speaker", f"media “{text}”")
            return "media"
        normalised = {US_SPELLING.get(w, w) for w in words}
        states = {actor_state(g, m.key) for m in actors}
        matches = [
            slug
            for slug, title in self.recogniser.people_by_title
            if title and title <= normalised and (not states or actor_state(g, g.people[slug].affiliation) in states)
        ]
        explicit = _appositive_name(clause, phrase) or _proper_name(clause, phrase)
        if len(matches) == 1 and not explicit:
            # A title alone is the one person recorded with it; a title with another name is not.
            person = g.people[matches[0]]
            draft.speaker, draft.speaker_actor, draft.speaker_role = person.slug, person.affiliation or "", role
            draft.speaker_kind = "person"
            draft.cue("speaker", f"title “{text}” = {person.name}, {person.title}")
            return "person"
        name = explicit
        # `Dela Cruz said`: a family name of two words, of a person named in full before.
        name = next((full for full in self.proposed.values() if full.endswith(f" {name}")), name) if name else ""
        if not name:
            # `Wallace said`: a person proposed earlier in the article, by surname.
            name = next((full for w in text.split() for surname, full in self.proposed.items() if w == surname), "")
            if name:
                draft.cue("speaker", f"“{family_name(name)}”: {name}, named before")
        if name:
            draft.proposed_speaker = name
            draft.speaker_role = " ".join(role.replace(name, " ").split()).strip(" ,")
            if not draft.speaker_role or draft.speaker_role == family_name(name):
                draft.speaker_role = self.proposed_roles.get(name, "")
            self.proposed.setdefault(family_name(name), name)
            self.proposed_roles.setdefault(name, draft.speaker_role)
            self.first_named.setdefault(name, draft.group)
            draft.speaker_kind = "person"
            draft.cue("speaker", f"name “{name}” not recorded: proposed")
        bodies = [m for m in actors if g.actors[m.key].kind != "state"]
        chosen = (bodies or actors or [None])[-1]
        if chosen:
            draft.speaker_actor = chosen.key
            draft.cue("speaker", f"actor “{chosen.text}”")
        elif "ministry" in words and (home := self._home_ministry(words)):
            # `the defence ministry said` in a report from Bucharest: Romania's (the dateline's
            # state, else the buyer in the article's main deal).
            draft.speaker_actor = home
            draft.cue("speaker", f"“{text}”: {g.actors[home].name}, of the report's state")
        elif "ministry" in words:
            # `a ministry official`: the ministry of the last person named who speaks for one.
            for slug in reversed(self.people_seen):
                affiliation = g.people[slug].affiliation
                if affiliation and "ministry" in g.actors[affiliation].name.lower():
                    draft.speaker_actor = affiliation
                    draft.cue("speaker", f"“ministry”: {g.actors[affiliation].name}, of {g.people[slug].name}")
                    break
        if "ministry" in words and chosen and g.actors[chosen.key].kind == "state":
            # `Israel's Foreign Ministry`: the state's ministry of that name.
            code = self._ministry_of(chosen.key, words)
            if code:
                draft.speaker_actor = code
                draft.cue("speaker", f"“{text}” = {g.actors[code].name}")
                chosen = None
            if chosen is None and not name:
                draft.speaker_role = role
                draft.speaker_kind = "role"
                return "role"
        if name:
            return "person"
        mentioned = {w.lower() for m in actors for w in m.text.split()}
        if chosen and not set(words) - mentioned - {"the", "’s", "'s", "and"}:
            draft.speaker_kind = "actor"
            return "actor"
        home = self.home or self.main_pair[1]
        if words[0] == "the" and words[-1] in GOVERNMENT and not actors and not draft.speaker_actor and home:
            # `..., the government said` in a report from Madrid: Spain's government speaking.
            draft.speaker_actor, draft.speaker_role, draft.speaker_kind = home, role, "role"
            draft.cue("speaker", f"“{text}”: of {g.actors[home].name}, the report's state")
            return "role"
        if words[0] == "the" and not actors and not draft.speaker_actor and self.drafts:
            # `the officials said`: the officials named before.
            head = words[-1]
            for previous in reversed(self.drafts):
                if head in previous.speaker_role.lower().split():
                    draft.speaker_actor, draft.attribution = previous.speaker_actor, previous.attribution
                    draft.speaker_role = role
                    draft.speaker_kind = "anaphora"
                    draft.cue("speaker", f"“{text}”: the {head} of draft sentence “{previous.summary[:40]}”")
                    return "role"
        draft.speaker_role = role
        draft.speaker_kind = "role"
        return "role"

    def _by_given_name(self, clause, phrase):
        """`Col Pichit said`, `Lt Gen Thanakorn told`: a rank and the given name of a person
        named in full before, as Thai and Indonesian reports refer to people. ("person", slug)
        of a recorded person, ("proposed", full name) of one proposed, or None."""
        doc = clause.doc
        for k in range(phrase[0] + 1, phrase[1]):
            if doc[k - 1].lower_.rstrip(".") not in RANKS or not doc[k].is_title:
                continue
            for slug in reversed(self.people_seen):
                if self.gazetteer.people[slug].name.split()[0] == doc[k].text:
                    return ("person", slug)
            for full in self.proposed.values():
                if len(full.split()) > 1 and full.split()[0] == doc[k].text:
                    return ("proposed", full)
        return None

    def _ministry_of(self, state, words):
        """The state's ministry that the words name (`foreign ministry`, `Ministry of Defence`), if recorded."""
        which = {US_SPELLING.get(w, w) for w in words} & MINISTRIES
        if not which or state is None:
            return None
        for code, actor in self.gazetteer.actors.items():
            lower = actor.name.lower() + " " + " ".join(actor.names).lower()
            if actor.parent == state and "ministry" in lower and all(w in lower for w in which):
                return code
        return None

    def _home_ministry(self, words):
        """A ministry named without its state: the dateline's state's, else the main deal's buyer's."""
        for state in (self.home, self.main_pair[1]):
            code = self._ministry_of(state, words)
            if code:
                return code
        return None

    def _attribution(self, draft, clause, phrase):
        text = clause.text()
        anonymous = ANONYMOUS.search(text)
        if ACCORDING_MEDIA.search(text) or draft.speaker_kind == "media":
            # What other media say reaches us through them, anonymous or not.
            draft.attribution = "media-report"
            match = ACCORDING_MEDIA.search(text)
            draft.cue("attribution", f"“{match.group(0)}”" if match else f"media: “{draft.speaker_role}”")
        elif anonymous:
            draft.attribution = "anonymous"
            draft.cue("attribution", f"“{anonymous.group(0)}”")
        elif draft.speaker_kind == "anaphora":
            draft.cue("attribution", "as the officials named before")
        elif re.search(r"\bspokes(?:man|woman|person)\b", draft.speaker_role or "", re.IGNORECASE):
            draft.attribution = "spokesperson"
            draft.cue("attribution", "spokesperson")
        elif draft.speaker_kind == "person":
            draft.attribution = "on-record"
            draft.cue("attribution", "a named speaker")
        elif draft.speaker_kind == "role":
            draft.attribution = "spokesperson"
            draft.cue("attribution", f"officials speaking for their side: “{draft.speaker_role}”")
        elif draft.speaker_kind == "actor" and self._verb in SPEECH_VERBS:
            draft.attribution = "spokesperson"
            draft.cue("attribution", f"the body speaks: “{self._verb}”")
        else:
            draft.attribution = "source"
            draft.cue("attribution", "no other speaker: the article itself" if not phrase else "the actor itself")

    def _stance(self, draft, clause, main, content_text):
        doc = clause.doc
        verb = doc[main].lower_ if main is not None else ""
        if re.match(r"^\W*if\b", content_text, re.IGNORECASE) and re.search(r"\bwould\b", content_text):
            draft.stance = "comments"
            draft.cue("stance", "“if … would”: a conditional")
            return
        said = doc[main : clause.j].text if main is not None else ""
        for stance, pattern in STANCE_RULES:
            match = pattern.search(verb) or pattern.search(said) or pattern.search(content_text)
            if match:
                draft.stance = stance
                draft.cue("stance", f"“{match.group(0)}”")
                return
        draft.cue("stance", "no cue: asserts")

    def _assertion(self, draft, clause, content, content_text, *, sale=None):
        doc = clause.doc
        text = content_text
        lower = text.lower()
        has_deal = bool(DEAL_WORDS.search(text)) or bool(clause.mentions_in(*content, kind="system"))
        if not has_deal and sale is None:  # a second sale's deal words are the first's
            return
        found = []
        money = money_in(text, parties=self.main_pair)
        for _start, _end, written, canonical in money:
            found.append(("value", canonical, written, f"amount “{written}”"))
        money_spans = [(s, e) for s, e, _, _ in money]
        base = doc[content[0]].idx if content[0] < len(doc) else 0
        taken = set()  # the high end of a range read with its low end
        for k in range(*content):
            token = doc[k]
            value = _number_token(token)
            if value is None or k in taken:
                continue
            at = token.idx - base
            if any(s <= at < e for s, e in money_spans) or (1900 <= value <= 2100 and token.text.isdecimal()):
                continue
            if value <= 31 and _next_to_a_month(doc, k):
                continue  # `signed a contract on 5 March for a sixth C-390`: a day, not five aircraft
            if _in_a_designation(doc, k, clause):
                continue  # `six Type 209 submarines`: the type's number, not 209 boats
            if k + 2 < len(doc) and doc[k + 1].text in ("-", "–") and doc[k + 2].is_alpha:
                continue  # `the eight-wheeled vehicles`, `two-seat jets`: what they are, not how many
            last = k  # the figure's last token: `3 million`, `between 20 and 30`
            if last + 1 < content[1] and doc[last + 1].lower_ in SCALE_WORDS:
                value *= SCALE_WORDS[doc[last + 1].lower_]
                last += 1
            high = None
            joined = doc[last + 1].lower_ if last + 2 < content[1] else ""
            if joined in ("to", "-", "–", "or") or (joined == "and" and k > 0 and doc[k - 1].lower_ == "between"):
                high = _number_token(doc[last + 2])
                if high is not None:
                    last += 2
                    taken.add(last)
            noun = None
            # Five words after the figure; `Air-to-Ground` is one (spaCy makes five tokens of it).
            words, x = 0, last
            while words < 5 and x + 1 < content[1]:
                x += 1
                words += doc[x].text != "-" and doc[x - 1].text != "-"
                mention = clause.mention_at(x)
                if doc[x].lower_ in SYSTEM_NOUNS or (mention and mention.kind == "system"):
                    noun = doc[x].text
                    break
                if doc[x].lower_ in ("targets", "people", "years"):
                    break
                if not (
                    doc[x].is_alpha
                    or "-" in doc[x].text
                    or _DESIGNATION_WORD.fullmatch(doc[x].text)
                    or _in_a_designation(doc, x, clause)
                ):
                    break  # (`12 JAS 39 Gripen fighters`, `180 K2 tanks`: a designation is read past)
            if noun is None and _designation_alone(doc, last + 1, content[1]):
                noun = doc[last + 1].text  # `will donate 18 F-16s to Ukraine`: a designation no register knows
            if noun is None and sale and sale.elided and not _found_quantity(found):
                noun = "(as the first sale)"  # `and 12 to Syria`: twelve of what the first sale sold
            if noun is None:
                continue
            before = doc[max(content[0], k - 3) : k].text.lower()
            # `at least a dozen`: the article between the qualifier and the figure is read past.
            before = re.sub(r"\s+(?:a|an)$", "", before)
            qualifier = next((QUALIFIER_WORDS[q] for q in QUALIFIER_WORDS if before.endswith(q)), "")
            written = doc[k : last + 1].text
            number = f"{value}-{high}" if high and high > value else str(value)
            kind = self._nearest_kind(doc, k, content) or (sale.kind if sale else None)
            field_name = "quantity_delivered" if kind == "delivery" else "quantity_ordered"
            # `the first two of 12`, `the second of its two aircraft`
            owner = k - 1 >= content[0] and doc[k - 1].lower_ in ("its", "their")
            at_of = k - 2 if owner else k - 1
            of = at_of - 1 >= content[0] and doc[at_of].lower_ == "of" and not high
            part = _number_token(doc[at_of - 1]) if of else None
            if kind is not None and of and (doc[at_of - 1].lower_ in ORDINALS or (part or 0) > 0):
                # `the first two of 12 FA-50s`, `the first of seven batteries`: 12 and seven were
                # ordered, two of them delivered.
                if not any(f == "quantity_ordered" for f, *_ in found):
                    found.append(("quantity_ordered", str(value), written, f"“of {written} … {noun}”: the order"))
                # `The first four of 66 jets that Taiwan ordered ... have arrived`: the order's verb
                # is nearer, in the clause about the 66; the sentence's own verb delivered the four.
                delivered = kind == "delivery" or _delivered_in(doc, content)
                if delivered and part and part < value and not any(f == "quantity_delivered" for f, *_ in found):
                    shown = doc[at_of - 1 : last + 1].text
                    found.append(
                        ("quantity_delivered", str(part), doc[at_of - 1].text, f"“{shown} … {noun}”: delivered of it")
                    )
                continue
            if kind in (None, "planned") or any(f == field_name for f, *_ in found):
                continue  # no deal verb near (`asked for 6,000 more`), or a plan
            try:
                assertion_read(field=field_name, text=f"{qualifier} {number}".strip())
            except AssertionUnreadable:
                continue  # `5,000 million shells`: past what a quantity holds, as the editor would hear
            found.append((field_name, f"{qualifier} {number}".strip(), written, f"“{written} … {noun}” ({kind} words)"))
        total = _running_total(text)
        if total and not any(f == total[0] and v == total[1] for f, v, *_ in found):
            # Beside the batch (`four more ..., bringing to 10 the number received`): both.
            found.append(total)
        # `Egypt cancelled its order for 24 Su-35 jets in 2021`: the date is the cancellation's,
        # and the status says it (blind set 2).
        cancelled = CANCELLED.search(lower) and not NOT_CANCELLED.search(lower)
        for start, written, shown in _date_ranges(text, dates_in(text, self.published)):
            k = _token_at(doc, base + start, content)
            if any(_is_reporting(doc, x) for x in range(max(content[0], k - 2), k + 1)):
                continue  # `said on Friday`: when it was said, not a date of the deal
            # Fourteen tokens: an aside between the verb and its date (`bought 12 FA-50s, known
            # locally as the FA-50PH, in 2014`) is common; ten lost it (blind sets 3, 4, 5 and 7).
            kind = self._nearest_kind(doc, k, content, window=14, date=True)
            if kind in (None, "planned"):
                continue
            field_name = "delivery_date" if kind == "delivery" else "order_date"
            if field_name == "order_date" and cancelled:
                continue
            found.append((field_name, shown, written, f"date “{written}” near {kind} words"))
        if not any(f == "order_date" for f, *_ in found):
            for name, pattern in STATUS_RULES:
                match = pattern.search(lower)
                if match:
                    # A quantity delivered says it was (`delivered 20 drones`), unless it is only
                    # the running total beside this batch (`has shipped a second batch ...,
                    # bringing the total it has supplied to about 200`): both, then.
                    if name == "delivered" and any(
                        f == "quantity_delivered" and not cue.startswith("running total") for f, _, _, cue in found
                    ):
                        break
                    found.append(("status", name, match.group(0), f"status “{match.group(0)}”"))
                    break
        draft.cues.setdefault("assertions", [])
        draft._found = found

    def _nearest_kind(self, doc, k, content, window=12, date=False):
        best = None
        for x in range(max(content[0], k - window), min(content[1], k + window)):
            lower = doc[x].lower_ if not _in_compound(doc, x) else ""
            kind = "delivery" if lower in DELIVERY_WORDS else "order" if lower in ORDER_WORDS | BUY_VERBS else None
            if lower in SUPPLY_VERBS and kind is None:
                # `had supplied 40 missiles`: handed over; `sold`, `supply`, `pledged`: what was agreed.
                kind = "delivery" if lower in SUPPLIED else "order"
            modal = ("will", "would", "to", "shall", "could")
            moves = lower in SUPPLY_VERBS or lower in DELIVERY_WORDS
            if kind and moves and x > 0 and doc[x - 1].lower_ in modal:
                # `will deliver 12`: what the deal is for; `would arrive in March`: a plan.
                kind = "order" if lower in SUPPLY_VERBS and not date else "planned"
            elif kind == "delivery" and x > 1 and doc[x - 1].lower_ == "be" and doc[x - 2].lower_ in modal:
                kind = "planned"  # `would be delivered by 2022`: a plan, neither ordered nor delivered
            elif date and lower in _STAGES and x > 0 and doc[x - 1].lower_ in (*modal, "be"):
                kind = "planned"  # `deliveries are expected to be completed by 2028`, `will begin in 2027`
            # The verb that governs a figure usually comes before it (`signed in December`, `ordered 36`).
            distance = k - x if x <= k else 2 * (x - k)
            if kind and (best is None or distance < best[0]):
                best = (distance, kind)
        if best is None and k > content[0] and doc[k - 1].lower_ in ("for", "in"):
            # `signed a $375 million contract with ..., in January 2022 for three batteries`: far
            # from its verb, but the statement's only deal words are an order's.
            words = {doc[x].lower_ for x in range(*content) if not _in_compound(doc, x)}
            others = DELIVERY_WORDS | SUPPLY_VERBS | {"plan", "plans", "planned", "earlier", "previous", "original"}
            if words & ORDER_WORDS and not words & others:
                return "order"
        return best[1] if best else None

    def _parties(self, clause, i, j, *, speaker_state):
        """(supplier, recipient, cue) of `X sold ... to Y`, `Y bought ... from X`, in tokens i..j."""
        doc, g = clause.doc, self.gazetteer
        actors = [m for m in clause.mentions if m.kind == "actor" and not _names_a_source(doc, m)]
        # Where `we`/`our` and `we`/`us` first and last stand: each verb asks in constant time.
        # `aircraft ordered by the Netherlands`: the buyer, whatever verb names the seller.
        ordered_by = next((m for m in actors if i <= m.i and m.j <= j and _ordered_by(doc, m)), None)
        buyer = actor_state(g, ordered_by.key) if ordered_by else None
        ours = [x for x in range(i, j) if doc[x].lower_ in ("we", "our")]
        us = [x for x in range(i, j) if doc[x].lower_ in ("we", "us")]
        ends = [m.j for m in actors]  # in the text's order: the parties before a verb by bisection
        for k in range(i, j):
            lower = doc[k].lower_
            if lower in ("delivery", "deliveries") and k > i and doc[k - 1].lower_ in TAKE_VERBS:
                lower = "received"  # `Germany has taken delivery of`: the one who takes buys
            if lower in ("sign", "signs", "signed", "inked"):
                pair = self._signed_together(clause, actors, ends, i, j, k)
                if pair:
                    return pair
            if lower in ("sign", "signs", "signed", "inked") and _signed_for(doc, k, j):
                lower = "bought"  # `Egypt has signed for 24 more Rafale jets`, `signed a deal for`
            if lower in ("order", "orders", "purchase", "purchases") and _owned_by_a_pronoun_after_an_object(
                doc, actors, i, k
            ):
                # `..., from France in 2021, bringing its total order to 24`: a noun whose owner
                # is a pronoun, not the party just named after `from` (`Egypt cancelled its order`: Egypt's).
                continue
            if lower in ARRIVAL_VERBS:
                # `The first 10 of 180 K2 tanks arrived in Poland`: where they arrived bought them.
                at = [m for m in actors if k < m.i < j and _preposition(doc, m) == "in" and _same_phrase(doc, k, m.i)]
                if at:
                    origin = next((m for m in actors if k < m.i < j and _preposition(doc, m) == "from"), None)
                    supplier = actor_state(g, origin.key) if origin else None
                    return supplier, actor_state(g, at[0].key), f"“{doc[k].text} in”"
                continue
            shipped = lower in ("delivery", "deliveries", "shipment", "shipments")
            if (lower not in SUPPLY_VERBS and lower not in BUY_VERBS and not shipped) or _in_compound(doc, k):
                continue
            if lower in GIVING_VERBS and not _arms_follow(clause, k, j):
                continue  # `sends a wrong signal`, `pledged support`: not arms changing hands
            before = [m for m in actors if i <= m.i and m.j <= k]
            after = [m for m in actors if k < m.i and m.j <= j]
            to = [m for m in after if _preposition(doc, m) in ("to", "from", "for")]
            # `from` names who supplies, `to` and `for` who receives (`transferred from Italy to Egypt`).
            to_whom = next((m for m in to if _preposition(doc, m) != "from"), None)
            from_whom = next((m for m in to if _preposition(doc, m) == "from"), None)
            if lower in BUILD_VERBS and not any(_preposition(doc, m) == "for" for m in to):
                continue
            near = actor_state(g, before[-1].key) if before else None
            if len(before) >= 2 and _preposition(doc, before[-1]) == "with" and not to:
                # `Peru is negotiating with Sweden over the purchase`: the one before `with` buys.
                first, other = actor_state(g, before[-2].key), actor_state(g, before[-1].key)
                if lower in BUY_VERBS:
                    return other, first, f"“{doc[k].text}” with"
                return first, other, f"“{doc[k].text}” with"
            if (
                lower in ("sale", "sales")
                or shipped  # `deliveries of the howitzers to Iran`
                or lower in ("export", "exports")
                and k > i
                and doc[k - 1].lower_ in DETERMINERS
            ):
                # A noun: `any arms sales to Tehran` names a buyer; a seller only as `Russia's sale`
                # (`the export version of China's HQ-22` names neither).
                owner = before[-1] if before and k - before[-1].j <= 3 else None
                supplier = actor_state(g, owner.key) if owner and doc[owner.j].text in ("’s", "'s") else None
                recipient = actor_state(g, to_whom.key) if to_whom else None
                # (The approval within six words of the sale: a long sentence is not read again per sale.)
                approving = (
                    not shipped
                    and before
                    and any(doc[x].lower_ in APPROVAL_VERBS for x in range(max(before[0].j, k - 6), k))
                )
                if supplier is None and from_whom:
                    supplier = actor_state(g, from_whom.key)  # `the sale of 14 tanks from Spain to Ukraine`
                elif supplier is None and approving:
                    # `Washington approved a $2.2 billion sale of 108 tanks to Taiwan`: a state
                    # approves its own exports.
                    supplier = actor_state(g, before[0].key)
            elif lower in SUPPLY_VERBS:
                # `transferred from the U.S. Navy's fleet`: who supplies, not who receives.
                supplier = near or (actor_state(g, from_whom.key) if from_whom else None)
                recipient = actor_state(g, to_whom.key) if to_whom else None
                by = next((m for m in after if _preposition(doc, m) == "by" and _same_phrase(doc, k, m.i)), None)
                passive = k > i and doc[k - 1].lower_ in PASSIVE_AUXILIARIES
                if by and (passive or near is None):
                    # `tanks were delivered to Thailand by Russia`, `Thailand was sold 40 tanks by Russia`
                    supplier = actor_state(g, by.key)
                    recipient = recipient or (near if passive else None)
                if recipient is None and after and _preposition_at(doc, after[0]) == k:
                    # `supplied Ukraine with air defence systems`, `sent Kyiv 14 tanks`, `sold the
                    # Philippines 12 jets`
                    recipient = actor_state(g, after[0].key)
                if supplier is None and any(doc[x].lower_ == "we" for x in ours if x < k):
                    # `"We have delivered all 29," the minister said`; not `our units ... the
                    # vehicles handed over today` (where the speaker's side receives).
                    supplier = speaker_state
            else:
                recipient = near
                if near is None and self.opened_by and _opened_by_pronoun(doc, i, k):
                    recipient = actor_state(g, self.opened_by)  # `Indonesia is ... It ordered`
                supplier = actor_state(g, to[0].key) if to else None
                if supplier is None and us and us[-1] >= k:
                    supplier = speaker_state
                got_an_order = any(
                    doc[x].lower_ in ("order", "orders", "contract", "request") for x in range(k, min(k + 4, j))
                )
                if recipient is None and ours and ours[0] < k and not got_an_order:
                    # `"We have received all 29 systems," Iran's defence minister said`; not `we
                    # received an order from Iran` (the seller's words).
                    recipient = speaker_state
            if buyer and recipient is None and supplier != buyer:
                recipient = buyer
            if supplier or recipient:
                return supplier, recipient, f"“{doc[k].text}”"
        if buyer:
            return None, buyer, "“ordered by”"
        return self._signed_with(clause, i, j)

    def _signed_with(self, clause, i, j):
        """(supplier, recipient, cue) of `Greece signed a contract with the United States`: the
        party after `with` sells, unless the other is where the system comes from."""
        doc, g = clause.doc, self.gazetteer
        actors = [m for m in clause.mentions if m.kind == "actor" and i <= m.i and m.j <= j]
        for m in actors:
            if _preposition(doc, m) != "with":
                continue
            window = {doc[x].lower_ for x in range(max(i, m.i - 8), m.i)}
            if not window & {"contract", "deal", "agreement", "order"} or not window & ORDER_WORDS:
                continue
            before = [b for b in actors if b.j <= m.i - 1 and not _names_a_source(doc, b)]
            if not before:
                continue
            buyer, seller = actor_state(g, before[-1].key), actor_state(g, m.key)
            systems = clause.mentions_in(i, j, "system")
            origin = g.systems[systems[0].key].origin if systems and systems[0].key in g.systems else None
            if origin == buyer:
                buyer, seller = seller, buyer
            if buyer and seller and buyer != seller:
                return seller, buyer, "“signed … with”"
        return None, None, None

    def _signed_together(self, clause, actors, ends, i, j, k):
        """`India and France signed a deal for 26 Rafale-M jets`: two parties signing together,
        one of them the state the system comes from, which sells to the other. (supplier,
        recipient, cue), or None: the signers name no seller by themselves."""
        doc, g = clause.doc, self.gazetteer
        last = bisect_right(ends, k)  # the two parties just before the verb
        signers = [m for m in actors[max(0, last - 2) : last] if i <= m.i]
        if len(signers) < 2 or signers[-1].i != signers[-2].j + 1 or doc[signers[-2].j].lower_ != "and":
            return None
        if k - signers[-1].j > 2:  # `India and France have signed`, not a clause between them
            return None
        systems = clause.mentions_in(k, j, "system")
        origin = g.systems[systems[0].key].origin if systems and systems[0].key in g.systems else None
        first, second = actor_state(g, signers[-2].key), actor_state(g, signers[-1].key)
        if origin is None or origin not in (first, second) or first == second:
            return None
        cue = f"“{signers[-2].text} and {signers[-1].text} {doc[k].text}”"
        return origin, second if origin == first else first, cue

    def _subject(self, draft, clause, content, content_text, first_subject, *, sale=None):
        g = self.gazetteer
        systems = clause.mentions_in(*content, kind="system")
        if not systems and sale is None:  # a second sale's system is its own (Sale.system)
            systems = clause.mentions_in(clause.i, clause.j, "system")
        for m in systems:
            self.systems_seen.append(m.key)
        found = getattr(draft, "_found", [])
        speaker_state = actor_state(g, draft.speaker_actor) if draft.speaker_actor else None
        parties = sale.parties if sale else self._parties(clause, *content, speaker_state=speaker_state)
        supplier, recipient, verb = parties
        has_deal_words = bool(DEAL_WORDS.search(content_text) or PLANNED_DELIVERY.search(content_text))
        specific = SPECIFIC_DEAL.search(content_text)
        title_word = next(
            (w for w in self.recogniser.title_words if re.search(rf"\b{re.escape(w)}\b", content_text)), None
        )
        if systems and not has_deal_words and not found:
            draft.subject_type, draft.subject_key = "system", systems[0].key
            draft.cue("subject", f"system “{systems[0].text}” described, no deal words")
            return draft.subject
        if title_word and not NEW_ORDER.search(content_text):
            reference = self.recogniser.title_words[title_word]
            draft.subject_type, draft.subject_key, draft.deal = "contract", reference, reference
            draft.cue("subject", f"“{title_word}” in the title of deal {reference}")
            return draft.subject
        ammunition = not systems and bool(AMMUNITION_NOUNS & {t.lower_ for t in clause.doc[content[0] : content[1]]})
        if found or specific or verb or systems:
            if systems:
                system = systems[0].key
            elif ammunition:
                system = None  # `3 million artillery shells`: not the missile named before
            elif sale is not None:
                system = sale.system
            else:
                system = self.systems_seen[-1] if self.systems_seen else self.main_system
            cue = []
            origin = g.systems[system].origin if system in g.systems else None
            news = self._news_parties(system) if not systems and sale is None else None
            if (
                news
                and all(news)
                and supplier in (None, news[0])
                and recipient in (None, news[1])
                and speaker_state in (None, *news)
                and {actor_state(g, m.key) for m in clause.mentions_in(*content, kind="actor")} <= set(news)
            ):
                # `the package could be worth ...` after `Malaysia is negotiating to buy ... Hornets from
                # Kuwait`: the system mentioned before is still the deal in the news, whose
                # supplier is not the maker's state.
                supplier, recipient = news
                cue.append("parties of the deal in the news")
            if supplier is None and origin and origin not in (recipient, self.main_pair[0]):
                # `the Istif-class frigates`, in a report of Rafales for Indonesia: the frigates'
                # maker, not the article's main supplier, sells them.
                supplier = origin
                cue.append(f"supplier: where the {g.systems[system].designation} comes from")
                if recipient is None and self.main_pair[1] != origin:
                    recipient = self.main_pair[1]
            supplier = supplier or (self.main_pair[0] if not recipient or recipient == self.main_pair[1] else None)
            recipient = recipient or (self.main_pair[1] if supplier == self.main_pair[0] else None)
            if supplier is not None and supplier == recipient:
                supplier = None  # `Moscow supplied ... to Russia`: a state does not sell to itself
            if supplier is None and origin and origin != recipient:
                supplier = origin
                cue.append(f"supplier: where the {g.systems[system].designation} comes from")
            if verb:
                cue.append(f"parties by {verb}")
            if specific:
                cue.append(f"“{specific.group(0)}”")
            cue.append(f"system “{systems[0].text}”" if systems else f"system {system} (mentioned before)")
            order = _order(clause, content, found, unnamed=ammunition)
            return self._deal(draft, supplier, recipient, system, "; ".join(cue), order=order)
        speaks = draft.speaker_kind in ("person", "role", "anaphora")
        if speaks and (has_deal_words or clause.mentions) and self.current_deal:
            draft.subject_type, draft.subject_key, proposal = self.current_deal
            draft.proposed_contract = dict(proposal)
            if draft.subject_type == "contract":
                draft.deal = draft.subject_key
            draft.cue("subject", "an official on the deal in the news, as the statement before")
            return draft.subject
        own = {draft.speaker_actor, speaker_state}
        actors = [m for m in clause.mentions_in(clause.i, clause.j, "actor") if m.key not in own]
        actors = [m for m in actors if actor_state(g, m.key) not in own or g.actors[m.key].kind != "state"]
        if actors:
            draft.subject_type, draft.subject_key = "actor", actors[0].key
            draft.cue("subject", f"actor “{actors[0].text}” (no deal named)")
            return draft.subject
        if first_subject is not None:
            draft.subject_type, draft.subject_key = first_subject
            draft.deal = first_subject[1] if first_subject[0] == "contract" else None
            if first_subject[0] == "proposal":
                draft.proposed_contract = dict(first_subject[1])
            draft.cue("subject", "refers back to the first half of the sentence")
            return draft.subject
        return None

    def _deal(self, draft, supplier, recipient, system, cue, *, order=None):
        """The recorded deal of these parties and system, or a proposed one. `order`
        (_order): what the sentence says of which order it is, a follow-on order ("180
        more K2 tanks") or the first one, and the year it was signed."""
        g = self.gazetteer
        candidates = [
            c
            for c in g.contracts
            if (supplier is None or c.supplier == supplier)
            and (recipient is None or c.recipient == recipient)
            and (supplier or recipient)
        ]
        order = order or Order()
        triple = (supplier, recipient, system)
        if order.year is not None:
            # Signed in another year than the recorded deal: another deal.
            candidates = [c for c in candidates if c.order_year in (None, order.year)]
        if order.follow_on:
            self.follow_ons.add(triple)
        if order.unnamed:
            candidates = []  # shells, rounds: no recorded deal of these parties is known to be for them
            cue += "; ammunition, no system named"
        if order.follow_on or (triple in self.follow_ons and not order.earlier and order.year is None):
            candidates = []
            cue += f"; another order than the recorded one (“{order.follow_on}”)" if order.follow_on else ""
            cue += "; the follow-on order named before" if not order.follow_on else ""
        # Of several recorded deals the news is about the latest, unless it says the first.
        candidates.sort(key=lambda c: c.order_year or 0, reverse=not order.earlier)
        with_system = [c for c in candidates if system in c.lines]
        chosen = (with_system or ([c for c in candidates if not c.lines] if system is None else []) or [None])[0]
        if chosen is None and len(candidates) == 1 and system is None:
            chosen = candidates[0]
        if chosen is None:
            draft.subject_type = "proposal"
            draft.proposed_contract = {
                k: v for k, v in (("supplier", supplier), ("recipient", recipient), ("system", system)) if v
            }
            draft.cue("subject", f"no recorded deal: proposed ({cue})")
            return draft.subject
        draft.deal = chosen.reference
        draft.subject_type, draft.subject_key = "contract", chosen.reference
        draft.cue("subject", f"deal {chosen.reference} ({cue})")
        return draft.subject

    def _stated_date(self, draft, clause, main, content):
        doc = clause.doc
        if main is not None:
            window = doc[main : min(main + 3, clause.j)].text
            for _s, _e, written, value, precision in dates_in(window, self.published):
                draft.stated_date, draft.stated_date_precision = value, precision
                draft.cue("stated date", f"“{written}”")
                return
            before = doc[clause.i : main].text.lower()
            if not re.search(r"\b(?:previously|earlier|have|has|had)\b", before):
                draft.stated_date = self.published
        else:
            for _s, _e, written, value, precision in dates_in(clause.text(), self.published):
                if precision == "year" and "last year" in written.lower() or written.lower().startswith("this"):
                    draft.stated_date, draft.stated_date_precision = value, precision
                    draft.cue("stated date", f"“{written}”")
                    return

    def _split_assertions(self, draft):
        """One draft per fact: a statement with three figures is three drafts of one group."""
        found = getattr(draft, "_found", [])
        if not found:
            return [self._leveled(draft)]
        drafts = []
        seen = set()
        for field_name, value, written, cue in found:
            # A running total is a figure of its own beside the batch it counts.
            key = (field_name, cue.startswith("running total"))
            if key in seen:
                continue
            seen.add(key)
            copy = DraftData(**{name: getattr(draft, name) for name in DraftData.__dataclass_fields__})
            copy.cues = {k: list(v) for k, v in draft.cues.items() if k != "assertions"}
            copy.assertion_field, copy.assertion_value, copy.assertion_text = field_name, value, written
            copy.cues["assertion"] = [cue]
            drafts.append(self._leveled(copy))
        return drafts

    def _leveled(self, draft):
        """Quantities and statuses are about the deal's line of the system, when it is recorded."""
        draft.cues.pop("assertions", None)
        if draft.subject_type == "contract" and (
            draft.assertion_field.startswith("quantity") or draft.assertion_field in ("status", "delivery_date")
        ):
            contract = self._contract(draft.subject_key)
            system = self.systems_seen[-1] if self.systems_seen else self.main_system
            if contract and contract.lines:
                line = contract.lines.get(system) or next(iter(contract.lines.values()))
                draft.subject_type, draft.subject_key = "transfer", (contract.reference, line)
        if draft.speaker and draft.assertion_field == "status" and draft.stance == "asserts" and draft.deal:
            contract = self._contract(draft.deal)
            state = actor_state(self.gazetteer, draft.speaker_actor)
            if (
                contract
                and state in (contract.supplier, contract.recipient)
                and not draft.assertion_value.startswith("not")
            ):
                draft.stance = "confirms"
                draft.cue("stance", "a party's official states it on the record")
        return draft

    def _deduplicated(self):
        """The same speaker saying the same thing twice is one draft, with both sentences."""
        kept, seen = [], {}
        for draft in self.drafts:
            key = (draft.speaker_key, draft.subject, draft.assertion_field, draft.assertion_value)
            if draft.assertion_field and key in seen:
                first = seen[key]
                first.also.append([draft.start, draft.end])
                first.cue("merged", "the same speaker says the same again")
                if first.stance == "asserts":
                    first.stance = draft.stance
                if draft.quote and not first.quote:
                    first.quote = draft.quote
                continue
            seen[key] = draft
            kept.append(draft)
        return kept


@dataclass
class Sale:
    """The second sale of a statement that names two: what the first sale's words say of it."""

    parties: tuple  # (supplier, recipient, cue): the first sale's supplier, this one's buyer
    kind: str | None  # "order" or "delivery", as the first sale's figure is
    system: str | None  # the first sale's, when this one's figure has no noun (`and 12 to Syria`)
    elided: bool


def _found_quantity(found):
    return any(f.startswith("quantity") for f, *_ in found)


@dataclass
class Order:
    """Which order of a deal a sentence is about: `follow_on` its cue ("more", "a new
    contract"), `earlier` whether it names the first one, `year` its signing year."""

    follow_on: str = ""
    earlier: bool = False
    year: int | None = None
    unnamed: bool = False  # about ammunition, which no named system is


def _order(clause, content, found, *, unnamed=False):
    doc = clause.doc
    follow_on = ""
    # `180 more K2 tanks`, `three more batteries`: before a system or a kind of weapon.
    heads = [m.i for m in clause.mentions_in(*content, kind="system")]
    heads += [x for x in range(*content) if doc[x].lower_ in SYSTEM_NOUNS]
    for head in heads:
        for x in range(max(content[0], head - 3), head):
            word = doc[x].lower_
            if word in FOLLOW_ON_WORDS and not (x + 1 < len(doc) and doc[x + 1].lower_ == "than"):
                verbs = {doc[v].lower_ for v in range(max(content[0], x - 5), x)}
                if verbs & (DELIVERY_WORDS | SUPPLIED | {"shipped"}):
                    continue  # `has delivered two more`: more of the deal's deliveries, not a new order
                follow_on = doc[x].text
    text = clause.text(*content)
    match = NEW_ORDER.search(text)
    if match:
        follow_on = match.group(0)
    year = next((int(value[:4]) for field_name, value, *_ in found if field_name == "order_date"), None)
    return Order(follow_on=follow_on, earlier=bool(EARLIER_ORDER.search(text)), year=year, unnamed=unnamed)


def _delivered_in(doc, content):
    """Whether tokens `content` say something was delivered (`have arrived`, `delivered`), not
    that it will be (`will arrive`, `is due to be delivered`)."""
    modal = ("will", "would", "to", "shall", "could", "should", "may", "might")
    for x in range(*content):
        if doc[x].lower_ not in DELIVERY_WORDS or _in_compound(doc, x):
            continue
        before = [doc[y].lower_ for y in range(max(content[0], x - 2), x)]
        if not set(before) & set(modal) and not (before[-1:] == ["be"]):
            return True
    return False


def _arms_follow(clause, k, j):
    """Whether what follows a verb of giving within a few words is arms: a figure, a system
    or its kind (`sent 14 tanks`, `pledged IRIS-T systems`, `sent Kyiv air defence`)."""
    doc = clause.doc
    for x in range(k + 1, min(k + 7, j)):
        mention = clause.mention_at(x)
        if mention and mention.kind == "system":
            return True
        if doc[x].lower_ in SYSTEM_NOUNS or doc[x].lower_ in AMMUNITION_NOUNS or doc[x].lower_ in ("arms", "weapons"):
            return True
        if x > k + 1 and _number_token(doc[x - 1]) is not None and _DESIGNATION_WORD.fullmatch(doc[x].text):
            return True  # `will donate 18 F-16s`: a figure of a designation
        if doc[x].lower_ in (".", ";") or doc[x].text in QUOTE_OPEN or doc[x].text == '"':
            return False
    return False


def _date_ranges(text, dates):
    """[(start, as written, the claims' form)] of dates_in's dates, two joined as a range
    where the text says so (`between December 2023 and March 2024`, `from 2026 to 2030`):
    `2023-12/2024-03`."""
    shown = [(start, end, written, value.isoformat()[: {"year": 4, "month": 7}.get(precision, 10)])
             for start, end, written, value, precision in dates]  # fmt: skip
    ranges, k = [], 0
    while k < len(shown):
        start, end, written, form = shown[k]
        if k + 1 < len(shown):
            next_start, next_end, _written, next_form = shown[k + 1]
            joint, before = text[end:next_start].strip().lower(), text[:start].rstrip().lower()
            between = joint == "and" and before.endswith("between")
            if between or (joint in ("to", "-", "–") and before.endswith("from")):
                if form < next_form:
                    ranges.append((start, text[start:next_end], f"{form}/{next_form}"))
                    k += 2
                    continue
        ranges.append((start, written, form))
        k += 1
    return ranges


def _in_compound(doc, k):
    """A word inside a hyphenated compound (`anti-ship`, `ship-based`) is not a verb."""
    return (k > 0 and doc[k - 1].text in ("-", "–")) or (k + 1 < len(doc) and doc[k + 1].text in ("-", "–"))


ORDINALS = {"first", "second", "third", "fourth", "fifth", "sixth", "last", "final"}
_MONTH_WORD = re.compile(MONTHS + r"$")


def _owned_by_a_pronoun_after_an_object(doc, actors, i, k):
    """Whether the noun at k is `its`/`their` (within two words) while the party named last
    before it is an object (`from France`), so the pronoun is not that party's."""
    if not any(doc[x].lower_ in ("its", "their", "his", "her", "our") for x in range(max(i, k - 2), k)):
        return False
    last = next((m for m in reversed(actors) if i <= m.i and m.j <= k), None)
    return last is not None and _preposition(doc, last) in ("from", "to", "with", "for", "by")


LISTENERS = {"reporters", "journalists", "lawmakers", "legislators", "parliament", "congress", "senators", "mps"}


def _past_the_listener(doc, k, j):
    """The token after the one `told` at k speaks to (`told reporters`, `told The Associated
    Press`, `told AFP`); after any other verb, the next one."""
    x = k + 1
    if doc[k].lower_ not in ("told", "tells", "informed"):
        return x
    x += x < j and doc[x].lower_ in ("the", "a", "an")
    start = x
    while x < j and doc[x].is_alpha and (doc[x].text[0].isupper() or (x == start and doc[x].lower_ in LISTENERS)):
        x += 1
    return x


def _signed_for(doc, k, j):
    """Whether `signed` at k is followed by `for` (`signed for 24 jets`), or by a deal and then
    `for` (`signed a deal for 24 jets`): the one who signs for arms buys them."""
    if k + 1 < j and doc[k + 1].lower_ == "for":
        return True
    x = k + 1 + (k + 1 < j and doc[k + 1].lower_ in ("a", "an", "the"))
    return x + 1 < j and doc[x].lower_ in ("deal", "contract", "agreement") and doc[x + 1].lower_ == "for"


def _designation_alone(doc, x, end):
    """Whether token x is a designation that is the whole noun: `18 F-16s`, `24 AH-64E to
    Morocco` (not `three C-130K transports`, whose noun is another word)."""
    if x >= end or not _DESIGNATION_WORD.fullmatch(doc[x].text) or _number_token(doc[x]) is not None:
        return False
    after = doc[x + 1] if x + 1 < end else None
    plural = re.search(r"[\dA-Z]s$", doc[x].text) is not None
    return plural or after is None or not after.is_alpha or after.lower_ in PREPOSITIONS_AFTER_A_NOUN


PREPOSITIONS_AFTER_A_NOUN = {"to", "for", "from", "and", "in", "by", "at", "with", "of", "on", "under", "worth"}


def _in_a_designation(doc, k, clause):
    """Whether the figure at k is the number of a designation written with a space: `six
    Type 209 submarines`, `12 JAS 39 Gripens`, `Mi 17 helicopters` (a capitalised name
    before it that is no party's and no qualifier; at a sentence's start only in capitals or
    after a figure, since `Nearly 40 jets` opens sentences)."""
    if k < 1 or not doc[k].text[:1].isdigit():
        return False
    name = doc[k - 1]
    if not (name.is_alpha and name.text[0].isupper()) or name.is_stop or name.lower_ in QUALIFIER_WORDS:
        return False
    mention = clause.mention_at(k - 1)
    if mention is not None and mention.kind != "system":
        return False  # `sold Thailand 12 jets`
    after_a_figure = k >= 2 and _number_token(doc[k - 2]) is not None
    return after_a_figure or name.is_upper or not name.is_sent_start


def _next_to_a_month(doc, k):
    """Whether the number at k is a day of the month beside it: `5 March`, `March 5`."""
    after = doc[k + 1].text if k + 1 < len(doc) else ""
    before = doc[k - 1].text if k > 0 else ""
    return bool(_MONTH_WORD.match(after) or _MONTH_WORD.match(before))


# A delivery's stages, whose date in the future is a plan's: `to be completed by 2028`.
_STAGES = {"completed", "complete", "begin", "start", "resume", "conclude", "concluded"}
PASSIVE_AUXILIARIES = {"was", "were", "been", "being", "be", "is", "are"}
ARRIVAL_VERBS = {"arrive", "arrives", "arrived", "arriving", "landed"}
APPROVAL_VERBS = {"approve", "approves", "approved", "clear", "clears", "cleared", "authorised", "authorized",
                  "authorises", "authorizes", "notified", "okayed"}  # fmt: skip
# A designation written as one word of letters and figures: `K2`, `M1A2T`, `F-16s`, `J-10CE` (not
# `2nd`, `1990s`, `12-year`).
_DESIGNATION_WORD = re.compile(r"(?=[\w-]*[A-Za-z])(?=[\w-]*\d)(?!\d+(?:st|nd|rd|th|s)$)(?!\d+-)[\w-]+")


def _opened_by_pronoun(doc, i, k):
    """Whether `It` or `They` opens tokens i.. and a few words lead from it to the verb at k
    (`It ordered`, `It has also bought`)."""
    return doc[i].lower_ in ("it", "they") and 0 < k - i <= 3 and all(doc[x].is_alpha for x in range(i, k))


_PHRASE_ENDS = {",", ";", "and", "but", "that", "which", "who", "while", "(", "—", "–"}


def _same_phrase(doc, k, x, *, most=8):
    """Whether token x is at most `most` tokens after k with no comma or conjunction
    between: `delivered to Thailand by Russia`, not `..., which would be built by PT PAL`."""
    return 0 < x - k <= most and not any(doc[y].lower_ in _PHRASE_ENDS for y in range(k + 1, x))


def _ordered_by(doc, mention):
    """Whether a mention is the buyer of a passive: `ordered by the Netherlands`."""
    k = _preposition_at(doc, mention)
    return k >= 1 and doc[k].lower_ == "by" and doc[k - 1].lower_ in BUY_VERBS


def _preposition(doc, mention):
    """The word before a mention, past an article: `to the Philippines` is `to`."""
    k = _preposition_at(doc, mention)
    return doc[k].lower_ if k >= 0 else ""


def _preposition_at(doc, mention):
    """Where that word is (-1: none)."""
    k = mention.i - 1
    if k >= 0 and doc[k].lower_ == "the":
        k -= 1
    return k


# An American lawmaker's party and state after the name: `Sen. Laura Brennan, D-Md., said`.
_PARTY_AND_STATE = re.compile(r"[DRI]-[A-Z][A-Za-z.]{0,6}")


def _before_party_and_state(clause, verb):
    """The comma before `, D-Md.,` when those words stand right before the verb, else the verb:
    the name before them speaks."""
    doc = clause.doc
    if verb - 1 <= clause.i or doc[verb - 1].text != ",":
        return verb
    comma = next((x for x in range(verb - 2, max(clause.i, verb - 7) - 1, -1) if doc[x].text == ","), None)
    if comma is not None and _PARTY_AND_STATE.fullmatch(doc[comma + 1 : verb - 1].text.replace(" ", "")):
        return comma
    return verb


def _running_total(text):
    """(field, value, written, cue) of a running total (`bringing the total it has supplied to
    about 200`): how many have been delivered so far, or ordered when its verb says so."""
    match = RUNNING_TOTAL.search(text)
    if match is None:
        return None
    written = match.group("n1") or match.group("n2")
    what = (match.group("what1") or match.group("what2") or "").lower().split()
    ordered = any(w in ORDER_WORDS | BUY_VERBS for w in what) and not any(w in DELIVERY_WORDS | SUPPLIED for w in what)
    field_name = "quantity_ordered" if ordered else "quantity_delivered"
    qualifier = next((QUALIFIER_WORDS[q] for q in QUALIFIER_WORDS if written.lower().startswith(q + " ")), "")
    figure = written.lower().removeprefix(
        next((q + " " for q in QUALIFIER_WORDS if qualifier and written.lower().startswith(q + " ")), "")
    )
    try:
        number = 12 if figure == "a dozen" else NUMBER_WORDS.get(figure) or int(figure.replace(",", ""))
        value = f"{qualifier} {number}".strip()
        assertion_read(field=field_name, text=value)
    except (ValueError, AssertionUnreadable):
        return None
    return field_name, value, written, f"running total “{match.group(0).strip()}”"


def _after_a_comma(clause, i, k):
    """Whether a comma opens the words before token k (after i) that name the speaker: `...,
    the Dutch Defence Materiel Organisation (DMO) confirmed` as `..., the minister said`."""
    doc = clause.doc
    comma = next((x for x in range(k - 1, i, -1) if doc[x].text == ","), None)
    return comma is not None and not DEAL_WORDS.search(clause.text(comma + 1, k))


def _names_a_source(doc, mention):
    """An actor named as where a report comes from, not as a party: `according to Taiwanese
    media`, `Russian state media`, `citing South Korea's spy agency`."""
    k = mention.i - 1
    while k >= 0 and doc[k].lower_ in ("to", "the", "a"):
        k -= 1
    if k >= 0 and doc[k].lower_ in ("according", "citing"):
        return True
    after = doc[mention.j].lower_ if mention.j < len(doc) else ""
    return after in MEDIA_WORDS or after in ("news", "state")


def _speaker_of(previous, draft):
    """The draft is said by whoever said the previous one, as the previous one was said."""
    for name in ("speaker", "speaker_actor", "speaker_role", "proposed_speaker", "attribution", "speaker_kind"):
        setattr(draft, name, getattr(previous, name))


def _states_something(draft):
    """Whether a draft is a claim an editor would record: it states a figure, date or status,
    someone says it, it quotes, or it takes a side. The article saying, in its own voice, that
    a system or a party exists ("The FREMM, a 144-metre frigate, carries a crew of 170";
    "Fincantieri declined to comment") is background: one in forty of the claims annotated
    in our wire reports, and most of the drafts left over."""
    return bool(
        draft.assertion_field
        or draft.speaker
        or draft.proposed_speaker
        or draft.speaker_actor
        or draft.quote
        or draft.stance != "asserts"
        or draft.attribution != "source"
    )


def _denial_said_once(draft):
    """A denial denies what it names (transfers.evidence.rule: a claim that denies a status
    holds its opposite). "Russia is not negotiating, the Kremlin said, rejecting a report"
    denies "negotiating": drafted as "not negotiating" that it denies, it said the report was
    right once accepted."""
    if draft.stance == "denies" and draft.assertion_field == "status" and draft.assertion_value.startswith("not "):
        draft.assertion_value = draft.assertion_value.removeprefix("not ")
        draft.cue("assertion", f"the denial is its “not”: it denies “{draft.assertion_value}”")
    return draft


def _number_token(token):
    text = token.text.replace(",", "")
    if text.isdecimal():  # not `isdigit`: int() refuses ² and ①
        return int(text)
    return NUMBER_WORDS.get(token.lower_)


def _token_at(doc, char, content):
    for k in range(*content):
        if doc[k].idx <= char < doc[k].idx + len(doc[k].text) + 1:
            return k
    return content[0]


def _name_token(clause, k):
    token = clause.doc[k]
    return (
        token.is_alpha
        and token.text[0].isupper()
        and not clause.mention_at(k)
        and token.lower_ not in ROLE_WORDS
        and token.lower_.rstrip(".") not in RANKS
        and not clause.in_quote[k - clause.i]
    )


def _name_before_comma(clause, start):
    """Where `Name Surname,` begins just before `start` (an appositive: `Eleni Markou, a lawmaker
    ..., said`), two to four capitalised words opening the clause or after a boundary; None if not."""
    doc = clause.doc
    comma = start - 1
    if comma - 2 < clause.i or doc[comma].text != ",":
        return None
    first = comma
    while first - 1 >= clause.i and comma - first < 4 and _name_token(clause, first - 1):
        first -= 1
    opens = first == clause.i or doc[first - 1].text in BOUNDARIES
    if 2 <= comma - first <= 4 and opens and doc[first].lower_ not in APPOSITIVE_NOT_NAMES:
        return first
    return None


def _appositive_name(clause, phrase):
    """`Chiara Benassi, a lawmaker for the Green and Left Alliance`: the name before the comma,
    not the last capitalised words."""
    k = phrase[0]
    while k < phrase[1] and _name_token(clause, k):
        k += 1
    if 2 <= k - phrase[0] <= 4 and k < phrase[1] and clause.doc[k].text == ",":
        return clause.doc[phrase[0] : k].text
    return ""


def _proper_name(clause, phrase):
    """The last run of two or more capitalised words in the phrase that names no actor or role."""
    doc = clause.doc
    runs, run = [], []
    joined = set()
    for k in range(*phrase):
        token = doc[k]
        if k in joined:
            continue
        if (
            run
            and token.text == "-"
            and k + 1 < phrase[1]
            and doc[k + 1].is_alpha
            and not doc[k - 1].whitespace_
            and not token.whitespace_
        ):
            # `Chen Yu-ting`, `Fahad al-Otaibi`: the tokenizer's pieces of one hyphenated name.
            run[-1] += "-" + doc[k + 1].text
            joined.add(k + 1)
            continue
        if (
            token.is_alpha
            and token.text[0].isupper()
            and not clause.mention_at(k)
            and token.lower_ not in ROLE_WORDS
            and token.lower_ not in {"foreign", "defence", "defense", "deputy", "prime", "the", "a", "state"}
            and token.lower_.rstrip(".") not in RANKS
        ):
            run.append(token.text)
        else:
            # `the Defense Security Cooperation Agency said`: a run that an organisation's word
            # ends is that organisation's name, not a person's.
            if len(run) >= 2 and token.lower_ not in ORGANISATION_WORDS:
                runs.append(" ".join(run))
            run = []
    if len(run) >= 2:
        runs.append(" ".join(run))
    return runs[-1] if runs else ""


ORGANISATION_WORDS = {
    "agency", "ministry", "department", "office", "service", "council", "command", "corporation", "company",
    "group", "institute", "organisation", "organization", "administration", "bureau", "committee",
    "commission", "directorate", "authority", "industries", "forces", "army", "navy",
}  # fmt: skip


def _summary(text):
    text = " ".join(text.strip(' ,“”"').split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def article_draft(*, text, gazetteer, published=None):
    """The draft claims of an article's text: [DraftData], each with its offsets and cues."""
    meta = metadata_read(text)
    engine = Engine(gazetteer=gazetteer, published=published or meta.published_date, place=meta.place)
    return engine.run(text, skip=meta.dateline)
