"""Extract the FHIRPath invariants of the FHIR R4B types the fhir-cpg export uses into
tests/fixtures/fhir-r4b/invariants.json (read by tests/fhir_checks.py).

Usage: python scripts/fhir_invariants.py PACKAGE_DIR

PACKAGE_DIR is the unpacked ``package/`` folder of the FHIR core package ``hl7.fhir.r4b.core`` 4.3.0 (``npm pack
hl7.fhir.r4b.core@4.3.0``, then ``tar xzf``). For each resource type named below and every complex type they
reach, the file keeps each element's path, types, content reference and constraints (key, severity,
FHIRPath, human text), from the StructureDefinition's snapshot. The FHIR specification is CC0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESOURCES = ["Bundle", "PlanDefinition", "ActivityDefinition", "Library", "CodeSystem", "StructureDefinition"]
OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "fhir-r4b" / "invariants.json"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    package = Path(argv[1])
    definitions = {}
    queue, seen = list(RESOURCES), set()
    while queue:
        name = queue.pop(0)
        if name in seen:
            continue
        seen.add(name)
        path = package / f"StructureDefinition-{name}.json"
        sd = json.loads(path.read_text(encoding="utf-8"))
        if sd["kind"] == "primitive-type":
            continue
        elements = {}
        for element in sd["snapshot"]["element"]:
            types = [t["code"] for t in element.get("type", [])]
            entry = {"types": types}
            if element.get("contentReference"):
                entry["contentReference"] = element["contentReference"].lstrip("#")
            constraints = [[c["key"], c["severity"], c["expression"], c["human"]]
                           for c in element.get("constraint", []) if c.get("expression")]
            if constraints:
                entry["constraints"] = constraints
            elements[element["path"]] = entry
            for code in types:
                if code[:1].isupper() and code not in ("Element", "BackboneElement", "Resource"):
                    queue.append(code)
        definitions[name] = {"kind": sd["kind"], "elements": elements}
    document = {"source": "hl7.fhir.r4b.core 4.3.0 (FHIR R4B, CC0): StructureDefinition snapshots",
                "types": dict(sorted(definitions.items()))}
    OUT.write_text(_lines(document), encoding="utf-8")
    print(f"wrote {OUT} ({len(definitions)} types)")
    return 0


def _lines(document: dict) -> str:
    """The document with one type a line (a diff shows which type changed)."""
    types = [f"  {json.dumps(name)}: {json.dumps(body, separators=(',', ':'), ensure_ascii=False)}"
             for name, body in document["types"].items()]
    return f'{{"source": {json.dumps(document["source"])},\n "types": {{\n' + ",\n".join(types) + "\n }}\n"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
