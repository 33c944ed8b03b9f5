"""tap.py — the TAP lines of the Python tests: check() each assertion,
finish() prints the plan and exits non-zero if any failed."""
import sys

_failures = 0
_count = 0


def check(what, ok):
    global _failures, _count
    _count += 1
    print(("ok " if ok else "not ok ") + f"{_count} - {what}")
    _failures += not ok


def finish():
    print(f"1..{_count}")
    sys.exit(1 if _failures else 0)
