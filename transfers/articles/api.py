"""`/api/articles/`: post an article (plain text or HTML, JSON body) and get its draft
claims; read articles and their drafts. Only for authenticated editors: drafts are
material for review, not published evidence (no claim list, evidence or timeline
shows them until accepted, in the admin)."""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from ..api.fields import StrictCharField, StrictURLField
from ..api.mixins import StrictParametersMixin
from ..api.pagination import LimitOffsetPagination
from ..api.schema import TrackerAutoSchema
from .models import Article, Draft
from .review import article_ingest
from .text import MAX_CHARS


class ArticleInputSerializer(serializers.Serializer):
    text = StrictCharField(
        max_length=MAX_CHARS,
        trim_whitespace=False,
        help_text=f"The article, plain text or HTML, at most {MAX_CHARS:,} characters.",
        error_messages={
            "max_length": f"The article is too long: the limit is {MAX_CHARS:,} characters. "
            "Send the report itself, without the page around it."
        },
    )
    title = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    publisher = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    outlet = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    url = StrictURLField(max_length=1000, required=False, allow_blank=True, default="")
    published_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="YYYY-MM-DD; read from the text when not given."
    )


class DraftSerializer(serializers.ModelSerializer):
    sentence = serializers.SerializerMethodField()
    subject_type = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField(help_text="The record's code, slug, reference or id.")
    speaker = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    speaker_actor = serializers.SlugRelatedField(slug_field="code", read_only=True)
    claim = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    # Plain text in the schema: their vocabularies are the claims' (documented there).
    status = serializers.CharField(read_only=True, help_text="pending, accepted or rejected")
    attribution = serializers.CharField(read_only=True)
    stance = serializers.CharField(read_only=True)
    assertion_field = serializers.CharField(read_only=True)
    stated_date_precision = serializers.CharField(read_only=True)

    class Meta:
        model = Draft
        fields = [
            "id",
            "position",
            "group",
            "status",
            "start",
            "end",
            "also",
            "sentence",
            "subject_type",
            "subject",
            "proposed_contract",
            "speaker",
            "speaker_actor",
            "speaker_role",
            "proposed_speaker",
            "attribution",
            "stance",
            "assertion_field",
            "assertion_value",
            "assertion_text",
            "quote",
            "summary",
            "stated_date",
            "stated_date_precision",
            "cues",
            "claim",
        ]

    def get_sentence(self, draft) -> str:
        return self.context["texts"][draft.article_id][draft.start : draft.end]

    def get_subject_type(self, draft) -> str:
        for name in ("contract", "transfer", "delivery", "system", "actor"):
            if getattr(draft, f"{name}_id"):
                return name
        return "proposal" if draft.proposed_contract else ""

    def get_subject(self, draft) -> str:
        if draft.contract_id:
            return draft.contract.reference
        if draft.transfer_id:
            return f"{draft.transfer.contract.reference}/{draft.transfer.line}"
        if draft.delivery_id:
            return str(draft.delivery_id)
        if draft.system_id:
            return draft.system.slug
        if draft.actor_id:
            return draft.actor.code
        return ""


class ArticleSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="key", read_only=True)
    title = serializers.CharField(source="source.title", read_only=True)
    publisher = serializers.CharField(source="source.publisher", read_only=True)
    outlet = serializers.CharField(source="source.outlet", read_only=True)
    url = serializers.CharField(source="source.url", read_only=True)
    published_date = serializers.DateField(source="source.published_date", read_only=True, allow_null=True)
    metadata_notes = serializers.CharField(source="source.notes", read_only=True)
    review_url = serializers.SerializerMethodField()
    drafts = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "source",
            "title",
            "publisher",
            "outlet",
            "url",
            "published_date",
            "metadata_notes",
            "created_at",
            "review_url",
            "text",
            "drafts",
        ]

    def get_review_url(self, article) -> str:
        return f"/admin/transfers/article/{article.pk}/review/"

    @extend_schema_field(DraftSerializer(many=True))
    def get_drafts(self, article) -> list:
        drafts = article.drafts.select_related(
            "contract", "transfer__contract", "system", "actor", "speaker", "speaker_actor", "claim"
        )
        context = {**self.context, "texts": {article.pk: article.text}}
        return DraftSerializer(drafts, many=True, context=context).data


class ArticlePermission(permissions.DjangoModelPermissions):
    """Authenticated users only; posting an article also needs to be allowed to add sources."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s", "%(app_label)s.add_source"],
    }


class ArticleSchema(TrackerAutoSchema):
    def get_auth(self):
        return super(TrackerAutoSchema, self).get_auth()  # reading needs credentials too


class ArticlePagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


@extend_schema_view(
    create=extend_schema(
        request=ArticleInputSerializer,
        responses={201: ArticleSerializer},
        description=(
            "Ingest an article: kept as a Source with its full text; each statement becomes a draft claim to review "
            "in the admin (review_url). Metadata not given is read from the text. Nothing is fetched."
        ),
    ),
)
class ArticleViewSet(
    StrictParametersMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Articles and their draft claims."""

    serializer_class = ArticleSerializer
    permission_classes = [ArticlePermission]
    pagination_class = ArticlePagination
    schema = ArticleSchema()
    filter_backends = []

    def get_queryset(self):
        return Article.objects.select_related("source").order_by("-pk")

    def accepted_query_parameters(self):
        names = set(self.REQUEST_PARAMETERS)
        if self.action == "list":
            names |= {"limit", "offset"}
        return names

    def create(self, request, *args, **kwargs):
        incoming = ArticleInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        article = article_ingest(**incoming.validated_data, user=request.user)
        data = ArticleSerializer(article, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
