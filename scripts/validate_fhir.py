#!/usr/bin/env python3
"""Structural validation of chartex's FHIR export with the `fhir.resources` models from PyPI
(scripts/setup-corpus.sh installs fhir.resources 8.3.0 into the corpus venv).

fhir.resources 8.x ships FHIR R5 as its default package and R4B (4.3.0) and STU3 as
subpackages; it has no R4 (4.0.1) models (those were fhir.resources 6.x). chartex writes R4
(4.0.1); every element it uses has the same name, type and cardinality in R4B, so the R4B models
are the structural check (docs/fhir.md).

Checks, for each Bundle (a file holding one Bundle, or one Bundle per line):
  - the Bundle and every resource in it validate with the R4B model of their type;
  - every entry's fullUrl is urn:uuid:<id>, and every Reference.reference resolves to an entry;
  - every resource chartex extracted (not DocumentReference) is the target of exactly one Provenance;
  - US Core required elements, where chartex has the data (docs/fhir.md lists them).
Prints one JSON object: resource counts by type (and labs / vitals for Observations), problems.
Exit 1 when there is any problem.

Usage: validate_fhir.py BUNDLE.json [...]
"""
import json
import sys

from fhir.resources.R4B import get_fhir_model_class

EXTRACTED = {"Patient", "Encounter", "Condition", "MedicationStatement", "AllergyIntolerance", "Observation", "Immunization"}


def bundles(path):
    text = open(path, encoding="utf-8").read()
    try:
        yield json.loads(text)
    except json.JSONDecodeError:
        for line in text.splitlines():
            if line.strip():
                yield json.loads(line)


def references(value, found):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                references(item, found)
    elif isinstance(value, list):
        for item in value:
            references(item, found)


def category(resource):
    for concept in resource.get("category", []):
        for coding in concept.get("coding", []):
            return coding.get("code")
    return None


def us_core(resource, problems):
    """The US Core must-have elements chartex can fill (present whenever the chart had the data)."""
    kind, rid = resource["resourceType"], resource.get("id")
    need = {
        "Observation": ["status", "category", "code", "subject"],
        "Condition": ["category", "code", "subject"],
        "MedicationStatement": ["status", "medicationCodeableConcept", "subject"],
        "AllergyIntolerance": ["clinicalStatus", "verificationStatus", "code", "patient"],
        "Immunization": ["status", "vaccineCode", "patient"],
        "Encounter": ["status", "class", "subject"],
        "DocumentReference": ["status", "content", "subject"],
        "Provenance": ["target", "recorded", "agent"],
    }.get(kind, [])
    for element in need:
        if element not in resource:
            problems.append(f"{kind}/{rid}: no {element}")
    if kind == "Observation" and not any(k.startswith("value") for k in resource) and "component" not in resource:
        problems.append(f"Observation/{rid}: no value")


def main():
    counts, problems = {}, []
    bundle_count = 0
    for path in sys.argv[1:]:
        for bundle in bundles(path):
            bundle_count += 1
            try:
                get_fhir_model_class("Bundle").model_validate(bundle)
            except Exception as error:  # noqa: BLE001 - the model's message is the report
                problems.append(f"{path}: Bundle: {error}")
            entries = bundle.get("entry", [])
            urls = {entry.get("fullUrl") for entry in entries}
            targets = {}
            for entry in entries:
                resource = entry["resource"]
                kind = resource["resourceType"]
                if entry.get("fullUrl") != f"urn:uuid:{resource.get('id')}":
                    problems.append(f"{kind}/{resource.get('id')}: fullUrl {entry.get('fullUrl')}")
                try:
                    get_fhir_model_class(kind).model_validate(resource)
                except Exception as error:  # noqa: BLE001
                    problems.append(f"{kind}/{resource.get('id')}: {error}")
                found = []
                references(resource, found)
                for reference in found:
                    if reference not in urls:
                        problems.append(f"{kind}/{resource.get('id')}: reference {reference} is not in the bundle")
                key = kind if kind != "Observation" else f"Observation:{category(resource)}"
                counts[key] = counts.get(key, 0) + 1
                if kind == "Provenance":
                    for target in resource.get("target", []):
                        targets[target.get("reference")] = targets.get(target.get("reference"), 0) + 1
                us_core(resource, problems)
            for entry in entries:
                resource = entry["resource"]
                if resource["resourceType"] in EXTRACTED:
                    n = targets.get(entry["fullUrl"], 0)
                    empty_patient = resource["resourceType"] == "Patient" and len(resource) <= 2
                    if n != (0 if empty_patient else 1):
                        problems.append(f"{resource['resourceType']}/{resource['id']}: {n} Provenance resources")
    print(json.dumps({"bundles": bundle_count, "counts": counts, "problems": problems[:50],
                      "problemCount": len(problems)}, sort_keys=True))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
