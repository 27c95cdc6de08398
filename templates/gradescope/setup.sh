#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image (with network).
# It installs a Python of version 3.11 or later and grader, from the copy of its source in
# grader-src/ of this bundle, into the virtual environment $GRADER_VENV (/opt/grader/venv).
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${GRADER_VENV:-/opt/grader/venv}"
export DEBIAN_FRONTEND=noninteractive

# A Python >= 3.11 that can make a virtual environment (Ubuntu splits venv into python3.X-venv).
find_python() {
  local p
  for p in python3.13 python3.12 python3.11 python3; do
    if command -v "$p" >/dev/null 2>&1 \
        && "$p" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      command -v "$p"
      return 0
    fi
  done
  return 1
}

PY="$(find_python || true)"
if [ -z "$PY" ]; then
  apt-get update
  # Ubuntu 24.04's python3 is 3.12; 22.04 has python3.11 in its universe archive.
  apt-get install -y --no-install-recommends python3 python3-venv python3-pip || true
  PY="$(find_python || true)"
fi
if [ -z "$PY" ]; then
  apt-get install -y --no-install-recommends python3.11 python3.11-venv || true
  PY="$(find_python || true)"
fi
if [ -z "$PY" ]; then
  # Older images: the deadsnakes archive has every recent Python for Ubuntu.
  apt-get install -y --no-install-recommends software-properties-common
  add-apt-repository -y ppa:deadsnakes/ppa
  apt-get update
  apt-get install -y --no-install-recommends python3.11 python3.11-venv
  PY="$(find_python)"
fi
echo "setup.sh: using $PY ($("$PY" --version 2>&1))"

"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install "$SOURCE/grader-src"
"$VENV/bin/grader" --version
# Where bubblewrap cannot run (a container without user namespaces), the student's code runs
# in a plain child process under another uid: keep the reference, the rubric (hidden cases)
# and grader's own installed copy (the built-in reference) unreadable to it.  grader runs as root.
chmod -R go-rwx "$SOURCE"
for d in "$VENV"/lib/python3*/site-packages/grader "$VENV"/lib/python3*/site-packages/grader-*; do
  if [ -e "$d" ]; then chmod -R go-rwx "$d"; fi
done
# Fail the image build now, not at the first submission, if the bundled rubric does not load.
"$VENV/bin/python" -c 'import sys; from grader.rubric import load_rubric; r = load_rubric(sys.argv[1]); print("setup.sh: rubric", r.name, "version", r.version, "loads")' "$SOURCE/@@RUBRIC@@"
