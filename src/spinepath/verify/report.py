"""The verification report: built from the plan and the tally, shown as text or JSON."""

from __future__ import annotations

import json
import math
from typing import Any

from spinepath.verify.checks import Group, Tally
from spinepath.verify.run import Plan
from spinepath.verify.static import (
    conflicting_rules,
    quote_problems,
    review_warnings,
    subsumed_rules,
)


def _group(group: Group) -> dict[str, Any]:
    return {
        "cases": group.cases,
        "raw_cases": group.raw,
        "example": group.example[2] if group.example else None,
    }


def build_report(plan: Plan, tally: Tally, seconds: float, workers: int) -> dict[str, Any]:
    """The whole report as plain data (what ``--format json`` prints)."""
    kb, space = plan.kb, plan.space
    unreachable = sorted(r.id for r in kb.rules if r.id not in tally.fired)
    conflicts = conflicting_rules(kb)
    quotes, bad_quotes = quote_problems(kb)
    violations = [
        {"check": check, "detail": detail, **_group(group)}
        for (check, detail), group in sorted(tally.violations.items())
    ]
    # The invariants of the knowledge base as a whole, named as invariants.yaml names them.
    for invariant, details in (
        ("every_rule_fires", unreachable),
        ("no_conflicting_twins", conflicts),
        ("quotes_verbatim", bad_quotes),
    ):
        title = kb.invariants[invariant].title
        violations += [{"check": title, "detail": detail, "cases": 0} for detail in details]
    excluded = math.prod(d.raw_values for d in space.dimensions) - space.valid_size
    return {
        "ok": not violations,
        "knowledge_version": kb.meta.version,
        "knowledge_last_review": kb.meta.last_review,
        "space": {
            "raw": space.raw_size,
            "contradictory_excluded": excluded,
            "valid": space.valid_size,
            "value_classes_product": space.reduced_size,
            "enumerated": sum(b.size for b in plan.blocks),
            "checked": tally.cases,
            "held": space.held,
            "dimensions": [
                {
                    "name": d.name,
                    "raw_values": d.raw_values,
                    "excluded_contradictory": d.excluded,
                    "classes": [c.label() for c in d.classes],
                    "why": d.why,
                }
                for d in space.dimensions
            ],
            "blocks": [
                {
                    "dimensions": [d.name for d in plan.block_dims(b)],
                    "cases": b.size,
                    "units": [f"{u.kind}:{u.name}" for u in b.units],
                }
                for b in plan.blocks
            ],
        },
        "violations": violations,
        "unreachable_rules": unreachable,
        "uncovered": [
            {"group": name, **_group(group)} for name, group in sorted(tally.uncovered.items())
        ],
        "subsumed_rules": subsumed_rules(kb),
        "quotes_checked": quotes,
        "warnings": review_warnings(kb),
        "workers": workers,
        "seconds": round(seconds, 2),
    }


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def to_text(report: dict[str, Any]) -> str:
    """The report for people."""
    space = report["space"]
    lines = [
        f"spinepath verify: knowledge base {report['knowledge_version']} "
        f"(last review {report['knowledge_last_review']})",
        "",
        "Case space",
        f"  raw (every categorical value, red flags as subsets): {space['raw']:,}",
        f"  contradictory, excluded (the case model rejects them): "
        f"{space['contradictory_excluded']:,}",
        f"  valid cases: {space['valid']:,}",
        f"  product of value classes: {space['value_classes_product']:,}",
        f"  enumerated (cone-of-influence blocks): {space['enumerated']:,} "
        f"in {len(space['blocks'])} blocks",
        "",
        "Held fixed",
    ]
    lines += [f"  {key}: {why}" for key, why in space["held"].items()]
    lines.append("Value classes (values no rule, missing fact or check tells apart are merged)")
    for dim in space["dimensions"]:
        merged = [c for c in dim["classes"] if "|" in c]
        note = f"; merged {', '.join(merged)}" if merged else ""
        excluded = (
            f"; {dim['excluded_contradictory']} contradictory combinations excluded"
            if dim["excluded_contradictory"]
            else ""
        )
        classes = len(dim["classes"])
        lines.append(
            f"  {dim['name']}: {dim['raw_values']} -> {classes} ({dim['why']}{note}{excluded})"
        )
    lines.append("Blocks (each quantity checked depends only on the keys its rules read)")
    for block in space["blocks"]:
        lines.append(
            f"  {block['cases']:>8,} cases over {', '.join(block['dimensions'])}: "
            f"{len(block['units'])} checked quantities"
        )
    lines += [
        "",
        f"Checked {space['checked']:,} cases with {report['workers']} worker(s) "
        f"in {report['seconds']:.1f} s; {report['quotes_checked']} quotes re-checked",
        "",
    ]
    if report["violations"]:
        lines.append(f"VIOLATIONS ({len(report['violations'])})")
        for v in report["violations"]:
            lines.append(f"  {v['check']}: {v['detail']}")
            if v.get("example"):
                lines.append(
                    f"    {v['cases']:,} cases ({v['raw_cases']:,} raw), e.g. {v['example']}"
                )
    else:
        lines.append("No violations: every check holds for every case.")
    lines += ["", "Uncovered by the sources (informational)"]
    for u in report["uncovered"]:
        lines.append(f"  {u['group']}: {u['cases']:,} cases ({u['raw_cases']:,} raw)")
        lines.append(f"    e.g. {u['example']}")
    if not report["uncovered"]:
        lines.append("  none")
    lines += ["", "Subsumed rules (informational)"]
    lines += [f"  {s}" for s in report["subsumed_rules"]] or ["  none"]
    lines += [f"WARNING: {w}" for w in report["warnings"]]
    lines.append("")
    lines.append("verify: OK" if report["ok"] else "verify: FAILED")
    return "\n".join(lines) + "\n"
