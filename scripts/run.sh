#!/usr/bin/env bash
# Sets up the project on first use (.venv and the pinned requirements), then starts the dashboard.
# Extra arguments go to `streamlit run`, for example: scripts/run.sh --server.port 8600
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/setup_env.sh

activate_venv
install_requirements requirements.txt
exec streamlit run streamlit_app.py "$@"
