#!/usr/bin/env bash
# Builds the fuzz targets' seed corpora (fuzz/corpus/TARGET/) from the
# repository: the conformance vectors' SDDL, SID and binary inputs, the
# token files of the tests and captures, the scenario library, and a few
# command lines. Run from anywhere; it only writes under fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")"
root=..
for target in sddl sid binary token_file scenario cli_args; do
  mkdir -p "corpus/$target"
done

# The double-quoted `input:` / `raw_hex:` values of a conformance file.
values() {
  sed -n "s/^[[:space:]]*$1: \"\(.*\)\"[[:space:]]*\(#.*\)\{0,1\}$/\1/p" "$2"
}

n=0
for f in "$root"/tests/conformance/winsec/sddl.yaml "$root"/tests/conformance/winsec/binary.yaml; do
  while IFS= read -r line; do
    printf '%s' "$line" > "corpus/sddl/conformance-$n"
    n=$((n + 1))
  done < <(values input "$f")
done

n=0
while IFS= read -r line; do
  printf '%s' "$line" > "corpus/sid/conformance-$n"
  n=$((n + 1))
done < <(values input "$root"/tests/conformance/winsec/sid.yaml)

n=0
while IFS= read -r hex; do
  # Hex to bytes without xxd: each pair becomes a \xHH escape for printf.
  printf "$(printf '%s' "$hex" | sed 's/\(..\)/\\x\1/g')" > "corpus/binary/conformance-$n"
  n=$((n + 1))
done < <(values raw_hex "$root"/tests/conformance/winsec/binary.yaml)

for f in "$root"/crates/cli/tests/data/*.yaml "$root"/captures/*.token.yaml; do
  cp "$f" "corpus/token_file/$(basename "$f")"
done

find "$root/scenarios" -name '*.yaml' | sort | while IFS= read -r f; do
  cp "$f" "corpus/scenario/$(echo "${f#"$root"/scenarios/}" | tr / -)"
done
cp "$root"/tests/hostile/*.yaml corpus/scenario/

# cli_args: the first byte picks the command (see fuzz_targets/cli_args.rs:
# 0 sddl, 1 sid, 2 access), NUL separates the arguments.
printf '\x00O:BAG:SYD:(A;;FA;;;BA)(A;;FR;;;WD)\x00--json' > corpus/cli_args/sddl-json
printf '\x00--hex\x00O:SYG:SYD:(XA;;CR;;;WD;(@User.dept == "eng"))' > corpus/cli_args/sddl-hex
printf '\x01S-1-5-32-544' > corpus/cli_args/sid
printf '\x02--token\x00../crates/cli/tests/data/user.yaml\x00--sd\x00O:SYG:SYD:(A;;FA;;;WD)\x00--desired\x00FILE_GENERIC_READ' > corpus/cli_args/access

for target in sddl sid binary token_file scenario cli_args; do
  echo "$target: $(find "corpus/$target" -type f | wc -l) seeds"
done
