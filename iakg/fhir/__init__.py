"""FHIR R4 representations of the graph (no I/O, no HTTP): the canonical URLs the project publishes under,
the patient facts as a CodeSystem, and the guidance as clinical practice guidelines (CPG-on-FHIR:
PlanDefinition, ActivityDefinition, Library).

A layer of its own, below ``io`` and ``cds`` and above ``domain`` (docs/ARCHITECTURE.md): the export
(``iakg export --format fhir-cpg``, registered in ``iakg.io.formats``) and order-time decision support
(``iakg.cds``) build the same resources from here, and neither imports the other. Reading FHIR that an
EHR sends (Conditions, Observations, orders) is order-time work and stays in ``iakg.cds.fhir``.
"""

#: where the project's FHIR canonical resources live
BASE = "https://w3id.org/iakg/fhir"
#: the CodeSystem of the graph's patient facts (``iakg cds-codesystem`` writes it; code = the fact key)
FACTS_SYSTEM = f"{BASE}/CodeSystem/patient-facts"
#: the graph's appropriateness categories as codes (code = the local name of the category's IRI)
CATEGORY_SYSTEM = f"{BASE}/CodeSystem/appropriateness-category"
#: FHIR's system for a code that is a URI (here: an IRI of the graph)
URI_SYSTEM = "urn:ietf:rfc:3986"
LOINC = "http://loinc.org"
