#!/usr/bin/env bash
# The Python test tooling of pkg-tests: a venv at pkg-tests/.venv with the
# exact versions in pkg-tests/python-requirements.txt (boto3, moto[server],
# awscli: the AWS CLI v1, pytest and freezegun), and moto's own KMS tests
# (tests/test_kms of moto's sdist, checked against the hash in
# pkg-tests/peer/moto-sdist.txt) in pkg-tests/.venv/moto-tests for the peer
# suite pkg-tests/peer/moto_kms.py.
# Idempotent: nothing is installed while the requirements file's hash is the
# one recorded at the last successful install, nor fetched while the tests
# extracted are those of the sdist's hash. Only PyPI (pip) is used.
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
  log "venv up to date ($VENV)"
else
  # A venv of another interpreter (or a broken one) is made anew.
  if [ "$("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)" != "$pyver" ]; then
    log "creating $VENV (Python $pyver)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  rm -f "$VENV/.requirements-hash"
  log "installing $(grep -cvE '^\s*(#|$)' "$REQS") pinned requirements into $VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQS"
  "$VENV/bin/python" -c 'import boto3, moto, awscli, pytest, freezegun' # fail here, not in the tests, if an import is broken
  echo "$want" > "$VENV/.requirements-hash"
fi

# moto's KMS tests, from the sdist of the moto pinned above, verified by its
# hash (pip download --require-hashes). Only the test tree the KMS tests
# import is kept: tests/__init__.py, tests/conftest.py, tests/markers.py and
# tests/test_kms/.
SDIST_REQ="$ROOT/pkg-tests/peer/moto-sdist.txt"
MOTO_TESTS="$VENV/moto-tests"
moto_pin=$(sed -nE 's/^moto(\[[a-z,]*\])?==([^ ;#]+).*/\2/p' "$REQS")
sdist_pin=$(sed -nE 's/^moto==([^ ;#]+) .*/\1/p' "$SDIST_REQ")
if [ -z "$moto_pin" ] || [ "$moto_pin" != "$sdist_pin" ]; then
  echo "[setup-python] moto is pinned to '$moto_pin' in $REQS but its sdist to '$sdist_pin' in $SDIST_REQ: pin both to the same version (and its sdist's sha256)" >&2
  exit 1
fi
sdist_want=$(grep -E '^moto==' "$SDIST_REQ")
if [ -d "$MOTO_TESTS/tests/test_kms" ] && [ "$(cat "$MOTO_TESTS/.sdist" 2>/dev/null)" = "$sdist_want" ]; then
  log "moto $moto_pin tests up to date ($MOTO_TESTS)"
else
  log "fetching moto $moto_pin's sdist for its KMS tests"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-input \
    --no-deps --no-binary :all: --require-hashes -r "$SDIST_REQ" -d "$tmp"
  top="moto-$moto_pin"
  tar -xzf "$tmp/$top.tar.gz" -C "$tmp" --no-same-owner \
    "$top/tests/__init__.py" "$top/tests/conftest.py" "$top/tests/markers.py" "$top/tests/test_kms" "$top/LICENSE"
  rm -rf "$MOTO_TESTS"
  mkdir -p "$MOTO_TESTS"
  mv "$tmp/$top/tests" "$tmp/$top/LICENSE" "$MOTO_TESTS/"
  echo "$sdist_want" > "$MOTO_TESTS/.sdist"
fi
log "ok"
