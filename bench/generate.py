#!/usr/bin/env python3
"""Synthetic catalogue-scale graphs for the benchmark. SYNTHETIC: not guidance, never committed.

Scale 1 is the size of the ACR Appropriateness Criteria catalogue's October 2020 release (198 topics,
1,760 scenarios, 8,815 rated recommendations); scale 10 is ten times it (about 1.2 million triples).
The output conforms to the shipped shapes and uses the same classes as real topics: hubs, topics with
5-15 scenarios, 5-20 rated procedures per scenario drawn from 300 procedures, criteria on patient facts,
workflow branches, labels and rationale text. Every resource is under https://example.org/synthetic/.

    python bench/generate.py --scale 1 --out bench/out/scale-1.nt
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

TOPICS, SCENARIOS, RATINGS = 198, 1760, 8815
PROCEDURES, FACTS, HUBS_PER_SCALE = 300, 60, 12

SYN = "https://example.org/synthetic/"
IAKG = "https://w3id.org/iakg/ontology#"
IAKGD = "https://w3id.org/iakg/id/"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
DEFINITION = "<http://www.w3.org/2004/02/skos/core#definition>"
DERIVED = "<http://www.w3.org/ns/prov#wasDerivedFrom>"
TITLE = "<http://purl.org/dc/terms/title>"
BOOLEAN = "<http://www.w3.org/2001/XMLSchema#boolean>"
INTEGER = "<http://www.w3.org/2001/XMLSchema#integer>"

#: modality class, body regions, contrast uses, radiation levels it may have
MODALITIES = [
    ("CTProcedure", ["rrl-2", "rrl-3", "rrl-4"]), ("MRIProcedure", ["rrl-0"]),
    ("UltrasoundProcedure", ["rrl-0"]), ("RadiographyProcedure", ["rrl-1", "rrl-2"]),
    ("NuclearMedicineProcedure", ["rrl-3", "rrl-4"]), ("PETCTProcedure", ["rrl-3", "rrl-4"]),
]
REGIONS = ["region-chest", "region-abdomen", "region-pelvis", "region-liver"]
CONTRAST = ["without-iv-contrast", "with-iv-contrast", "without-and-with-iv-contrast"]
#: category, share of ratings (synthetic proportions)
CATEGORIES = [("usually-appropriate", 0.30), ("may-be-appropriate", 0.25), ("usually-not-appropriate", 0.45)]


def s(local: str) -> str:
    return f"<{SYN}{local}>"


def o(local: str) -> str:
    return f"<{IAKG}{local}>"


def d(local: str) -> str:
    return f"<{IAKGD}{local}>"


def text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"@en'


def split(total: int, parts: int, low: int, high: int, rng: random.Random) -> list[int]:
    """``parts`` integers in [low, high] summing to ``total``."""
    sizes = [low] * parts
    rest = total - low * parts
    open_ = list(range(parts))
    while rest > 0:
        i = rng.choice(open_)
        sizes[i] += 1
        rest -= 1
        if sizes[i] == high:
            open_.remove(i)
    return sizes


def generate(scale: float, seed: int = 2020):
    """Yield N-Triples lines of a synthetic catalogue ``scale`` times the 2020 release."""
    rng = random.Random(seed)
    doc = s("synthetic-catalogue")
    yield f"{doc} {RDF_TYPE} {o('SourceDocument')} ."
    yield f"{doc} {LABEL} {text('SYNTHETIC benchmark catalogue (not guidance)')} ."
    yield f'{doc} {TITLE} "SYNTHETIC benchmark catalogue (not guidance)" .'
    yield f'{doc} {o("isTestFixture")} "true"^^{BOOLEAN} .'
    yield f"{doc} <http://purl.org/dc/terms/rights> {text('Generated benchmark text: no rights apply to it.')} ."
    body = s("synthetic-panel")
    yield f"{body} {RDF_TYPE} {o('GuidanceBody')} ."
    yield f"{body} {LABEL} {text('Synthetic panel')} ."
    yield f'{body} {o("isTestFixture")} "true"^^{BOOLEAN} .'
    disease = s("synthetic-disease")
    yield f"{disease} {RDF_TYPE} {o('Disease')} ."
    yield f"{disease} {LABEL} {text('Synthetic disease')} ."
    yield f"{disease} {DEFINITION} {text('A disease that exists only in the benchmark.')} ."

    for k in range(FACTS):
        fact = s(f"fact-{k}")
        yield f"{fact} {RDF_TYPE} {o('PatientFact')} ."
        yield f"{fact} {LABEL} {text(f'synthetic finding {k}')} ."
        yield f"{fact} {DEFINITION} {text(f'Synthetic patient finding number {k}.')} ."
        yield f'{fact} {o("factKey")} "syntheticFinding{k}" .'
        yield f'{fact} {o("factDatatype")} <http://www.w3.org/2001/XMLSchema#boolean> .'

    for k in range(PROCEDURES):
        cls, levels = MODALITIES[k % len(MODALITIES)]
        proc = s(f"procedure-{k}")
        yield f"{proc} {RDF_TYPE} {o(cls)} ."
        yield f"{proc} {LABEL} {text(f'Synthetic {cls[:-9]} procedure {k}')} ."
        yield f"{proc} {o('bodyRegion')} {d(REGIONS[k % len(REGIONS)])} ."
        yield f"{proc} {o('contrastUse')} {d(CONTRAST[k % len(CONTRAST)])} ."
        yield f"{proc} {o('radiationLevel')} {d(rng.choice(levels))} ."
        yield f"{proc} {o('radiationLevelSource')} {doc} ."
        yield f"{proc} {DERIVED} {doc} ."
        yield f'{proc} {o("isTestFixture")} "true"^^{BOOLEAN} .'
        if cls in ("NuclearMedicineProcedure", "PETCTProcedure"):
            yield f"{proc} {o('radiopharmaceutical')} {d('fdg')} ."

    hubs = max(1, round(HUBS_PER_SCALE * scale))
    for h in range(hubs):
        hub = s(f"hub-{h}")
        yield f"{hub} {RDF_TYPE} {o('TopicHub')} ."
        yield f"{hub} {LABEL} {text(f'Synthetic hub {h}')} ."
        yield f"{hub} {DEFINITION} {text(f'Synthetic topic hub {h}.')} ."
        yield f"{hub} {DERIVED} {doc} ."

    topics, scenarios = max(1, round(TOPICS * scale)), max(5, round(SCENARIOS * scale))
    per_topic = split(scenarios, topics, 5, 15, rng)
    per_scenario = split(max(5 * scenarios, round(RATINGS * scale)), scenarios, 5, 20, rng)
    weights = [w for _, w in CATEGORIES]
    n = 0  # scenario number
    for t in range(topics):
        topic = s(f"topic-{t}")
        yield f"{topic} {RDF_TYPE} {o('Topic')} ."
        yield f"{topic} {LABEL} {text(f'Synthetic topic {t}')} ."
        yield f"{topic} {DEFINITION} {text(f'Synthetic imaging topic {t}.')} ."
        yield f"{topic} {o('parentTopic')} {s(f'hub-{t % hubs}')} ."
        yield f"{topic} {o('coversDisease')} {disease} ."
        yield f"{topic} {DERIVED} {doc} ."
        first = n
        for _ in range(per_topic[t]):
            scenario = s(f"scenario-{n}")
            yield f"{topic} {o('hasScenario')} {scenario} ."
            yield f"{scenario} {RDF_TYPE} {o('ClinicalScenario')} ."
            yield f"{scenario} {LABEL} {text(f'Synthetic scenario {n} of topic {t}')} ."
            yield f"{scenario} {DEFINITION} {text(f'Synthetic clinical scenario {n}.')} ."
            yield f"{scenario} {o('concernsDisease')} {disease} ."
            yield f"{scenario} {DERIVED} {doc} ."
            for kind, expected in (("inclusion", "true"), ("exclusion", "true")):
                criterion = s(f"{kind}-{n}")
                yield f"{scenario} {o(kind + 'Criterion')} {criterion} ."
                yield f"{criterion} {RDF_TYPE} {o(kind.capitalize() + 'Criterion')} ."
                yield f"{criterion} {LABEL} {text(f'Synthetic {kind} criterion {n}')} ."
                yield f"{criterion} {o('onFact')} {s(f'fact-{rng.randrange(FACTS)}')} ."
                yield f'{criterion} {o("expectedValue")} "{expected}"^^{BOOLEAN} .'
                yield f"{criterion} {DERIVED} {doc} ."
                if kind == "exclusion":
                    target = first + rng.randrange(per_topic[t])
                    if target != n:
                        yield f"{criterion} {o('redirectsTo')} {s(f'scenario-{target}')} ."
            branch, step = s(f"branch-{n}"), s(f"step-{n}")
            yield f"{branch} {RDF_TYPE} {o('WorkflowBranch')} ."
            yield f"{branch} {LABEL} {text(f'Synthetic negative branch {n}')} ."
            yield f"{branch} {o('branchOf')} {scenario} ."
            yield f"{branch} {o('result')} {d('result-negative')} ."
            yield f"{branch} {o('hasStep')} {step} ."
            yield f"{step} {RDF_TYPE} {o('NextStep')} ."
            yield f"{step} {LABEL} {text('Continue the scheduled follow-up')} ."
            yield f'{step} {o("stepOrder")} "1"^^{INTEGER} .'
            yield f"{step} {o('action')} {d('action-continue-scheduled-follow-up')} ."
            for r, proc in enumerate(rng.sample(range(PROCEDURES), per_scenario[n])):
                rating = s(f"rating-{n}-{r}")
                category = rng.choices(CATEGORIES, weights)[0][0]
                disagreement = "true" if category == "may-be-appropriate" and rng.random() < 0.1 else "false"
                yield f"{rating} {RDF_TYPE} {o('AppropriatenessRating')} ."
                yield f"{rating} {LABEL} {text(f'Synthetic rating {n}-{r}')} ."
                yield f"{rating} {o('ratedScenario')} {scenario} ."
                yield f"{rating} {o('ratedProcedure')} {s(f'procedure-{proc}')} ."
                yield f"{rating} {o('category')} {d(category)} ."
                yield f'{rating} {o("panelDisagreement")} "{disagreement}"^^{BOOLEAN} .'
                why = text(f"Synthetic rationale for procedure {proc} in scenario {n}.")
                yield f"{rating} {o('rationale')} {why} ."
                yield f"{rating} {o('ratingAuthority')} {body} ."
                yield f"{rating} {DERIVED} {doc} ."
            n += 1


def write(scale: float, out: Path, seed: int = 2020) -> int:
    """Write the graph to ``out`` (N-Triples); return the number of triples."""
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = out.with_suffix(".part")
    with tmp.open("w", encoding="utf-8") as f:
        for line in generate(scale, seed):
            f.write(line + "\n")
            count += 1
    tmp.replace(out)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(f"{write(args.scale, args.out, args.seed)} triples -> {args.out}")


if __name__ == "__main__":
    main()
