"""Baseline: load every playbook YAML file with PyYAML's C loader and nothing else."""

import sys
from pathlib import Path

import yaml

root = Path(sys.argv[1])
count = 0
for folder in ("personas", "definitions"):
    for path in sorted((root / folder).rglob("*.yaml")):
        with open(path, "rb") as fh:
            yaml.load(fh, Loader=yaml.CSafeLoader)
        count += 1
print(count, "files loaded")
