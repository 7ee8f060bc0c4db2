#!/usr/bin/env python3
"""Writes a synthetic SARIF 2.1.0 report with N results to stdout:
python3 scripts/bench/sarif_report.py 100000 > report.sarif"""
import json, sys
n = int(sys.argv[1])
rules = [{"id": f"R{i}", "shortDescription": {"text": f"Rule {i}"}, "properties": {"security-severity": str(1 + i % 9), "tags": [f"CWE-{70 + i}"]}} for i in range(50)]
results = [{"ruleId": f"R{i % 50}", "level": "warning", "message": {"text": f"Finding {i}: something risky happens here in module {i % 700}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"src/pkg{i % 300}/file{i % 1000}.go"}, "region": {"startLine": 1 + i % 400, "snippet": {"text": "x := dangerous(input) // " + "y" * 40}}}}],
            "partialFingerprints": {"primaryLocationLineHash": f"{i:016x}"}} for i in range(n)]
json.dump({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gen", "rules": rules}}, "results": results}]}, sys.stdout)
