"""Evidence per record: for each field of a deal that claims can be about, the record's
current value, every claim about it, whether the claims disagree, and which claim the
value follows. Also keeps Contract.disputed, so lists filter on a column.

- `rule`: which claims are evidence for which field, and when two disagree (the
  tolerance rule, in its docstring);
- `disputed`: Contract.disputed, kept by signals (importing this package connects them);
- `report`: a deal's evidence, for the API and the admin (contract_evidence).
"""

from .disputed import claim_deal_ids, contract_disputed_deferred, contract_disputed_refresh
from .report import contract_evidence
from .rule import CONTRACT_FIELDS, EVIDENCE_FIELDS, LINE_FIELDS, claim_time, claims_disagree, field_conflicts

__all__ = [
    "CONTRACT_FIELDS",
    "EVIDENCE_FIELDS",
    "LINE_FIELDS",
    "claim_deal_ids",
    "claim_time",
    "claims_disagree",
    "contract_disputed_deferred",
    "contract_disputed_refresh",
    "contract_evidence",
    "field_conflicts",
]
