"""From an article to reviewed claims: ingesting an article (a Source with its text and
its drafts), accepting or rejecting a draft.

Accepting creates the claim, and the proposed records it needs (a new deal, a new
person), in one transaction; their history names the article.
"""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from ..assertions import AssertionUnreadable, assertion_read
from ..models import Actor, Claim, Contract, Person, Source, Transfer, WeaponSystem
from .engine import article_draft
from .gazetteer import gazetteer_from_database
from .models import Article, Draft
from .text import html_to_text, looks_like_html, metadata_read, text_check_size, text_normalised


def _reason(source):
    return f"accepted from article {source.key}"[:100]


def _mark(instance, *, user, reason):
    """django-simple-history's hooks: the change's user and reason."""
    instance._change_reason = reason
    if user is not None and getattr(user, "pk", None):
        instance._history_user = user
    return instance


def _unique_slug(model, field, base, *, limit=100):
    base = (slugify(base) or "record")[:limit].strip("-")
    slug, n = base, 1
    while model._default_manager.filter(**{field: slug}).exists():
        n += 1
        suffix = f"-{n}"
        slug = base[: limit - len(suffix)] + suffix
    return slug


def article_ingest(
    *,
    text,
    title="",
    publisher="",
    outlet="",
    url="",
    published_date=None,
    language="en",
    user=None,
    gazetteer=None,
):
    """An Article (and its Source) with its drafts, from plain text or HTML.

    Metadata not given is read from the text (title, date line, dateline). Raises
    ValidationError {field: message} for an article over the size limit, an empty one,
    or metadata a Source refuses (a URL already recorded).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValidationError({"text": "Give the article's text (plain text or HTML)."})
    if "\x00" in text:
        raise ValidationError({"text": "The text holds NUL characters: a binary file, not an article's text."})
    # Metadata given is kept whole or refused, as the admin and the API refuse it (what is
    # read from the text is cut to fit).
    given = {"title": (title, 500), "publisher": (publisher, 200), "outlet": (outlet, 200)}
    too_long = {
        name: f"At most {most} characters; this has {len(value):,}."
        for name, (value, most) in given.items()
        if value and len(value) > most
    }
    if too_long:
        raise ValidationError(too_long)
    # The text's stray control characters are dropped (text_normalised); a title or a name
    # given with one (an escape code, replayed by any terminal that prints it) is refused.
    controlled = {
        name: "Holds a control character; give plain text."
        for name, (value, _most) in given.items()
        if value and any(unicodedata.category(ch) == "Cc" for ch in value)
    }
    if controlled:
        raise ValidationError(controlled)
    try:
        text_check_size(text)
        text = html_to_text(text) if looks_like_html(text) else text_normalised(text)
    except ValueError as exc:
        raise ValidationError({"text": str(exc)}) from None
    if not text:
        raise ValidationError({"text": "The article has no text once its HTML is removed."})
    meta = metadata_read(text)
    found = []
    if not title:
        body = text[meta.dateline[1] :] if meta.dateline else text
        first = re.split(r"(?<=[.!?])\s", body.strip(), maxsplit=1)[0]
        title = meta.title or (first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "...")
        found.append(f"title from the {meta.found.get('title', 'first words')}")
    if not publisher and meta.publisher:
        publisher = meta.publisher
        found.append(f"publisher from the {meta.found['publisher']}")
    if published_date is None and meta.published_date:
        published_date = meta.published_date
        found.append(f"date from the {meta.found['published_date']}")
    if url and Source.objects.filter(url=url).exists():
        raise ValidationError({"url": "A source with this URL already exists: this article may be ingested already."})
    key_base = f"{(published_date or datetime.date.today()).isoformat()}-{title}"[:60]
    with transaction.atomic():
        source = Source(
            key=_unique_slug(Source, "key", key_base),
            kind=Source.Kind.NEWS_REPORT,
            title=title[:500],
            publisher=publisher[:200],
            outlet=outlet[:200],
            url=url or "",
            published_date=published_date,
            language=language or "en",
            notes=("Ingested as an article; " + "; ".join(found) + ".") if found else "Ingested as an article.",
        )
        source.full_clean()
        _source_save(source, key_base, user=user)
        editor = user if getattr(user, "pk", None) else None
        article = Article(source=source, text=text, created_by=editor)
        _mark(article, user=user, reason="article ingested").save()
        drafts = article_draft(text=text, gazetteer=gazetteer or gazetteer_from_database(), published=published_date)
        bulk_create_with_history(
            _draft_rows(article, drafts), Draft, default_user=editor, default_change_reason="drafted by the engine"
        )
    return article


def _source_save(source, key_base, *, user, attempts=5):
    """Save the article's source under a free key: another article of that title and date
    saved at the same moment took the key this one checked (its insert waited for the
    other's commit, then failed); the next free one is taken, as it would be a moment later."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                _mark(source, user=user, reason="article ingested").save()
            return
        except IntegrityError:
            if attempt == attempts - 1 or not Source.objects.filter(key=source.key).exists():
                raise  # not the key (a URL saved at once: the API's 400 names it)
            source.key = _unique_slug(Source, "key", key_base)


def _draft_rows(article, drafts):
    codes = {d.speaker_actor for d in drafts} | {d.subject_key for d in drafts if d.subject_type == "actor"}
    actors = dict(Actor.objects.filter(code__in=codes - {""}).values_list("code", "pk"))
    people = dict(Person.objects.filter(slug__in={d.speaker for d in drafts} - {""}).values_list("slug", "pk"))
    slugs = {d.subject_key for d in drafts if d.subject_type == "system"}
    systems = dict(WeaponSystem.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    references = {d.subject_key for d in drafts if d.subject_type == "contract"}
    references |= {d.subject_key[0] for d in drafts if d.subject_type == "transfer"}
    contracts = dict(Contract.objects.filter(reference__in=references).values_list("reference", "pk"))
    lines = {
        (ref, line): pk
        for ref, line, pk in Transfer.objects.filter(contract__reference__in=references).values_list(
            "contract__reference", "line", "pk"
        )
    }
    rows = []
    for position, d in enumerate(drafts, start=1):
        row = Draft(
            article=article,
            position=position,
            group=d.group,
            start=d.start,
            end=d.end,
            also=d.also,
            proposed_contract=d.proposed_contract,
            speaker_id=people.get(d.speaker),
            speaker_actor_id=actors.get(d.speaker_actor),
            speaker_role=d.speaker_role[:200],
            proposed_speaker=d.proposed_speaker[:200],
            attribution=d.attribution,
            stance=d.stance,
            assertion_field=d.assertion_field,
            assertion_value=d.assertion_value[:200],
            assertion_text=d.assertion_text[:200],
            quote=d.quote,
            summary=d.summary,
            stated_date=d.stated_date,
            stated_date_precision=d.stated_date_precision,
            cues=d.cues,
        )
        if d.subject_type == "contract":
            row.contract_id = contracts.get(d.subject_key)
        elif d.subject_type == "transfer":
            row.transfer_id = lines.get(tuple(d.subject_key))
        elif d.subject_type == "system":
            row.system_id = systems.get(d.subject_key)
        elif d.subject_type == "actor":
            row.actor_id = actors.get(d.subject_key)
        rows.append(row)
    return rows


SUBJECTS = ("contract", "transfer", "delivery", "system", "actor")


def proposal_is_valid(proposal):
    """A proposed deal as the engine writes it: {supplier, recipient, system} codes, each optional."""
    return isinstance(proposal, dict) and all(
        key in ("supplier", "recipient", "system") and isinstance(value, str) and len(value) <= 200
        for key, value in proposal.items()
    )


def draft_subject_errors(draft):
    """{field: message} when the draft cannot become a claim as it stands."""
    chosen = [name for name in SUBJECTS if getattr(draft, f"{name}_id")]
    errors = {}
    proposal = draft.proposed_contract or {}
    if not proposal_is_valid(proposal):
        # Whatever subject is chosen: the deal chosen can be deleted, and the proposal shown again.
        errors["proposed_contract"] = (
            'A proposed deal is a JSON object of codes: {"supplier": "RUS", "recipient": "IRN", "system": "tor-m1"}.'
        )
    elif len(chosen) > 1:
        errors["contract"] = "Choose one record the claim is about (a contract, transfer, delivery, system or actor)."
    elif not chosen:
        if not (proposal.get("supplier") and proposal.get("recipient")):
            errors["contract"] = (
                "Choose the record the claim is about; the proposed deal needs a supplier and a recipient."
            )
    if draft.assertion_field:
        try:
            assertion_read(field=draft.assertion_field, text=draft.assertion_value)
        except AssertionUnreadable as exc:
            errors["assertion_value"] = str(exc)
    return errors


def _may_add(user, permissions, *, what):
    """Accepting a draft writes the deal or person it proposes: only for editors who may add
    those records themselves (a reviewer who may add claims only chooses recorded ones)."""
    missing = [p for p in permissions if user is not None and not user.has_perm(f"transfers.{p}")]
    if missing:
        record = "deal" if what == "contract" else "person"
        raise ValidationError(
            {
                what: f"Accepting this draft adds a new {record}, which your account may not add "
                f"({', '.join(missing)}): choose a recorded {record} for it, or ask an editor who may."
            }
        )


def _proposed_contract(draft, *, user, reason):
    """The deal a draft proposes: created once per article, reused by its other drafts."""
    proposal = draft.proposed_contract
    sibling = (
        Draft.objects.filter(article=draft.article, proposed_contract=proposal, status=Draft.Status.ACCEPTED)
        .exclude(claim=None)
        .select_related("claim")
        .first()
    )
    if sibling and (sibling.claim.contract_id or sibling.claim.transfer_id):
        claim = sibling.claim
        return claim.contract if claim.contract_id else claim.transfer.contract
    try:
        supplier = Actor.objects.get(code=proposal["supplier"])
        recipient = Actor.objects.get(code=proposal["recipient"])
    except Actor.DoesNotExist:
        raise ValidationError({"contract": "The proposed deal names an actor that is not recorded."}) from None
    system = WeaponSystem.objects.filter(slug=proposal.get("system") or "").first()
    _may_add(user, ["add_contract", "add_transfer"] if system else ["add_contract"], what="contract")
    what = system.designation if system else "arms"
    contract = Contract(
        reference=_unique_slug(Contract, "reference", f"{supplier.code}-{recipient.code}-{what}"),
        supplier=supplier,
        recipient=recipient,
        title=f"{what} for {recipient.name}"[:300],
        status=Contract.Status.REPORTED,
        notes=f"Proposed from the article “{draft.article.source.title}” ({draft.article.source.key})."[:2000],
    )
    contract.full_clean()
    _mark(contract, user=user, reason=reason).save()
    if system:
        transfer = Transfer(contract=contract, system=system)
        _mark(transfer, user=user, reason=reason).save()
    return contract


def _proposed_person(draft, *, user, reason):
    """The person a draft proposes: created once per article, reused by its other drafts."""
    sibling = (
        Draft.objects.filter(article=draft.article, proposed_speaker=draft.proposed_speaker, status="accepted")
        .exclude(claim__speaker=None)
        .select_related("claim__speaker")
        .first()
    )
    if sibling:
        return sibling.claim.speaker
    _may_add(user, ["add_person"], what="speaker")
    person = Person(
        name=draft.proposed_speaker[:200],
        slug=_unique_slug(Person, "slug", draft.proposed_speaker),
        affiliation=draft.speaker_actor,
        title=draft.speaker_role[:200],
        notes=f"Proposed from the article {draft.article.source.key}.",
    )
    person.full_clean()
    return _mark(person, user=user, reason=reason).save() or person


def _statement_key(draft):
    """Drafts of one sentence and speaker that share what a statement shares: one key."""
    group = list(Draft.objects.filter(article=draft.article, group=draft.group).exclude(status=Draft.Status.REJECTED))
    shared = ("speaker_id", "speaker_actor_id", "attribution", "stated_date", "proposed_speaker")
    if len(group) < 2 or any(getattr(d, n) != getattr(draft, n) for d in group for n in shared):
        return ""
    return f"{draft.article.source.key}"[:90] + f"-s{draft.group}"


def draft_accept(*, draft, user=None):
    """Accept a pending draft: its claim (and the deal or person it proposes) in one
    transaction. Returns the Claim; raises ValidationError {field: message}."""
    with transaction.atomic():
        # One acceptance at a time per article: two drafts proposing the same deal make one deal.
        Article.objects.select_for_update().filter(pk=draft.article_id).exists()
        draft = Draft.objects.select_for_update().select_related("article__source").get(pk=draft.pk)
        if draft.status != Draft.Status.PENDING:
            raise ValidationError({"status": f"This draft was already {draft.status}."})
        errors = draft_subject_errors(draft)
        if errors:
            raise ValidationError(errors)
        source = draft.article.source
        reason = _reason(source)
        claim = Claim(
            source=source,
            speaker=draft.speaker,
            speaker_actor=draft.speaker_actor,
            speaker_role=draft.speaker_role,
            attribution=draft.attribution,
            stance=draft.stance,
            quote=draft.quote,
            summary=draft.summary or draft.sentence,
            stated_date=draft.stated_date,
            stated_date_precision=draft.stated_date_precision,
            statement=_statement_key(draft),
        )
        for name in SUBJECTS:
            setattr(claim, f"{name}_id", getattr(draft, f"{name}_id"))
        if not any(getattr(draft, f"{name}_id") for name in SUBJECTS):
            contract = _proposed_contract(draft, user=user, reason=reason)
            line = contract.transfers.first() if draft.assertion_field.startswith("quantity") else None
            if line is not None:
                claim.transfer = line
            else:
                claim.contract = contract
        if draft.proposed_speaker and draft.speaker_id is None:
            claim.speaker = _proposed_person(draft, user=user, reason=reason)
        if draft.assertion_field:
            claim.assertion_field = draft.assertion_field
            for column, value in assertion_read(field=draft.assertion_field, text=draft.assertion_value).items():
                setattr(claim, column, value)
            claim.assertion_value = (draft.assertion_text or draft.assertion_value)[:200]
        claim.full_clean()
        _mark(claim, user=user, reason=reason).save()
        draft.status = Draft.Status.ACCEPTED
        draft.claim = claim
        draft.reviewed_by = user if getattr(user, "pk", None) else None
        draft.save(update_fields=["status", "claim", "reviewed_by"])
    return claim


def draft_reject(*, draft, user=None):
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        if draft.status != Draft.Status.PENDING:
            raise ValidationError({"status": f"This draft was already {draft.status}."})
        draft.status = Draft.Status.REJECTED
        draft.reviewed_by = user if getattr(user, "pk", None) else None
        draft.save(update_fields=["status", "reviewed_by"])
    return draft
