#!/bin/bash
# run-fuzzers.sh SECONDS — build the weight-file fuzzers with clang
# (libFuzzer + ASan + UBSan), seed each corpus from tests/weights/fixtures and
# run each target for SECONDS. Fails on any crash, leak, timeout or OOM.
# Environment: CC (default clang), FUZZ_OUT (work folder, default a temp dir).
set -euo pipefail

seconds=${1:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cc=${CC:-clang}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/vka-fuzz.XXXXXX")}
mkdir -p "$out/obj"

read -r -a glib_cflags <<<"$(pkg-config --cflags glib-2.0 gio-2.0)"
read -r -a glib_libs <<<"$(pkg-config --libs glib-2.0 gio-2.0)"
# shellcheck disable=SC2054  # the commas are inside -fsanitize=
cflags=(-std=c11 -g -O1 -D_GNU_SOURCE '-DVKA_DATADIR="/nonexistent"'
        -fsanitize=address,undefined -fno-sanitize-recover=undefined
        -I"$root/compute" "${glib_cflags[@]}")

# The library code, compiled once with coverage for libFuzzer.
objs=()
for src in "$root"/compute/error.c "$root"/compute/weights/*.c; do
  obj="$out/obj/$(basename "${src%.c}").o"
  "$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
  objs+=("$obj")
done

status=0
for target_src in "$here"/fuzz/fuzz-*.c; do
  target=$(basename "${target_src%.c}")
  "$cc" "${cflags[@]}" -fsanitize=fuzzer "$target_src" "${objs[@]}" \
    "${glib_libs[@]}" -o "$out/$target"

  corpus="$out/corpus-$target"
  mkdir -p "$corpus" "$out/artifacts-$target"
  cp "$here"/fixtures/* "$corpus/"

  echo "== $target: ${seconds}s"
  if ! "$out/$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
       -max_len=65536 -print_final_stats=1 \
       -artifact_prefix="$out/artifacts-$target/" "$corpus" \
       >"$out/$target.log" 2>&1; then
    echo "!! $target failed; log: $out/$target.log" >&2
    tail -n 40 "$out/$target.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/$target.log" || true
  fi
done
exit "$status"
