#!/usr/bin/env python3
"""Seeds the fuzz corpus with the conformance cases.

`python3 seed.py` writes every case to corpus/render/ (template, NUL, JSON
data), for long cargo-fuzz runs. `python3 seed.py --fixed` rewrites the
small checked-in seed corpus that run.sh (and CI) fuzz from: the first
cases of each conformance file, without the key-generation and
password-hashing functions (seconds per case in a debug build), for
render/, and their templates for lex/ (first byte: 0 for {{ }}, 1 for
[[ ]]), and for pipelines/ the pods of Istio's test inputs and goldens
(read with PyYAML), each once with native sidecars off and on.
"""
import hashlib, json, pathlib, re, shutil, sys

root = pathlib.Path(__file__).resolve().parent
cases_dir = root.parent / "snapshots/tests/conformance/cases"
istio_dir = root.parent / "snapshots/tests/istio/testdata"
POD_SEEDS = 48
PER_FILE = 8
SLOW = re.compile(r"derivePassword|genPrivateKey|genCA|SignedCert|buildCustomCert|bcrypt|htpasswd")


def cases(path):
    for line in path.read_text().split("\n"):
        if line.strip():
            yield json.loads(line)


def pods():
    """The pod templates of Istio's test files, as JSON pods."""
    import yaml

    for path in sorted(istio_dir.iterdir()):
        try:
            docs = list(yaml.safe_load_all(path.read_text()))
        except yaml.YAMLError:
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            spec = doc.get("spec") or {}
            template = spec.get("template") or (spec.get("jobTemplate") or {}).get("spec", {}).get("template")
            if doc.get("kind") == "Pod":
                template = doc
            if isinstance(template, dict) and isinstance(template.get("spec"), dict):
                yield {"metadata": template.get("metadata") or {}, "spec": template["spec"]}


def write(directory, data):
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


if "--fixed" in sys.argv[1:]:
    render, lex = root / "seeds" / "render", root / "seeds" / "lex"
    for d in (render, lex):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    for path in sorted(cases_dir.glob("*.jsonl")):
        chosen = [c for c in cases(path) if not SLOW.search(c["template"])][:PER_FILE]
        for case in chosen:
            template = case["template"].encode()
            write(render, template + b"\0" + json.dumps(case.get("data")).encode())
            brackets = case.get("delims") == ["[[", "]]"]
            write(lex, bytes([1 if brackets else 0]) + template)
    pipelines = root / "seeds" / "pipelines"
    shutil.rmtree(pipelines, ignore_errors=True)
    pipelines.mkdir(parents=True)
    unique = {json.dumps(p, sort_keys=True, default=str) for p in pods()}
    # run.sh reads at most 4096 bytes of an input.
    by_size = sorted((p for p in unique if len(p) < 4000), key=lambda p: (len(p), p))
    step = max(1, len(by_size) // POD_SEEDS)
    for i, pod in enumerate(by_size[::step][:POD_SEEDS]):
        write(pipelines, bytes([i % 2]) + pod.encode())
else:
    out = root / "corpus" / "render"
    out.mkdir(parents=True, exist_ok=True)
    for path in cases_dir.glob("*.jsonl"):
        for case in cases(path):
            write(out, case["template"].encode() + b"\0" + json.dumps(case.get("data")).encode())
