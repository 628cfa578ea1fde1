#!/usr/bin/env python3
"""Every environment variable the template gives a Lambda function is one
its code reads: a variable nothing reads is at best noise and at worst a
secret handed to a function that has no use for it (the edge origin secret
once sat in the post-confirmation and custom-message functions).

A variable counts as read when its name is a string literal in the sources
linked into the function (its crate and the crates it depends on). Shown to
fail on a copy of the template that hands a function a variable it never
reads. Run with the IaC venv's Python (scripts/check-iac does); prints one
line per check and `N passed, N failed`.
"""
import re
import sys
import tempfile
from pathlib import Path

from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cloudformation" / "template.yaml"
# Which crates each function's binary links (see the crates' Cargo.toml).
TRIGGER_SOURCES = ["triggers/src", "infra/src"]
SOURCES = {
    "PreSignUpFunction": TRIGGER_SOURCES,
    "PostConfirmationFunction": TRIGGER_SOURCES,
    "CustomMessageFunction": TRIGGER_SOURCES,
    "PreTokenGenerationFunction": TRIGGER_SOURCES,
    "ApiFunction": ["api/src", "infra/src", "triggers/src"],
}


def literals(folders):
    names = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.rs"):
            names.update(re.findall(r'"([A-Z][A-Z0-9_]+)"', path.read_text()))
    return names


def unread(template_path):
    """{function: [variables its code never names]} and the functions the
    check does not know."""
    template, matches = decode(str(template_path))
    if matches:
        raise SystemExit(f"{template_path} does not parse: {matches}")
    found, unknown = {}, []
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        if name not in SOURCES:
            unknown.append(name)
            continue
        variables = resource["Properties"].get("Environment", {}).get("Variables", {})
        read = literals(SOURCES[name])
        missing = sorted(v for v in variables if v not in read)
        if missing:
            found[name] = missing
    return found, unknown


def main():
    results = []

    def check(name, ok, detail=""):
        results.append(bool(ok))
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)}")

    found, unknown = unread(TEMPLATE)
    check("every Lambda function of the template has its sources listed", not unknown, unknown)
    check("every environment variable a function gets is one its code reads", not found, found)

    source = TEMPLATE.read_text()
    anchor = "          DEFAULT_GROUP: users\n"
    if source.count(anchor) != 1:
        raise SystemExit(f"the broken copy's anchor matches {source.count(anchor)} places; update {__file__}")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=TEMPLATE.parent) as broken:
        broken.write(source.replace(anchor, anchor + "          EDGE_ORIGIN_SECRET: unused\n"))
        broken.flush()
        found, _ = unread(broken.name)
    check("and it fails on a copy that hands post confirmation a variable it never reads",
          found == {"PostConfirmationFunction": ["EDGE_ORIGIN_SECRET"]}, found)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
