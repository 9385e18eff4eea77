"""Finds and imports the course's FCN class, shared/reference/seed_fcn.py, which lives beside the
checkout rather than in it (a clone at <dir>/swift-fcn expects it at <dir>/shared/reference).

Where to look, first match wins:
  1. `--shared DIR` on the fixture script's command line,
  2. the environment variable SWIFT_FCN_SHARED=DIR,
  3. <repository>/../shared.
DIR is the folder that holds reference/seed_fcn.py.
"""
import argparse
import importlib.util
import os

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def shared_dir(argv=None):
    """The shared folder from --shared, SWIFT_FCN_SHARED or <repo>/../shared (in that order)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--shared", default=None)
    args, _ = parser.parse_known_args(argv)
    return args.shared or os.environ.get("SWIFT_FCN_SHARED") or os.path.join(REPO, "..", "shared")


def load_seed_fcn(argv=None):
    """The seed_fcn module; a clear error naming the path tried and the overrides if it is absent."""
    path = os.path.join(shared_dir(argv), "reference", "seed_fcn.py")
    if not os.path.isfile(path):
        raise SystemExit(f"course class not found at {os.path.normpath(path)}: "
                         "pass --shared DIR or set SWIFT_FCN_SHARED=DIR (DIR holds reference/seed_fcn.py)")
    spec = importlib.util.spec_from_file_location("seed_fcn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
