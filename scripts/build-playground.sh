#!/usr/bin/env bash
# Builds the browser playground into a folder any static web server can
# serve (default target/playground): the model compiled to WebAssembly,
# its wasm-bindgen glue, the page, and the report's style and script.
#
# Needs the wasm32-unknown-unknown target and wasm-bindgen-cli of the same
# version as the wasm-bindgen crate (crates/playground/Cargo.toml):
#   rustup target add wasm32-unknown-unknown
#   cargo install --locked wasm-bindgen-cli --version =0.2.100
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/playground}"

want="$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' crates/playground/Cargo.toml)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
if [ "$want" != "$have" ]; then
  echo "wasm-bindgen-cli $want is needed (found: ${have:-none}):" >&2
  echo "  cargo install --locked wasm-bindgen-cli --version =$want" >&2
  exit 2
fi

cargo build --release --locked -p playground --target wasm32-unknown-unknown
mkdir -p "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" \
  target/wasm32-unknown-unknown/release/bitsim_playground.wasm
cp crates/playground/www/index.html crates/playground/www/app.js crates/playground/www/playground.css "$out/"
cp crates/runner/src/html/report.css crates/runner/src/html/report.js "$out/"
echo "playground built in $out ($(du -sh "$out" | cut -f1)); serve it with any static web server"
