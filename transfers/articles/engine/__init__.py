"""The drafting engine: from an article's text to draft claims, each with the cue words
that decided it.

Deterministic and offline: spaCy's tokenizer and sentence splitter (a blank English
pipeline, no downloaded model), its PhraseMatcher over the gazetteer (actors, people,
systems from the database), python-dateutil for dates, and the grammar of typed
assertions (transfers.assertions) for the values. Each part of a draft is decided by
rules that name their cue words in `cues`, so an editor sees why.

Reading a statement:
- the reporting verb (`said`, `told`, `denied`, `according to` ...) outside quotations
  splits it into the speaker (the phrase before the verb, or after it: `said Ivanov`)
  and what is said (the quotation, or the words after the verb);
- the speaker is a recorded person (by name, surname or title), a proposed person (a
  name not recorded), an actor (name, alias, demonym, capital), or a role as written;
- attribution: anonymity cues, media cues (`according to Russian media`), a named
  person (on the record), a spokesman or officials (spokesperson), a state itself or
  no speaker (the source);
- the subject: a system described without a deal; a deal named by a distinctive word
  of its title; a deal found by parties (`X sold ... to Y`) and system (named, or the
  one last mentioned); a proposed deal when none is recorded; else an actor;
- the assertion: an amount with a currency, a quantity of systems, a date tied to a
  signing or a delivery, a status (`not all ... delivered`, `have delivered`).

The parts, in the order a statement uses them:
- `vocabulary`: the cue words and patterns (reporting verbs, roles, media, deal and
  delivery words, system nouns, anonymity, stances, statuses);
- `recogniser`: the spaCy pipeline and the gazetteer as PhraseMatchers;
- `values`: dates and amounts found in text;
- `statements`: the Engine, which reads each clause into drafts, and `article_draft`.
"""

from .statements import DraftData, Engine, article_draft

__all__ = ["DraftData", "Engine", "article_draft"]
