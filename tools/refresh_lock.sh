#!/usr/bin/env bash
# Refresh requirements/ci.txt to the newest releases that pyproject.toml allows, install them and run the
# suite against them. Commit the new lock only when the suite passes; then raise pyproject's floors to the
# locked versions (floors are what CI tests).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check 'uv>=0.9,<1'
uv pip compile pyproject.toml --extra lab --extra engines --extra test --python-version 3.11 --upgrade \
  --custom-compile-command "bash tools/refresh_lock.sh" \
  -o requirements/ci.txt
python3 -m pip install --quiet --disable-pip-version-check -c requirements/ci.txt -e '.[lab,engines,test]'
git --no-pager diff --stat -- requirements/ci.txt
python3 -m pytest
