"""The reading room: public, read-only pages over the same data as the API.

Each page is a DRF view rendering a Django template, so that it is read with the
API's authentication, read permissions and throttles (DEFAULT_* in settings), and
answers HTML whatever the client accepts. Views are thin: the reads are in
reading.selectors (the API's own filters, lists and summary), the figures in
reading.figures, the SVG in reading.charts.
"""

from django.http import HttpResponsePermanentRedirect, HttpResponseRedirect
from rest_framework.exceptions import MethodNotAllowed, NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ..http_cache import HTTPCacheMixin
from ..models import Actor, Contract, Transfer
from . import charts, figures, measures
from . import selectors as read
from .forms import FlowsForm, MeasureForm, RegisterForm


class PageRenderer(TemplateHTMLRenderer):
    # Errors (404, 429...) as a page of the reading room, not DRF's plain text.
    exception_template_names = ["reading/error.html"]


class HTMLOnly(BaseContentNegotiation):
    """Pages are HTML whatever the Accept header or a ?format= says (the API is the JSON)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


ERROR_TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    429: "Too many requests",
}


class Page(HTTPCacheMixin, APIView):
    """A public page: GET only, the API's authentication, read permissions and throttles,
    and the API's ETags, 304s and Cache-Control (transfers.http_cache)."""

    renderer_classes = [PageRenderer]
    content_negotiation_class = HTMLOnly
    http_method_names = ["get", "head"]
    schema = None  # pages, not API operations: left out of the OpenAPI schema
    model = Transfer  # whose read permission applies (anyone may read, as on the API)
    template_name = None
    section = ""

    def get_queryset(self):
        return self.model.objects.none()

    def initial(self, request, *args, **kwargs):
        # A method the page does not take is a 405 before anything else (as on the API).
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            raise MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)

    def page(self, context, *, status=200):
        return Response({"section": self.section, **context}, status=status, template_name=self.template_name)

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = {
            "title": ERROR_TITLES.get(response.status_code, "Error"),
            "detail": str(detail or ""),
            "section": self.section,
        }
        return response


def link(path, pairs):
    pairs = [(name, value) for name, value in pairs if value not in (None, "")]
    return f"{path}?{read.urlencoded(pairs)}" if pairs else path


def without_empty(request):
    """A GET form sends its empty fields too (?supplier=&recipient=RUS): the same URL
    without them, to redirect to, so that the address to share is the short one."""
    pairs = [(name, value) for name, values in request.query_params.lists() for value in values]
    if not any(value == "" for _name, value in pairs):
        return None
    return HttpResponseRedirect(link(request.path, [(n, v) for n, v in pairs if v != ""]))


def check_choice(params, name, allowed):
    """{name: [message]} when a page's own parameter is not one of `allowed` (the API's words)."""
    value = params.get(name)
    if value and value not in allowed:
        return {name: [f"Unknown value {value[:40]!r}; choose from: {', '.join(allowed)}."]}
    return {}


def strict_parameters(params, accepted):
    """The API's answer to unknown, repeated or NUL-bearing parameters, for pages with their own."""
    listed = ", ".join(sorted(accepted)) or "no parameters"
    errors = {}
    for name, values in params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            errors[name.replace("\x00", "")[:60]] = ["NUL characters are not allowed."]
        elif name not in accepted:
            errors[name[:60]] = [f"Unknown parameter; this URL accepts: {listed}."]
        elif len(values) > 1:
            errors[name] = ["Given more than once; give it once (several values comma-separated)."]
    return errors


# --- The register ------------------------------------------------------------------------------------

COLUMNS = [
    ("Supplier", "supplier"),
    ("Recipient", "recipient"),
    ("Ordered", "order_date"),
    ("System", "system"),
    ("Category", "category"),
    ("No. ordered", "quantity_ordered"),
    ("No. delivered", "quantity_delivered"),
    ("Delivered in", None),
    ("Status", "status"),
    ("Claims", None),
    ("Comments", None),
]


def year_chart(rows, *, title, chart_id):
    """The stacked-by-category chart of summary rows by delivery year, in the best measure
    they carry (TIV once the summary has it, else numbers delivered), and its table."""
    measure, _offered = measures.choose(None, rows, by_delivery_year=True)
    bars = figures.years_by_category(rows, measure)
    return {
        "measure": measure,
        "bars": bars,
        "svg": charts.stacked_years(bars, title=title, unit=measure.unit, chart_id=chart_id),
        "table": bars.rows(),
    }


