#!/usr/bin/env python3
"""Checks that every target imports exactly the modules it declares (issue 12).

SwiftPM's --explicit-target-dependency-import-check accepts a module reached only through a
dependency's dependency, so a target can silently lean on what another target happens to
declare. This compares each target's `import` lines with its declared dependencies from
`swift package dump-package`: an import that is not declared, or a declared dependency that no
file imports, is an error. Platform modules (Foundation, XCTest, Glibc, ...) are not declared
and are skipped. Exit status 1 when anything is wrong, with one line per problem.

    python3 tools/check_imports.py
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLATFORM = {"Foundation", "FoundationEssentials", "XCTest", "Testing", "Glibc", "Musl", "Darwin", "Dispatch",
            "Synchronization", "_Concurrency", "os"}
IMPORT = re.compile(r"^\s*(?:@testable\s+|@_exported\s+|@preconcurrency\s+)*import\s+"
                    r"(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)", re.M)


def main():
    manifest = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, check=True,
                                         capture_output=True, text=True).stdout)
    problems = []
    for t in manifest["targets"]:
        if t["type"] in ("system", "binary", "plugin", "macro"):
            continue
        declared = set()
        for dep in t["dependencies"]:
            kind, value = next(iter(dep.items()))
            # A product dependency is taken to provide the module of the same name, which holds for
            # the one used here (ArgumentParser); a product with other module names would show up
            # as an undeclared import.
            declared.add(value[0])
        folder = t.get("path") or os.path.join("Tests" if t["type"] == "test" else "Sources", t["name"])
        imported = {}
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for f in files:
                if f.endswith(".swift"):
                    path = os.path.join(dirpath, f)
                    for m in IMPORT.findall(open(path, encoding="utf-8").read()):
                        imported.setdefault(m, os.path.relpath(path, ROOT))
        for m, where in sorted(imported.items()):
            if m not in PLATFORM and m not in declared:
                problems.append(f"{t['name']}: imports {m} ({where}) without declaring it in Package.swift")
        swift_files = any(f.endswith(".swift") for _, _, fs in os.walk(os.path.join(ROOT, folder)) for f in fs)
        if not swift_files:
            continue  # a C target (CMPIShim): its dependencies are what its #include lines need
        for m in sorted(declared - set(imported)):
            problems.append(f"{t['name']}: declares {m} but no file imports it")
    for p in problems:
        print(p)
    print(f"check_imports: {len(problems)} problem(s) in {len(manifest['targets'])} targets")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
