"""The editors' side of articles: paste or upload an article, then review its drafts
beside its text (accept, edit, reject). Thin: the work is in transfers.articles.review.

The article's text is untrusted: the templates show it autoescaped, never marked safe.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from ..admin.base import FilterCheckedMixin
from ..admin.forms import IdCheckedAutocompleteMixin
from ..api.fields import is_id
from ..assertions import assertion_display
from ..models import Claim
from ..selectors import SUBJECT_AND_SPEAKER
from .models import Article, Draft
from .review import article_ingest, draft_accept, draft_reject, proposal_is_valid
from .text import MAX_BYTES, MAX_CHARS, text_from_bytes


class IngestForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14, "cols": 100}),
        required=False,
        max_length=MAX_CHARS,
        help_text=f"Paste the report as plain text or HTML (at most {MAX_CHARS:,} characters).",
    )
    file = forms.FileField(required=False, help_text="Or upload it: a .txt or .html file.")
    title = forms.CharField(required=False, max_length=500, help_text="Read from the text when left empty.")
    publisher = forms.CharField(
        required=False, max_length=200, help_text="e.g. The Associated Press; or read from a dateline."
    )
    outlet = forms.CharField(required=False, max_length=200, help_text="Where it appeared, e.g. NBC News.")
    url = forms.URLField(required=False, max_length=1000, assume_scheme="https")
    published_date = forms.DateField(required=False, help_text="YYYY-MM-DD; read from a date line when left empty.")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > MAX_BYTES:
                raise ValidationError({"file": f"The file is too large: at most {MAX_CHARS:,} characters of text."})
            cleaned["text"] = text_from_bytes(upload.read())
        if not (cleaned.get("text") or "").strip():
            raise ValidationError({"text": "Paste the article or upload a file."})
        return cleaned


class DraftForm(forms.ModelForm):
    class Meta:
        model = Draft
        fields = [
            "summary",
            "quote",
            "stance",
            "attribution",
            "speaker",
            "speaker_actor",
            "speaker_role",
            "proposed_speaker",
            "stated_date",
            "stated_date_precision",
            "assertion_field",
            "assertion_value",
            "contract",
            "transfer",
            "delivery",
            "system",
            "actor",
            "proposed_contract",
        ]

    def clean(self):
        from .review import draft_subject_errors

        cleaned = super().clean()
        probe = Draft(**{name: cleaned.get(name) for name in ("assertion_field", "assertion_value")})
        for name in ("contract", "transfer", "delivery", "system", "actor"):
            setattr(probe, name, cleaned.get(name))
        probe.proposed_contract = cleaned.get("proposed_contract") or {}
        for field, message in draft_subject_errors(probe).items():
            self.add_error(field, message)
        return cleaned


def segments(article, drafts):
    """The text cut where drafts' sentences start and end: [(text, [draft positions])]."""
    spans = []
    for draft in drafts:
        for start, end in [(draft.start, draft.end), *draft.also]:
            spans.append((start, end, draft.position))
    cuts = sorted({0, len(article.text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a < b:
            pieces.append((article.text[a:b], sorted({p for s, e, p in spans if s <= a and b <= e})))
    return pieces


def draft_rows(drafts):
    rows = []
    for draft in drafts:
        if draft.contract_id:
            subject = f"deal {draft.contract}"
        elif draft.transfer_id:
            subject = f"deal line {draft.transfer}"
        elif draft.delivery_id:
            subject = f"delivery {draft.delivery}"
        elif draft.system_id:
            subject = f"system {draft.system}"
        elif draft.actor_id:
            subject = f"actor {draft.actor}"
        elif draft.proposed_contract and proposal_is_valid(draft.proposed_contract):
            p = draft.proposed_contract
            parties = f"{p.get('supplier', '?')} → {p.get('recipient', '?')}"
            subject = f"proposed new deal: {parties}, {p.get('system', 'system ?')}"
        else:
            subject = "(choose a record)"
        if draft.speaker_id:
            speaker = str(draft.speaker)
        elif draft.proposed_speaker:
            speaker = f"proposed new person: {draft.proposed_speaker}"
        else:
            speaker = ""
        who = ", ".join(x for x in (speaker, draft.speaker_role, str(draft.speaker_actor or "")) if x) or "the source"
        assertion = ""
        if draft.assertion_field:
            probe = Claim(assertion_field=draft.assertion_field)
            try:
                from ..assertions import assertion_read

                for column, value in assertion_read(field=draft.assertion_field, text=draft.assertion_value).items():
                    setattr(probe, column, value)
                assertion = f"{draft.get_assertion_field_display()} = {assertion_display(probe)}"
            except ValueError:
                assertion = f"{draft.get_assertion_field_display()} = {draft.assertion_value} (unreadable)"
        rows.append(
            {
                "draft": draft,
                "subject": subject,
                "who": who,
                "assertion": assertion,
                "cues": sorted(draft.cues.items()),
                "sentence": draft.sentence,
            }
        )
    return rows


@admin.register(Article)
class ArticleAdmin(FilterCheckedMixin, admin.ModelAdmin):
    list_display = ["title", "publisher", "published", "draft_counts", "created_at"]
    search_fields = ["source__title", "source__publisher", "text"]
    list_select_related = ["source"]
    readonly_fields = ["source", "created_at", "created_by"]

    @admin.display(description="title", ordering="source__title")
    def title(self, obj):
        return obj.source.title

    @admin.display(description="publisher", ordering="source__publisher")
    def publisher(self, obj):
        return obj.source.publisher

    @admin.display(description="published", ordering="source__published_date")
    def published(self, obj):
        return obj.source.published_date_display

    def get_queryset(self, request):
        counts = {status: Count("drafts", filter=Q(drafts__status=status)) for status in Draft.Status.values}
        return super().get_queryset(request).annotate(**{f"n_{status}": n for status, n in counts.items()})

    @admin.display(description="drafts (pending / accepted / rejected)")
    def draft_counts(self, obj):
        return f"{obj.n_pending} / {obj.n_accepted} / {obj.n_rejected}"

    def get_urls(self):
        return [
            path(
                "<int:article_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="transfers_article_review",
            ),
            *super().get_urls(),
        ]

    def has_change_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if not (self.has_add_permission(request) and request.user.has_perm("transfers.add_source")):
            raise PermissionDenied
        form = IngestForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                article = article_ingest(
                    text=data["text"],
                    title=data["title"],
                    publisher=data["publisher"],
                    outlet=data["outlet"],
                    url=data["url"],
                    published_date=data["published_date"],
                    user=request.user,
                )
            except ValidationError as exc:
                for field, texts in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, texts)
            else:
                self.message_user(
                    request,
                    f"“{article.source.title}”: {article.drafts.count()} draft claims to review.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:transfers_article_review", args=[article.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Add an article",
            "form": form,
            "opts": self.model._meta,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/transfers/article/ingest.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not is_id(object_id):
            raise Http404("No such article.")
        return HttpResponseRedirect(reverse("admin:transfers_article_review", args=[object_id]))

    def review_view(self, request, article_id):
        if article_id > 2**62:
            raise Http404("No such article.")
        article = get_object_or_404(Article.objects.select_related("source"), pk=article_id)
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        if request.method == "POST":
            return self._review_action(request, article)
        drafts = list(article.drafts.select_related(*SUBJECT_AND_SPEAKER))
        for draft in drafts:
            draft.article = article
        pieces = segments(article, drafts)
        first_mark = {}
        for number, (_text, positions) in enumerate(pieces, start=1):
            for position in positions:
                first_mark.setdefault(position, number)
        rows = draft_rows(drafts)
        for row in rows:
            row["mark"] = first_mark.get(row["draft"].position)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review: {article.source.title}",
            "article": article,
            "source": article.source,
            "segments": pieces,
            "rows": rows,
            "opts": self.model._meta,
            "can_review": request.user.has_perm("transfers.add_claim")
            and request.user.has_perm("transfers.change_draft"),
            "pending": sum(d.status == Draft.Status.PENDING for d in drafts),
        }
        return TemplateResponse(request, "admin/transfers/article/review.html", context)

    def _review_action(self, request, article):
        if not (request.user.has_perm("transfers.add_claim") and request.user.has_perm("transfers.change_draft")):
            raise PermissionDenied
        action = request.POST.get("action")
        draft_id = request.POST.get("draft", "")
        back = HttpResponseRedirect(reverse("admin:transfers_article_review", args=[article.pk]))
        draft = (
            article.drafts.filter(pk=int(draft_id)).first()
            if draft_id.isascii() and draft_id.isdigit() and len(draft_id) < 12
            else None
        )
        if draft is None or action not in ("accept", "reject"):
            self.message_user(request, "Choose a draft of this article, and accept or reject it.", messages.ERROR)
            return back
        try:
            if action == "accept":
                claim = draft_accept(draft=draft, user=request.user)
                self.message_user(request, f"Draft {draft.position} accepted: claim {claim.key}.", messages.SUCCESS)
            else:
                draft_reject(draft=draft, user=request.user)
                self.message_user(request, f"Draft {draft.position} rejected.", messages.SUCCESS)
        except ValidationError as exc:
            reasons = "; ".join(" ".join(texts) for texts in exc.message_dict.values())
            self.message_user(request, f"Draft {draft.position} was not accepted: {reasons}", messages.ERROR)
        return back


@admin.register(Draft)
class DraftAdmin(IdCheckedAutocompleteMixin, FilterCheckedMixin, SimpleHistoryAdmin):
    form = DraftForm
    list_display = ["position", "article", "status", "stance", "assertion_field", "summary"]
    list_filter = ["status", "stance"]
    search_fields = ["summary", "quote", "speaker_role"]
    autocomplete_fields = ["speaker", "speaker_actor", "contract", "transfer", "delivery", "system", "actor"]

    def has_add_permission(self, request):
        return False

    def has_module_permission(self, request):
        return False  # reached from an article's review page

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Draft.Status.PENDING)

    def response_change(self, request, obj):
        self.message_user(request, f"Draft {obj.position} saved; accept it to make it a claim.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:transfers_article_review", args=[obj.article_id]))

    def has_delete_permission(self, request, obj=None):
        return False
