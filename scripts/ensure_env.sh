# Sourced by the top-level scripts: use the active virtual environment, or create and
# activate ./.venv; then install clue-tf (editable, with test extras) if setup.cfg
# changed since the last install. Needs Python 3.10+ and access to PyPI the first time.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    PYTHON="$(command -v python3.11 || command -v python3)"
    echo "clue-tf: creating virtual environment $ROOT/.venv ($("$PYTHON" --version))"
    "$PYTHON" -m venv "$ROOT/.venv"
  fi
  # shellcheck disable=SC1091
  source "$ROOT/.venv/bin/activate"
fi
STAMP="$VIRTUAL_ENV/.clue_tf_install_stamp"
WANT="$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" "$ROOT/scripts/ensure_env.sh" | sha256sum | cut -c1-16) $ROOT"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "clue-tf: installing the package and its test extras into $VIRTUAL_ENV (first time: a few minutes)"
  start=$SECONDS
  LOG="$VIRTUAL_ENV/clue_tf_install.log"
  # pip's own output is long; keep it in a log and show it only if the install fails.
  # bert4keras (an oracle for ELECTRA, RoFormer and NEZHA TF1 checkpoints) pins Keras 2 in its
  # metadata but runs on tf-keras: installed without its dependencies.
  if ! { python -m pip install --disable-pip-version-check --upgrade pip &&
         python -m pip install --disable-pip-version-check -e "$ROOT[test]" &&
         python -m pip install --disable-pip-version-check --no-deps "bert4keras==0.11.5"; } > "$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "clue-tf: installation failed; the full log is $LOG" >&2
    exit 1
  fi
  echo "$WANT" > "$STAMP"
  echo "clue-tf: installed in $((SECONDS - start)) s"
fi
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-3}"
