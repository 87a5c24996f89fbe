"""OpenAPI schema: every operation also documents the errors it can answer with."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import SAFE_METHODS

ERROR_SCHEMA = {
    "type": "object",
    "description": "Field name (or non_field_errors / detail) to messages.",
    "additionalProperties": True,
}

DESCRIPTIONS = {
    "400": "Invalid input or filter: the body names each offending field or parameter.",
    "401": "Authentication credentials were not provided or are invalid.",
    "403": "Not allowed: anonymous clients and users without the model permission cannot write.",
    "404": "No such record.",
    "406": "The Accept header asks for a format this endpoint does not offer.",
    "412": "The If-Match ETag is stale: the record changed since it was read; nothing was changed.",
    "413": "The request body is larger than the server accepts.",
    "415": "Unsupported request media type.",
    "429": "Too many requests: see the Retry-After header.",
}

NOT_MODIFIED = (
    "Not modified: If-None-Match holds the current ETag (nothing the response shows has changed); "
    "no body (transfers/http_cache.py)."
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag of the response you hold: answered 304 with no body while it is current.",
)


# Query parameters whose empty value is an error, not "not given": the representation and
# the summary's grouping have no default a client could mean by leaving them empty.
EMPTY_IS_AN_ERROR = {"format", "group_by"}
EMPTY = {"type": "string", "enum": [""]}


def empty_allowed(schema):
    """A query parameter's schema that also admits the empty value, which every filter, page
    and ordering parameter takes as "not given" (an HTML form's unset field sends it)."""
    if schema.get("enum") is not None:
        return schema if "" in schema["enum"] else {**schema, "enum": ["", *schema["enum"]]}
    if schema.get("type") == "string" and "pattern" not in schema and not schema.get("minLength"):
        return schema  # any text, the empty one included
    return {"anyOf": [schema, EMPTY]}


class TrackerAutoSchema(AutoSchema):
    def get_auth(self):
        # Anyone may read (DjangoModelPermissionsOrAnonReadOnly, which drf-spectacular
        # does not know): reads need no credentials; writes need a session or a token.
        auths = super().get_auth()
        if self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and parameter["name"] not in EMPTY_IS_AN_ERROR and "schema" in parameter:
                parameter["schema"] = empty_allowed(parameter["schema"])
                parameter["description"] = (parameter.get("description", "") + " Empty: not given.").strip()
        return parameters

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "GET":
            parameters = [*parameters, IF_NONE_MATCH]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if self.method == "GET":
            responses.setdefault("304", {"description": NOT_MODIFIED})
        codes = ["400", "401", "403", "404", "406", "429"]
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        if self.method in ("PUT", "PATCH", "DELETE"):
            codes.append("412")
        for code in codes:
            responses.setdefault(
                code,
                {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ERROR_SCHEMA}}},
            )
        return responses
