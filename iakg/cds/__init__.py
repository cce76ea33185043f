"""Order-time decision support: a CDS Hooks 2.0 service over the graph (docs/cds-hooks.md).

FHIR R4 resources in (draft ServiceRequests, prefetched Patient, Conditions, Observations, allergies), the
graph's patient facts through a site mapping, ``match`` and ``recommend``, cards out. Pure functions: the
HTTP routes live in ``iakg.serve.cds``.
"""

from iakg.cds.mapping import Mapping
from iakg.cds.mapping import load as load_mapping
from iakg.cds.service import SERVICES, CdsRequestError, CdsService
from iakg.fhir.codesystem import codesystem

__all__ = ["SERVICES", "CdsRequestError", "CdsService", "Mapping", "codesystem", "load_mapping"]
