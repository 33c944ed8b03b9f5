#!/bin/sh
# judge.sh — compare two models on held-out pairs by the training objective.
#
#   training/judge.sh MODEL_A_DIR MODEL_B_DIR HELDOUT_CONTENT_DIR HELDOUT_STYLE_DIR
#
# Stylises a fixed set of (content, style) pairs with each model (vk-adain
# --content-size 512 --style-size 512), then scores every output with
# vk-adain-judge: content + 10 × style under one encoder (JUDGE_VGG, default
# model A's vgg_normalised.*, the shipped encoder when both models share it).
# Prints each model's mean objective and terms and A/B's ratios. Issue 15's
# target for A = the new default, B = the reconstruction decoder: objective
# ratio <= 0.15, content ratio <= 2. Also each model's mean lattice index
# (vk-adain-judge --lattice: about 1 without an 8-pixel grid, up to 64).
#
# Environment: BUILD (default: build) finds vk-adain and vk-adain-judge in a
# build tree, else they are taken from PATH; PAIRS (default 24) is the number
# of pairs, or "all" for every content with every style (the 24 pairs are
# quicker, but a decoder chosen on them is flattered by the choice); SIZE
# (default 512); DEVICE is passed to both programs; WORK keeps the outputs
# (default: a temporary folder, removed at the end).
set -eu

if [ $# -ne 4 ]; then
  echo "usage: $0 MODEL_A_DIR MODEL_B_DIR HELDOUT_CONTENT_DIR HELDOUT_STYLE_DIR" >&2
  exit 2
fi
model_a=$1 model_b=$2 content_dir=$3 style_dir=$4
build=${BUILD:-build}
pairs=${PAIRS:-24}
size=${SIZE:-512}

program () {
  if [ -x "$build/$1/$2" ]; then echo "$build/$1/$2"; else command -v "$2" || {
    echo "$0: $2 not found (set BUILD to a build tree)" >&2; exit 1; }; fi
}
cli=$(program cli vk-adain)
judge=$(program training vk-adain-judge)

# The model folder's file of a kind, in vk-adain's order of preference.
model_file () {
  for ext in safetensors pth t7; do
    if [ -f "$1/$2.$ext" ]; then echo "$1/$2.$ext"; return; fi
  done
  echo "$0: no $2.{safetensors,pth,t7} in $1" >&2
  exit 1
}
vgg_a=$(model_file "$model_a" vgg_normalised)
dec_a=$(model_file "$model_a" decoder)
vgg_b=$(model_file "$model_b" vgg_normalised)
dec_b=$(model_file "$model_b" decoder)
judge_vgg=${JUDGE_VGG:-$vgg_a}

pictures () {
  find "$1" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' \
    -o -iname '*.tif' -o -iname '*.tiff' -o -iname '*.webp' \) | LC_ALL=C sort
}
contents=$(pictures "$content_dir")
styles=$(pictures "$style_dir")
n_c=$(printf '%s\n' "$contents" | grep -c . || true)
n_s=$(printf '%s\n' "$styles" | grep -c . || true)
if [ "$n_c" -eq 0 ] || [ "$n_s" -eq 0 ]; then
  echo "$0: no pictures in $content_dir or $style_dir" >&2
  exit 1
fi

if [ -n "${WORK:-}" ]; then
  work=$WORK
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/vk-adain-judge.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

# Pair i: content i mod n_c with style (i + i div n_c) mod n_s, so that
# every content meets several styles once the contents are used up; with
# PAIRS=all, content i div n_s with style i mod n_s.
if [ "$pairs" = all ]; then
  pairs=$((n_c * n_s))
  content_of () { echo $(($1 / n_s)); }
  style_of () { echo $(($1 % n_s)); }
else
  case $pairs in
    ''|*[!0-9]*|0) echo "$0: PAIRS must be a positive number or all, not '$pairs'" >&2; exit 2 ;;
  esac
  content_of () { echo $(($1 % n_c)); }
  style_of () { echo $((($1 + $1 / n_c) % n_s)); }
fi
i=0
: > "$work/a.tsv"
: > "$work/b.tsv"
while [ "$i" -lt "$pairs" ]; do
  c=$(printf '%s\n' "$contents" | sed -n "$(($(content_of $i) + 1))p")
  s=$(printf '%s\n' "$styles" | sed -n "$(($(style_of $i) + 1))p")
  for m in a b; do
    if [ $m = a ]; then vgg=$vgg_a dec=$dec_a; else vgg=$vgg_b dec=$dec_b; fi
    out="$work/$m-$i.png"
    "$cli" --vgg "$vgg" --decoder "$dec" --content "$c" --style "$s" -o "$out" \
      --content-size "$size" --style-size "$size" --quiet ${DEVICE:+"--device=$DEVICE"}
    printf '%s\t%s\t%s\n' "$c" "$s" "$out" >> "$work/$m.tsv"
  done
  i=$((i + 1))
done

"$judge" --vgg "$judge_vgg" --list "$work/a.tsv" --size "$size" --lattice \
  ${DEVICE:+"--device=$DEVICE"} > "$work/a.txt"
"$judge" --vgg "$judge_vgg" --list "$work/b.tsv" --size "$size" --lattice \
  ${DEVICE:+"--device=$DEVICE"} > "$work/b.txt"

# mean line: mean <content> <style> <objective> <lattice index> (n)
awk -v a="$model_a" -v b="$model_b" -v vgg="$judge_vgg" -v n="$pairs" '
  FNR == 1 { file++ }
  $1 == "mean" { c[file] = $2; s[file] = $3; o[file] = $4; l[file] = $5 }
  END {
    printf "%d pairs, encoder %s; objective = content + 10 x style\n", n, vgg
    printf "A %s: objective %.6g  content %.6g  style %.6g\n", a, o[1], c[1], s[1]
    printf "B %s: objective %.6g  content %.6g  style %.6g\n", b, o[2], c[2], s[2]
    printf "A/B: objective %.4f (target <= 0.15)  content %.4f (target <= 2)  style %.4f\n",
           o[1] / o[2], c[1] / c[2], s[1] / s[2]
    printf "lattice index (an 8-pixel grid; about 1: none, nan under 64 pixels): A %s  B %s\n",
           l[1], l[2]
  }' "$work/a.txt" "$work/b.txt"