class RegisterView(Page):
    """/: the trade register with the filters of /api/transfers/, a chart per year, the CSV."""

    template_name = "reading/register.html"
    section = "register"

    def get(self, request):
        redirect = without_empty(request)
        if redirect:
            return redirect
        register = read.Register(request)
        form = RegisterForm(register)
        given = register.given()
        context = {
            "form": form,
            "api_url": link("/api/transfers/", request.query_params.items()),
            "api_links": [("This list in the API", link("/api/transfers/", request.query_params.items()))],
        }
        if register.errors:
            return self.page(context, status=400)
        page = register.page()
        ordering = request.query_params.get("ordering", "")
        sort_pairs = [(n, v) for n, v in request.query_params.items() if n not in ("ordering", "offset")]
        columns = []
        for label, key in COLUMNS:
            sortable = key in register.api.ordering_map
            current = "asc" if ordering == key else "desc" if ordering == f"-{key}" else None
            columns.append(
                {
                    "label": label,
                    "key": key,
                    "url": link("/", [*sort_pairs, ("ordering", key if current != "asc" else f"-{key}")])
                    if sortable
                    else "",
                    "sorted": current,
                }
            )
        offset, limit, count = page["offset"], page["limit"], page["count"]
        page_pairs = [(n, v) for n, v in request.query_params.items() if n != "offset"]
        previous_url = link("/", [*page_pairs, ("offset", max(0, offset - limit) or "")]) if offset > 0 else ""
        next_url = link("/", [*page_pairs, ("offset", offset + limit)]) if offset + limit < count else ""
        summary_url = link("/api/transfers/summary/", [("group_by", "delivery_year,category"), *given])
        chart = year_chart(
            register.summary(["delivery_year", "category"], measures=measures.YEAR_CHART),
            title="What the filter selects, per year of delivery",
            chart_id="register-chart",
        )
        csv_pairs = [(n, v) for n, v in request.query_params.items() if n not in ("limit", "offset")]
        context.update(
            {
                "rows": page["rows"],
                "count": count,
                "first": offset + 1 if page["rows"] else 0,
                "last": offset + len(page["rows"]),
                "previous_url": previous_url,
                "next_url": next_url,
                "columns": columns,
                "chart": chart,
                "filtered": bool(given),
                "csv_url": link("/api/transfers/", [*csv_pairs, ("format", "csv")]),
                "summary_url": summary_url,
                "summary_csv_url": link("/api/transfers/summary/", [("group_by", "delivery_year,category"), *given])
                + "&format=csv",
            }
        )
        context["api_links"] += [("The chart's numbers in the API", summary_url)]
        return self.page(context)


# --- A deal ------------------------------------------------------------------------------------------


class DealView(Page):
    """/deals/<reference>/: parties, lines, deliveries per year, timeline, evidence, claims, sources."""

    template_name = "reading/deal.html"
    section = "deal"
    model = Contract

    def get(self, request, reference):
        contract = read.deal(reference)
        if contract is None:
            raise NotFound(f"No deal has the reference {reference[:100]!r}.")
        if contract.reference != reference:
            return HttpResponsePermanentRedirect(f"/deals/{contract.reference}/")
        lines = read.deal_lines(contract)
        deliveries = read.deal_deliveries(contract)
        claims = read.deal_claims(contract)
        for line in lines:
            line.reported_deliveries = sum(1 for d in deliveries if d.transfer_id == line.pk)
        bars = figures.deliveries_by_line(deliveries, lines)
        sources = {}
        for claim in claims:
            entry = sources.setdefault(claim.source_id, {"source": claim.source, "claims": 0})
            entry["claims"] += 1
        api = f"/api/contracts/{contract.reference}/"
        context = {
            "contract": contract,
            "lines": lines,
            "deliveries": deliveries,
            "chart": {
                "svg": charts.stacked_years(
                    bars, title="Deliveries per year", unit="Numbers delivered", chart_id="deal-chart"
                ),
                "bars": bars,
                "table": bars.rows(),
            },
            "timeline": read.deal_timeline(contract),
            "claims": claims,
            "evidence": read.deal_evidence(contract),
            "sources": sorted(
                sources.values(), key=lambda s: (s["source"].published_date is None, s["source"].published_date)
            ),
            "register_url": f"/?contract={contract.reference}",
            "api_links": [
                ("The deal", api),
                ("Its timeline", f"{api}timeline/"),
                ("Its claims", f"/api/claims/?contract={contract.reference}"),
                ("Its lines in the register", f"/api/transfers/?contract={contract.reference}"),
                ("Its evidence per field", f"{api}evidence/"),
            ],
        }
        return self.page(context)


# --- An actor -----------------------------------------------------------------------------------------

TOP = 10


