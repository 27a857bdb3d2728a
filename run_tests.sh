#!/usr/bin/env bash
# The test suite: sets up the environment (see scripts/ensure_env.sh), then runs pytest.
# Extra arguments go to pytest, e.g. `bash run_tests.sh -m slow` for the long checks.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/ensure_env.sh
exec python -m pytest "$@"
