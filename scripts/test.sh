#!/usr/bin/env bash
# Sets up the project for testing (.venv, the pinned runtime and test requirements, Debian's
# chromium for the browser tests), then runs pytest and exits with pytest's own status.
# Extra arguments go to pytest, for example the fast tier: scripts/test.sh -m "not e2e and not slow"
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/setup_env.sh

activate_venv
install_requirements requirements.txt
install_requirements requirements-test.txt
phase "install python packages"

# The browser tests drive Debian's chromium at this path (Playwright's own download needs internet).
CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian's chromium for the browser tests"
    { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || fail "apt-get install chromium failed"
  else
    fail "the browser tests need Debian's chromium at $CHROMIUM: run 'sudo apt-get install chromium', then this script again"
  fi
fi
# (Debian's wrapper script prints a harmless shell warning on stderr when run as root.)
"$CHROMIUM" --version 2>/dev/null || fail "$CHROMIUM does not start"
phase "install chromium"

python -m pytest "$@"
status=$?
phase "tests"
exit "$status"
