# Shared by the .ci scripts: where things are built, and installing what is
# missing (and nothing when everything is present).
# shellcheck shell=bash

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

# Build output lives outside the clone so every clone on this machine shares
# the compiled dependencies; HUB_TARGET_DIR moves it.
HUB_TARGET_DIR="${HUB_TARGET_DIR:-$HOME/.cache/integrations-hub}"
SERVER_TARGET="$HUB_TARGET_DIR/server"
FRONT_TARGET="$HUB_TARGET_DIR/front"
SITE_ROOT="$REPO/target/site"
export CARGO_TARGET_DIR="$SERVER_TARGET"

# The server builds with rustup's cargo when there is one, else with
# Debian's (rustc-web), which also builds the WebAssembly bundle.
if [ -x "$HOME/.cargo/bin/cargo" ]; then
  SERVER_CARGO="$HOME/.cargo/bin/cargo"
  export PATH="$HOME/.cargo/bin:$PATH"
else
  SERVER_CARGO="/usr/bin/cargo"
  export RUSTC="${RUSTC:-/usr/bin/rustc}"
fi

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_apt PACKAGE… — installs the Debian packages that are not installed.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# ensure_command COMMAND PACKAGE — installs PACKAGE when COMMAND is not on PATH
# (node and npm may come from elsewhere than Debian).
ensure_command() {
  command -v "$1" >/dev/null 2>&1 || ensure_apt "$2"
}

# The toolchain for the WebAssembly bundle (see the toolchain notes in README).
ensure_build_tools() {
  ensure_apt rustc-web cargo-web rust-web-src lld-22 brotli ca-certificates
  ensure_command cc gcc
  ensure_command node nodejs
  ensure_command npm npm
  ensure_wasm_bindgen
  ensure_npm
}

# wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print}' Cargo.lock)"
  if ! "$HOME/.cargo/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $want"; then
    log "installing wasm-bindgen-cli $want (a few minutes, once)"
    # Not --locked: its lock file pins crates this registry mirror may lack.
    "$SERVER_CARGO" install wasm-bindgen-cli --version "$want" --force --root "$HOME/.cargo" >/dev/null
  fi
}

# Playwright and binaryen (wasm-opt), pinned in end2end/package.json.
ensure_npm() {
  if [ ! -x end2end/node_modules/.bin/playwright ] || [ end2end/package.json -nt end2end/node_modules/.installed ]; then
    log "installing end-to-end test packages"
    (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed)
  fi
}

# PostgreSQL for the tests that run on it; a local server is used when one answers.
ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  ensure_apt postgresql postgresql-client
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  # A freshly installed server refuses password-less TCP logins: give the
  # postgres role the password the tests use.
  if ! psql -h 127.0.0.1 -U postgres -w -c 'select 1' >/dev/null 2>&1; then
    as_root su postgres -c "psql -q -c \"alter user postgres password 'postgres'\""
    export HUB_TEST_DATABASE_URL="${HUB_TEST_DATABASE_URL:-postgres://postgres:postgres@127.0.0.1:5432/postgres}"
  fi
}
