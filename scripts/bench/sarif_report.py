#!/usr/bin/env python3
"""Writes a synthetic SARIF 2.1.0 report to stdout:
python3 scripts/bench/sarif_report.py 100000 > report.sarif          (100,000 results)
python3 scripts/bench/sarif_report.py 90000000 long > report.sarif   (one result, a 90 MB message)
python3 scripts/bench/sarif_report.py 2000 locations > report.sarif  (one result, a 60 KB message, 2,000 locations)
python3 scripts/bench/sarif_report.py 100000 identical > report.sarif (100,000 results alike)"""
import json, sys
n = int(sys.argv[1])
shape = sys.argv[2] if len(sys.argv) > 2 else "results"
rules = [{"id": f"R{i}", "shortDescription": {"text": f"Rule {i}"}, "properties": {"security-severity": str(1 + i % 9), "tags": [f"CWE-{70 + i}"]}} for i in range(50)]
def location(i):
    return {"physicalLocation": {"artifactLocation": {"uri": f"src/pkg{i % 300}/file{i % 1000}.go"}, "region": {"startLine": 1 + i % 400, "snippet": {"text": "x := dangerous(input) // " + "y" * 40}}}}
if shape == "long":
    results = [{"ruleId": "R1", "level": "warning", "message": {"text": "x" * n}, "locations": [location(0)]}]
elif shape == "locations":
    results = [{"ruleId": "R1", "level": "warning", "message": {"text": "m" * 60000}, "locations": [location(i) for i in range(n)]}]
elif shape == "identical":
    results = [{"ruleId": "R1", "level": "warning", "message": {"text": "the same finding"}, "locations": [location(0)],
                "partialFingerprints": {"primaryLocationLineHash": "5f3a9c"}} for i in range(n)]
else:
    results = [{"ruleId": f"R{i % 50}", "level": "warning", "message": {"text": f"Finding {i}: something risky happens here in module {i % 700}"},
                "locations": [location(i)], "partialFingerprints": {"primaryLocationLineHash": f"{i:016x}"}} for i in range(n)]
json.dump({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gen", "rules": rules}}, "results": results}]}, sys.stdout)
