#!/usr/bin/env bash
# The test suite: sets up the environment (see scripts/ensure_env.sh), then runs pytest.
# Extra arguments go to pytest, e.g. `bash run_tests.sh -m slow` for the long checks.
# Test files run in CLUE_TF_TEST_WORKERS processes (default 2, one file per process at a time,
# so a file's module fixtures are built once); CLUE_TF_TEST_WORKERS=0 runs them in this one.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure_env.sh
exec python -m pytest -n "${CLUE_TF_TEST_WORKERS:-2}" --dist loadfile "$@"
