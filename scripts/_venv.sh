# Sourced by scripts/run and scripts/test: make .venv with Python 3.11+ and install the project.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "editorial needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
# uv (from PyPI, into the venv) installs the same packages in about half pip's time; pip does
# it where uv cannot be had or fails. Both compile the packages' bytecode.
if { [ -x .venv/bin/uv ] || "${PIP[@]}" uv >/dev/null 2>&1; } \
  && .venv/bin/uv pip install --quiet --python .venv/bin/python --compile-bytecode -e ".[$EXTRAS]"; then
  :
else
  "${PIP[@]}" --upgrade pip
  "${PIP[@]}" -e ".[$EXTRAS]"
fi
