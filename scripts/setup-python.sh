#!/usr/bin/env bash
# The Python test tooling of pkg-tests: a venv at pkg-tests/.venv with the
# exact versions in pkg-tests/python-requirements.txt (boto3, moto[server],
# awscli: the AWS CLI v1).
# Idempotent: nothing is installed while the requirements file's hash is the
# one recorded at the last successful install. Only PyPI (pip) is used.
#
#   PYTHON=python3.11 bash scripts/setup-python.sh   # another interpreter (default: python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/pkg-tests/.venv"
REQS="$ROOT/pkg-tests/python-requirements.txt"
PYTHON=${PYTHON:-python3}

log() { printf '[setup-python] %s\n' "$*"; }

command -v "$PYTHON" >/dev/null || { echo "[setup-python] $PYTHON is not installed" >&2; exit 1; }
pyver=$("$PYTHON" -c 'import sys; print(sys.version.split()[0])')
want=$( { echo "$pyver"; cat "$REQS"; } | sha256sum | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.requirements-hash" 2>/dev/null)" = "$want" ]; then
  log "ok ($VENV up to date)"
  exit 0
fi

# A venv of another interpreter (or a broken one) is made anew.
if [ "$("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)" != "$pyver" ]; then
  log "creating $VENV (Python $pyver)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$VENV/.requirements-hash"
log "installing $(grep -cvE '^\s*(#|$)' "$REQS") pinned requirements into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS"
"$VENV/bin/python" -c 'import boto3, moto, awscli' # fail here, not in the tests, if an import is broken
echo "$want" > "$VENV/.requirements-hash"
log "ok"
