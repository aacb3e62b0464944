#!/usr/bin/env python3
"""Seeds the fuzz corpus with the conformance cases: template, NUL, data."""
import json, pathlib, hashlib
root = pathlib.Path(__file__).resolve().parent
out = root / "corpus" / "render"
out.mkdir(parents=True, exist_ok=True)
for path in (root.parent / "snapshots/tests/conformance/cases").glob("*.jsonl"):
    for line in path.read_text().split("\n"):
        if not line.strip():
            continue
        case = json.loads(line)
        seed = case["template"].encode() + b"\0" + json.dumps(case.get("data")).encode()
        (out / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
