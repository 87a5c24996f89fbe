"""Serializers: each lists exactly what it renders; views prefetch exactly that.

One module per resource group, every serializer importable from here
(`from . import serializers as s`; `s.TransferSerializer`):
- `base`: brief representations of related records, and the model validation every
  writable serializer runs (as the admin does);
- `register`: actors, people, weapon systems, contracts, transfers (the register's
  columns: TransferSerializer), deliveries;
- `evidence`: sources, claims and their typed assertion, a deal's evidence per field;
- `history`: a record's change history, a deal's timeline;
- `summary`: the register's summary rows;
- `releases`: SIPRI releases and the changes between two;
- `changes`: the change feed.
"""

from .base import (
    ActorBriefSerializer,
    BaseModelSerializer,
    ContractBriefSerializer,
    DeliveryBriefSerializer,
    ModelValidationMixin,
    PersonBriefSerializer,
    SourceBriefSerializer,
    SystemBriefSerializer,
    TransferBriefSerializer,
    actor_field,
)
from .changes import (
    ChangeEntrySerializer,
    ChangeFeedSerializer,
)
from .evidence import (
    AssertionSerializer,
    ClaimSerializer,
    EvidenceClaimSerializer,
    EvidenceFieldSerializer,
    EvidenceRecordSerializer,
    EvidenceSerializer,
    EvidenceSubjectSerializer,
    EvidenceValueSerializer,
    SourceSerializer,
    assertion_errors_nested,
)
from .history import (
    HistoryChangeSerializer,
    HistoryEntrySerializer,
    TimelineClaimSerializer,
    TimelineEventSerializer,
    TimelineSourceSerializer,
)
from .register import (
    ActorSerializer,
    ContractSerializer,
    DeliverySerializer,
    PersonSerializer,
    TransferSerializer,
    WeaponSystemSerializer,
)
from .releases import (
    ReleaseChangeCountsSerializer,
    ReleaseChangesSerializer,
    ReleaseDealChangeSerializer,
    ReleaseFieldChangeSerializer,
    ReleaseSerializer,
    ReleaseSupplierTotalSerializer,
)
from .summary import (
    SummaryRowSerializer,
    SummaryValueSerializer,
)

__all__ = [
    "ActorBriefSerializer",
    "PersonBriefSerializer",
    "SystemBriefSerializer",
    "ContractBriefSerializer",
    "TransferBriefSerializer",
    "DeliveryBriefSerializer",
    "SourceBriefSerializer",
    "actor_field",
    "ModelValidationMixin",
    "BaseModelSerializer",
    "ActorSerializer",
    "PersonSerializer",
    "WeaponSystemSerializer",
    "ContractSerializer",
    "TransferSerializer",
    "DeliverySerializer",
    "SourceSerializer",
    "AssertionSerializer",
    "ClaimSerializer",
    "assertion_errors_nested",
    "EvidenceSubjectSerializer",
    "EvidenceClaimSerializer",
    "EvidenceRecordSerializer",
    "EvidenceValueSerializer",
    "EvidenceFieldSerializer",
    "EvidenceSerializer",
    "HistoryChangeSerializer",
    "HistoryEntrySerializer",
    "TimelineSourceSerializer",
    "TimelineClaimSerializer",
    "TimelineEventSerializer",
    "SummaryValueSerializer",
    "SummaryRowSerializer",
    "ReleaseSerializer",
    "ReleaseFieldChangeSerializer",
    "ReleaseDealChangeSerializer",
    "ReleaseSupplierTotalSerializer",
    "ReleaseChangeCountsSerializer",
    "ReleaseChangesSerializer",
    "ChangeEntrySerializer",
    "ChangeFeedSerializer",
]
