"""Helpers that break stored runs on purpose: a copied run folder with a changed run.json or model."""

import io
import json
import os
import pathlib
import shutil
import zipfile

from mnist_core.run_record import RUN_FILE


def copy_run(run, root, name, change=None):
    """Copies a stored run into `root/name` and applies `change(record)` to its run.json."""
    target = pathlib.Path(root) / name
    shutil.copytree(run.path, target)
    if change is not None:
        record = json.loads((target / RUN_FILE).read_text())
        change(record)
        (target / RUN_FILE).write_text(json.dumps(record))
    return target


def corrupt_weights(model_path):
    """Keeps the .keras zip and its architecture but fills the weights file with random bytes."""
    original = pathlib.Path(model_path).read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(model_path, "w") as target:
        for member in source.namelist():
            content = source.read(member)
            target.writestr(member, os.urandom(len(content)) if member.endswith(".h5") else content)
