#!/usr/bin/env bash
# Installs what is missing, checking first, so a warm machine passes through in seconds.
#   scripts/setup.sh build   the build tools (wasm target, cargo-leptos, wasm-bindgen, wasm-opt)
#   scripts/setup.sh test    the build tools, plus Chromium, PostgreSQL and the end2end npm packages
# Versions: see docs/ARCHITECTURE.md ("Toolchain"). Never Debian's binaryen: its
# wasm-opt (108) silently produces a wasm that cannot hydrate.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

mode="${1:-build}"
cargo_leptos_version="0.3.5"
wasm_opt_major="116"
wasm_bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$wasm_bindgen_version" ] || { echo "setup: wasm-bindgen not found in Cargo.lock" >&2; exit 1; }

say() { printf 'setup: %s\n' "$*" >&2; }

apt_updated=""
apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# --- build tools -----------------------------------------------------------
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $cargo_leptos_version" ]; then
  say "installing cargo-leptos $cargo_leptos_version (about 13 minutes on 2 cores)"
  cargo install cargo-leptos --version "$cargo_leptos_version" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wasm_bindgen_version" ]; then
  say "installing wasm-bindgen-cli $wasm_bindgen_version (the version in Cargo.lock)"
  # Not --locked: its lock names a webpki-roots version the registry no longer has.
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version" --force
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version $wasm_opt_major"; then
  say "installing wasm-opt $wasm_opt_major from crates.io"
  cargo install wasm-opt --version "~0.$wasm_opt_major" --locked
fi

[ "$mode" = "test" ] || exit 0

# --- test tools ------------------------------------------------------------
[ -x /usr/bin/chromium ] || apt_install chromium
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
command -v runuser >/dev/null 2>&1 || apt_install util-linux

stamp="end2end/node_modules/.installed-lock"
if ! cmp -s end2end/package-lock.json "$stamp" 2>/dev/null; then
  say "installing the end2end npm packages"
  # Playwright drives Debian's Chromium; it must never download its own browsers.
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  cp end2end/package-lock.json "$stamp"
fi
