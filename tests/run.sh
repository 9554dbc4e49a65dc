#!/usr/bin/env bash
# Installs what the tests need and runs them: the README's test command and CI's (.ci/run).
# Everything real is installed here: Debian's Chromium for the page tests (never a downloaded
# browser), the Python test dependencies (pytest, playwright's driver, the oxigraph server, Dask).
set -euo pipefail
cd "$(dirname "$0")/.."

# Chinese fonts only make the saved screenshots readable; the tests pass without them.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi wenquanyi; then
  echo "tests/run.sh: installing Debian's chromium and a Chinese font for the browser tests" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

# Lint and types first, so pytest's summary stays the last thing printed.
.venv/bin/ruff check src tests benches
.venv/bin/mypy

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "tests/run.sh: pytest collected no tests; that is a failure here" >&2
  exit 1
fi
exit "$status"
