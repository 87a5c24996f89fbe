"""The domain model: who supplies what to whom, under which deal, and who said so.

Every model keeps a full change history (django-simple-history) and has a
natural key, so fixtures are portable between databases.

One module per concern, in the order the models are defined (that order is the app's
`get_models()` order): `base` what they share (validators, keys, the database's trigger
rules, the natural-key manager); `reference` actors, people, weapon systems; `deals`
contracts, transfers and deliveries; `evidence` sources and claims; `limits` the abuse
limits' counts; `releases` the register's releases; `bookkeeping` the change feed and the
data version. Every name is importable from `transfers.models`, as migrations and settings
name them.
"""

# In this order: a module's models are created when it is imported, and the articles' models,
# which refer to these, come last. Every name is re-exported (F401).
# ruff: noqa: I001
from .base import CODE_VALIDATOR, DATABASE_TRIGGERS, NaturalKeyManager, new_key, save_with_next_line  # noqa: F401
from .base import validate_currency, validate_language  # noqa: F401
from .reference import Actor, Category, Person, WeaponSystem  # noqa: F401
from .deals import CachedCopy, Contract, Delivery, PublishedInconsistency, Transfer, _excess, cached_actor  # noqa: F401
from .evidence import CLAIM_SUBJECTS, Claim, Source, _exactly_one_subject, claim_subject_type  # noqa: F401
from .limits import RateCount  # noqa: F401
from .releases import Release, ReleaseDeal  # noqa: F401
from .bookkeeping import Change, DataVersion  # noqa: F401

# Articles and their draft claims (transfers.articles): a table of their own, so drafts are never claims.
from ..articles.models import Article, Draft  # noqa: F401

# The yearly totals (transfers.totals): tables of their own, kept by triggers and a refresh.
from ..totals.models import (  # noqa: F401
    SystemTotal,
    SystemTotalDirty,
    TotalsAffected,
    TotalsDirty,
    TotalsRefreshing,
    YearlyTotal,
)
