# Shared by scripts/run.sh and scripts/test.sh (sourced, not run): creates .venv when it is
# missing and (re)installs the pinned requirements whenever a requirements file has changed.

VENV_DIR=".venv"

# Prints how long the step that just ended took, in the format .ci/run's log readers expect.
phase_started=$SECONDS
phase() {
  echo "::phase $1 took $((SECONDS - phase_started)) s"
  phase_started=$SECONDS
}

fail() {
  echo "error: $*" >&2
  exit 1
}

# Creates .venv with the first python3 on PATH (3.11 is the tested version) and activates it.
activate_venv() {
  if [ ! -x "$VENV_DIR/bin/python" ]; then
    echo "Creating the virtual environment $VENV_DIR"
    python3 -m venv "$VENV_DIR" || fail "python3 -m venv $VENV_DIR failed (on Debian: apt-get install python3-venv)"
    "$VENV_DIR/bin/python" -m pip install --quiet --upgrade pip || fail "could not upgrade pip in $VENV_DIR"
  fi
  # shellcheck disable=SC1091
  . "$VENV_DIR/bin/activate"
}

# Installs a requirements file unless exactly its current contents were installed before. The
# stamp holds the file's digest, so an edited or pulled requirements file is installed again.
install_requirements() {
  local file="$1"
  local stamp="$VENV_DIR/.installed-$file"
  local digest
  digest="$(sha256sum "$file" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ]; then
    return 0
  fi
  echo "Installing $file into $VENV_DIR"
  python -m pip install --quiet -r "$file" || fail "pip install -r $file failed"
  echo "$digest" > "$stamp"
}
