"""The gazetteer as spaCy matchers: actors, people and systems found in a line, people
found by their titles, deals by a distinctive word of their title."""

import re
from dataclasses import dataclass

from .vocabulary import family_name

_NLP = None


def nlp():
    """A blank English pipeline with the rule-based sentence splitter (no model to download)."""
    global _NLP
    if _NLP is None:
        import spacy

        _NLP = spacy.blank("en")
        # `a Rs. 4,150-crore deal`: India's rupees, not the end of a sentence.
        _NLP.tokenizer.add_special_case("Rs.", [{"ORTH": "Rs."}])
        _NLP.add_pipe("sentencizer")
    return _NLP


@dataclass
class Mention:
    kind: str  # actor, person, system
    key: str
    i: int  # token indices in the line's doc
    j: int
    text: str


class Recogniser:
    """PhraseMatchers over the gazetteer: names in any case, and short capitalised names
    (`US`, `UN`) only as written."""

    def __init__(self, gazetteer):
        from spacy.matcher import PhraseMatcher

        self.gazetteer = gazetteer
        language = nlp()
        self.lower = PhraseMatcher(language.vocab, attr="LOWER")
        self.exact = PhraseMatcher(language.vocab, attr="ORTH")
        entries = {}
        for code, actor in gazetteer.actors.items():
            for name in actor.names:
                entries.setdefault(("actor", code), set()).add(name)
        surnames = {}
        for slug, person in gazetteer.people.items():
            entries.setdefault(("person", slug), set()).add(person.name)
            surnames.setdefault(family_name(person.name), []).append(slug)
        for surname, slugs in surnames.items():
            if len(slugs) == 1 and len(surname) > 3:
                entries[("person", slugs[0])].add(surname)
        for slug, system in gazetteer.systems.items():
            for name in [system.designation, *system.names]:
                # `12 FA-50s`, `Rafales`, `Joint Air-to-Ground Missiles`: news counts in plurals.
                plural = [f"{name}s"] if name[-1:].isalnum() and not name.endswith(("s", "S")) else []
                entries.setdefault(("system", slug), set()).update([name, *plural])
        for (kind, key), names in entries.items():
            label = f"{kind}|{key}"
            exact = [language.make_doc(n) for n in names if len(n) <= 4 and n.upper() == n]
            lower = [language.make_doc(n) for n in names if not (len(n) <= 4 and n.upper() == n)]
            if exact:
                self.exact.add(label, exact)
            if lower:
                self.lower.add(label, lower)
        self.acronyms = _acronyms(gazetteer)
        self.people_by_title = [
            (slug, _title_words(person.title, gazetteer)) for slug, person in gazetteer.people.items() if person.title
        ]
        self.title_words = self._title_words_of_contracts()

    def _title_words_of_contracts(self):
        names = {n.lower() for a in self.gazetteer.actors.values() for n in a.names}
        names |= {n.lower() for s in self.gazetteer.systems.values() for n in [s.designation, *s.names]}
        words = {}
        for contract in self.gazetteer.contracts:
            for word in re.findall(r"[A-Za-z][\w-]+", contract.title)[1:]:
                lower = word.lower()
                if word[0].isupper() and lower not in names and lower not in GENERIC_TITLE_WORDS and len(word) > 3:
                    words.setdefault(word, []).append(contract.reference)
        return {word: refs[0] for word, refs in words.items() if len(refs) == 1}

    def mentions(self, doc):
        from spacy.tokens import Span
        from spacy.util import filter_spans

        spans = [
            Span(doc, i, j, label=match_id) for matcher in (self.lower, self.exact) for match_id, i, j in matcher(doc)
        ]
        spans += [Span(doc, i, j, label=label) for i, j, label in _expansions(doc, self.acronyms)]
        found = []
        for span in filter_spans(spans):
            kind, key = span.label_.split("|", 1)
            found.append(Mention(kind, key, span.start, span.end, span.text))
        return sorted(found, key=lambda m: m.i)


# `Joint Air-to-Ground Missiles` for JAGM, `National Advanced Surface-to-Air Missile Systems` for
# NASAMS: a system's acronym written out, the initials of its capitalised words. Four letters at
# least (three-letter runs of capitals are too often something else), a run of at most MAX_WORDS.
_ACRONYM = re.compile(r"[A-Z]{4,}")
_JOINING = {"-", "to", "and", "of", "the", "for"}
MAX_WORDS = 10


def _acronyms(gazetteer):
    """{acronym: matcher label} of the acronyms in the systems' names that name one system."""
    found = {}
    for slug, system in gazetteer.systems.items():
        for name in [system.designation, *system.names]:
            for acronym in _ACRONYM.findall(name):
                found.setdefault(acronym, set()).add(slug)
    return {acronym: f"system|{slugs.pop()}" for acronym, slugs in found.items() if len(slugs) == 1}


def _expansions(doc, acronyms):
    """(start, end, label) of the runs of capitalised words whose initials spell an acronym."""
    if not acronyms:
        return []
    longest = max(map(len, acronyms))
    found = []
    for start in range(len(doc)):
        if not doc[start].is_title or not doc[start].is_alpha:
            continue
        initials = ""
        for k in range(start, min(len(doc), start + 3 * MAX_WORDS)):
            token = doc[k]
            if token.is_title and token.is_alpha:
                initials += token.text[0]
                label = acronyms.get(initials)
                if label:
                    found.append((start, k + 1, label))
                if len(initials) >= longest:
                    break
            elif token.lower_ not in _JOINING:
                break
    return found


US_SPELLING = {"defense": "defence", "defenses": "defences", "organization": "organisation"}


# Words of deals' titles that name no one deal: `the Egyptian Navy` is also another's navy
# (`transferred from the U.S. Navy's fleet` is not Egypt's FREMM deal).
GENERIC_TITLE_WORDS = {
    "navy", "army", "force", "forces", "corps", "guard", "marine", "marines", "ministry", "defence", "defense",
    "coast", "border", "national", "royal", "republic", "federation", "kingdom", "state", "states", "united",
    "deal", "contract", "order", "batch", "lease", "loan", "donation", "package", "programme", "program",
}  # fmt: skip


def _title_words(title, gazetteer):
    countries = {w.lower() for a in gazetteer.actors.values() if a.kind == "state" for n in a.names for w in n.split()}
    words = {US_SPELLING.get(w, w) for w in re.findall(r"[a-z]+", title.lower())}
    return frozenset(words - {"of", "the", "and", "for"} - countries)


def actor_state(gazetteer, code):
    actor = gazetteer.actors.get(code)
    if actor is None:
        return None
    return actor.parent if actor.kind != "state" and actor.parent else code
