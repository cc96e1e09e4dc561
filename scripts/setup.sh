# Sourced by scripts/serve and scripts/test: install what a fresh Debian machine lacks.
# System packages (SpatiaLite, PostGIS, GDAL tools) come from apt, Python ones from pip.

# chromium, chromium-driver and a CJK font: the map page's browser test (tests/map);
# npm: the browser libraries the app serves (api/static/package.json).
SYSTEM_PACKAGES=(libsqlite3-mod-spatialite gdal-bin postgresql-15-postgis-3
                 chromium chromium-driver fonts-wqy-microhei)

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_system_packages() {
    local missing=()
    for pkg in "${SYSTEM_PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "installing system packages: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

ensure_python_packages() {
    # Reinstall when the package is missing or pyproject.toml changed since the last install.
    local stamp=.venv-installed
    if ! python3 -c "import twin, api" 2>/dev/null || [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "installing Python packages (pip install -e .[test])"
        python3 -m pip install -q --disable-pip-version-check -e ".[test]"
        touch "$stamp"
    fi
}

ensure_web_assets() {
    # MapLibre GL JS and Swagger UI, served by the app itself (no CDN): npm ci from the
    # pinned lock file; a no-op while node_modules is newer than the lock file.
    local assets=api/static
    if [ ! -d "$assets/node_modules" ] || [ "$assets/package-lock.json" -nt "$assets/node_modules" ]; then
        if ! command -v npm >/dev/null 2>&1; then
            as_root apt-get update -qq
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
        fi
        echo "installing the map's browser libraries (npm ci in $assets)"
        npm ci --prefix "$assets" --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null
        touch "$assets/node_modules"
    fi
}

ensure_native_build() {
    # The address matcher's hot modules compiled with mypyc (addressing/native.py): a no-op
    # when the build is current; if it cannot be built the matcher runs as plain Python.
    python3 scripts/build_native.py || echo "native build failed: the matcher runs as plain Python (slower, same answers)"
}

ensure_postgres() {
    # The tests use a real PostGIS; start the local cluster if it is not answering.
    if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
        local version
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
        for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
    fi
    pg_isready -h 127.0.0.1 -p 5432
}