class ActorView(Page):
    """/actors/<code>/: as supplier and as recipient, per year, top partners and systems."""

    template_name = "reading/actor.html"
    section = "actor"
    model = Actor

    def get(self, request, code):
        actor = read.actor(code)
        if actor is None:
            raise NotFound(f"No actor has the code {code[:100]!r}.")
        if actor.code != code:
            return HttpResponsePermanentRedirect(link(f"/actors/{actor.code}/", request.query_params.items()))
        errors = strict_parameters(request.query_params, {"measure"})
        offered = measures.available([])
        errors.update(check_choice(request.query_params, "measure", [m.key for m in offered]))
        roles = []
        requested = request.query_params.get("measure")
        figures_by_role = {} if errors else read.actor_figures(actor)
        for role, other in read.ROLES.items():
            if errors:
                break
            data = figures_by_role[role]
            measure, offered = measures.choose(requested, data["partners"])
            params = {role: actor.code}
            chart = year_chart(data["years"], title=f"{actor.name} as {role}, per year of delivery", chart_id=role)
            roles.append(
                {
                    "role": role,
                    "other": other,
                    "measure": measure,
                    "chart": chart,
                    "partners": figures.top(
                        data["partners"], other, measure, TOP, href=figures.actor_href, register_params=params
                    ),
                    "systems": figures.top(data["systems"], "system", measure, TOP, register_params=params),
                    "register_url": link("/", params.items()),
                    "api_links": [
                        (
                            "per year and category",
                            link("/api/transfers/summary/", [*params.items(), ("group_by", "delivery_year,category")]),
                        ),
                        (f"per {other}", link("/api/transfers/summary/", [*params.items(), ("group_by", other)])),
                        ("per system", link("/api/transfers/summary/", [*params.items(), ("group_by", "system")])),
                        ("the register's rows", link("/api/transfers/", params.items())),
                    ],
                }
            )
        context = {
            "actor": actor,
            "roles": roles,
            "form": MeasureForm(
                request.query_params,
                measures=offered,
                errors=errors,
                defaults={"measure": roles[0]["measure"].key} if roles else {},
            ),
            "api_links": [("The actor", f"/api/actors/{actor.code}/")],
        }
        return self.page(context, status=400 if errors else 200)


# --- Flows ---------------------------------------------------------------------------------------------

TOPS = (5, 10, 15, 20, 30)


class FlowsView(Page):
    """/flows/: supplier -> recipient volumes for the register's filters (a period and a
    category), as a Sankey chart, its matrix, and top-N suppliers and recipients."""

    template_name = "reading/flows.html"
    section = "flows"

    def get(self, request):
        redirect = without_empty(request)
        if redirect:
            return redirect
        register = read.Register(request, extra={"measure", "top"})
        offered = measures.available([])
        errors = dict(register.errors)
        errors.update(check_choice(request.query_params, "measure", [m.key for m in offered]))
        errors.update(check_choice(request.query_params, "top", [str(n) for n in TOPS]))
        given = register.given()
        summary_url = link("/api/transfers/summary/", [("group_by", "supplier,recipient"), *given])
        context = {"api_links": [("These flows in the API", summary_url)], "register_url": link("/", given)}
        if errors:
            register.add_errors(errors)
            context["form"] = FlowsForm(register, measures=offered, tops=TOPS, defaults={})
            return self.page(context, status=400)
        top = int(request.query_params.get("top") or 10)
        requested = request.query_params.get("measure")

        def compute():
            rows = register.summary(["supplier", "recipient"], measures=measures.TABLES, keep=False)
            measure, offered = measures.choose(requested, rows)
            return measure, offered, figures.flows(rows, measure, top, register_params=dict(given))

        # The figures, not the summary's rows, are kept: folding thousands of pairs into
        # the top suppliers and recipients took 40 ms of every request at a million.
        key = f"flows:{requested}:{top}:{read.urlencoded(sorted(given))}"
        measure, offered, flows = read.cached(key, compute)
        context.update(
            {
                "form": FlowsForm(register, measures=offered, tops=TOPS, defaults={"measure": measure.key, "top": top}),
                "measure": measure,
                "top": top,
                "flows": flows,
                "svg": charts.sankey(
                    flows["left"],
                    flows["right"],
                    flows["links"],
                    title=f"{measure.unit}: from supplier to recipient",
                    unit=measure.unit,
                    chart_id="flows-chart",
                ),
                "summary_csv_url": summary_url + "&format=csv",
                "filters": given,
            }
        )
        return self.page(context)


# --- Search --------------------------------------------------------------------------------------------------


class SearchView(Page):
    """/search/?search=: actors, systems, deals and sources."""

    template_name = "reading/search.html"
    section = "search"

    def get(self, request):
        errors = strict_parameters(request.query_params, {"search"})
        words = request.query_params.get("search", "").strip()
        context = {"words": words, "errors": errors, "limit": read.SEARCH_LIMIT}
        if errors:
            return self.page(context, status=400)
        if words:
            found = read.search(request)
            term = [("search", words)]
            context.update(
                {
                    "found": found,
                    "api_links": [
                        ("actors", link("/api/actors/", term)),
                        ("systems", link("/api/systems/", term)),
                        ("deals", link("/api/contracts/", term)),
                        ("sources", link("/api/sources/", term)),
                    ],
                    "register_url": link("/", term),
                }
            )
        return self.page(context)
