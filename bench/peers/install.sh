#!/usr/bin/env bash
# Install the peer servers (pygeoapi, tipg) each into its own virtualenv, so their pins
# never touch the twin's environment. Idempotent: an existing venv is reused.
#
#   bench/peers/install.sh                       # both, and the load tools (wrk, pgbench)
#   bench/peers/install.sh pygeoapi              # one (the client tests ask for pygeoapi alone)
#   bench/peers/install.sh tipg load-tools       # one, and the load tools the benches drive
#
# TWIN_PEERS_DIR (default: ~/.cache/cim-twin/peers) says where the venvs live.
# pygeoapi's venv sees the twin's site-packages (--system-site-packages) because the
# twin's pygeoapi plugins (api/pygeoapi/) import twin.store/twin.layers inside it.
set -euo pipefail

PEERS_DIR="${TWIN_PEERS_DIR:-$HOME/.cache/cim-twin/peers}"
PYTHON="${PYTHON:-python3}"
PYGEOAPI_VERSION="${PYGEOAPI_VERSION:-0.21.0}"
TIPG_VERSION="${TIPG_VERSION:-1.6.1}"
mkdir -p "$PEERS_DIR"
# One install at a time: a test fixture and a benchmark may both ask for the same venv.
exec 9>"$PEERS_DIR/.install.lock"
flock 9

install_pygeoapi() {
    local venv="$PEERS_DIR/pygeoapi"
    if [ -x "$venv/bin/pygeoapi" ]; then echo "pygeoapi: $venv (already there)"; return; fi
    "$PYTHON" -m venv --system-site-packages "$venv"
    # psycopg2 + GeoAlchemy2 are what pygeoapi's PostgreSQL provider imports.
    "$venv/bin/pip" install -q "pygeoapi==$PYGEOAPI_VERSION" psycopg2-binary GeoAlchemy2 gunicorn
    echo "pygeoapi: $venv"
}

install_tipg() {
    local venv="$PEERS_DIR/tipg"
    if [ -x "$venv/bin/uvicorn" ] && "$venv/bin/python" -c "import tipg" 2>/dev/null; then
        echo "tipg: $venv (already there)"; return
    fi
    "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q "tipg==$TIPG_VERSION" uvicorn
    echo "tipg: $venv"
}

install_load_tools() {
    # wrk drives the HTTP load and pgbench the SQL-only figure (postgresql-client).
    command -v wrk >/dev/null && command -v pgbench >/dev/null && return
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk postgresql-client >/dev/null
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(load-tools pygeoapi tipg)
for t in "${targets[@]}"; do
    case "$t" in
        pygeoapi) install_pygeoapi ;;
        tipg) install_tipg ;;
        load-tools) install_load_tools ;;
        *) echo "unknown peer: $t (pygeoapi, tipg, load-tools)" >&2; exit 2 ;;
    esac
done
