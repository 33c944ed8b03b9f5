#!/usr/bin/env python3
"""build-dataset.py's held-out split: a frozen list keeps exactly its
pictures out of training (new pictures go to training), the first-tenth
rule applies without one, and a broken list is an error naming its line."""
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tap import check, finish  # noqa: E402
spec = importlib.util.spec_from_file_location(
    "build_dataset", os.path.join(HERE, "..", "..", "training", "dataset", "build-dataset.py"))
bd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bd)


def pictures(split, n, start=0):
    return [dict(split=split, sha256=f"{i:064x}", file=f"{split}-{i}.png")
            for i in range(start, start + n)]


with tempfile.TemporaryDirectory() as tmp:
    # without a list: the first tenth of each split in sha256 order, and the list written
    kept = pictures("content", 20) + pictures("style", 31, 100)
    bd.assign_splits(kept, None, print)
    held = [c["file"] for c in kept if c["folder"].startswith("heldout-")]
    check("first tenth held out", held == ["content-0.png", "content-1.png",
                                           "style-100.png", "style-101.png", "style-102.png",
                                           "style-103.png"])
    path = os.path.join(tmp, "heldout.tsv")
    bd.write_heldout(path, kept)
    frozen = bd.read_heldout(path)
    check("list read back", sorted(frozen) == sorted(f"{i:064x}" for i in (0, 1, 100, 101, 102, 103)))

    # more pictures, some sorting before the held-out ones: the same ones held out
    grown = pictures("content", 20) + pictures("style", 31, 100) + pictures("style", 40, 60)
    warnings = []
    bd.assign_splits(grown, frozen, warnings.append)
    held2 = sorted(c["file"] for c in grown if c["folder"].startswith("heldout-"))
    check("frozen list keeps the same pictures out", held2 == sorted(held))
    check("new pictures train", all(c["folder"] == "style" for c in grown[51:]))
    check("no warning when all are there", warnings == [])

    # a held-out picture that is gone is named in a warning
    bd.assign_splits(grown[1:], frozen, warnings.append)
    check("missing held-out picture warned", len(warnings) == 1 and "0000000000" in warnings[0])

    # a broken line is an error naming the file and line
    with open(path, "a") as f:
        f.write("style\tnot-a-hash\tx.png\n")
    try:
        bd.read_heldout(path)
        check("broken list refused", False)
    except SystemExit as e:
        check("broken list refused", f"{path}:8:" in str(e))

    check("absent list gives None", bd.read_heldout(os.path.join(tmp, "none.tsv")) is None)

finish()
