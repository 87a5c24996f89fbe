"""The editors' interface: every model, with history, search, filters and CSV export.

Laid out for the work and a 1400 px window: models in the order of the work (deals,
then sources and claims, then the reference lists), dates at their precision, money
with its currency and thousands separators, a deal's claims as a compact table.
"""

from types import MethodType

from django.contrib import admin

from ..models import Actor, Article, Claim, Contract, Delivery, Person, Release, Source, Transfer, WeaponSystem

admin.site.site_header = "Arms-transfer tracker"
admin.site.site_title = "Arms-transfer tracker"
admin.site.index_title = "Records"
# "View site": the site's home page (today it leads to the API; a public reading room later).
admin.site.site_url = "/"


# --- The menu, in the order of the work --------------------------------------------

# Deals first, then what they rest on (sources, the articles claims are drafted from, claims),
# then the reference lists, then the register's releases (read-only).
WORK_ORDER = [Contract, Transfer, Delivery, Source, Article, Claim, Actor, Person, WeaponSystem, Release]
# Apps after the records: users and tokens, then the login-lockout tables (django-axes),
# folded away in a last group; they stay reachable at their own URLs.
APP_ORDER = {"transfers": 0, "auth": 1, "authtoken": 2, "axes": 3}
LOCKOUT_APP = "axes"
LOCKOUT_GROUP_NAME = "Login lockouts"


def app_list_in_order_of_work(site, request, app_label=None):
    """AdminSite.get_app_list, with the records in the order of the work and the lockouts last."""
    app_list = admin.AdminSite.get_app_list(site, request, app_label)
    rank = {model: index for index, model in enumerate(WORK_ORDER)}
    for app in app_list:
        if app["app_label"] == Contract._meta.app_label:
            app["models"].sort(key=lambda entry: rank.get(entry["model"], len(rank)))
        if app["app_label"] == LOCKOUT_APP:
            app["name"] = LOCKOUT_GROUP_NAME
            app["collapsed"] = True
    app_list.sort(key=lambda app: APP_ORDER.get(app["app_label"], len(APP_ORDER) - 1))
    return app_list


# The project uses Django's default site (settings and urls name no other), so it is set up here.
admin.site.get_app_list = MethodType(app_list_in_order_of_work, admin.site)

# The model admins register on import, one module per concern (the menu's order is WORK_ORDER's):
# base.py and forms.py what they share; deals.py contracts, lines.py their lines and deliveries,
# evidence.py sources and claims, reference.py actors, people and systems, releases.py the
# register's releases; and the articles and their drafts (transfers.articles), pasted or uploaded
# and then reviewed beside the text.
from ..articles import admin as _articles_admin  # noqa: E402, F401
from . import deals, evidence, lines, reference, releases  # noqa: E402, F401
