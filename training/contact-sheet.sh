#!/bin/sh
# contact-sheet.sh — a grid of stylisations: the styles across the top, one
# row per content picture (the content first, then its stylisations).
#
#   training/contact-sheet.sh OUT.jpg CONTENT... -- STYLE...
#
# Uses the default model (or $VK_ADAIN_MODELS), vk-adain from BUILD (default:
# build) or PATH, and ImageMagick's montage. CELL (default 256) is the side
# of a cell; SIZE (default 512) the content size stylised at.
set -eu

if [ $# -lt 4 ]; then
  echo "usage: $0 OUT.jpg CONTENT... -- STYLE..." >&2
  exit 2
fi
out=$1
shift
contents=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  contents="$contents $1"
  shift
done
[ $# -gt 0 ] && shift
styles="$*"
if [ -z "$contents" ] || [ -z "$styles" ]; then
  echo "$0: give at least one content and one style, separated by --" >&2
  exit 2
fi
build=${BUILD:-build}
cell=${CELL:-256}
size=${SIZE:-512}
if [ -x "$build/cli/vk-adain" ]; then cli=$build/cli/vk-adain; else cli=$(command -v vk-adain); fi
command -v montage >/dev/null || { echo "$0: montage (ImageMagick) is needed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tiles=""
i=0
# the top row: an empty corner, then the styles
convert -size "${cell}x${cell}" xc:white "$work/corner.png"
tiles="$work/corner.png"
for s in $styles; do
  i=$((i + 1))
  convert "$s" -resize "${cell}x${cell}^" -gravity center -extent "${cell}x${cell}" \
    "$work/style-$i.png"
  tiles="$tiles $work/style-$i.png"
done
r=0
for c in $contents; do
  r=$((r + 1))
  convert "$c" -resize "${cell}x${cell}^" -gravity center -extent "${cell}x${cell}" \
    "$work/content-$r.png"
  tiles="$tiles $work/content-$r.png"
  j=0
  for s in $styles; do
    j=$((j + 1))
    "$cli" -q --content "$c" --style "$s" --content-size "$size" --style-size 512 \
      -o "$work/out-$r-$j.png"
    convert "$work/out-$r-$j.png" -resize "${cell}x${cell}^" -gravity center \
      -extent "${cell}x${cell}" "$work/cell-$r-$j.png"
    tiles="$tiles $work/cell-$r-$j.png"
  done
done
# shellcheck disable=SC2086 # the tile list is split on purpose
montage $tiles -tile "$((i + 1))x" -geometry "${cell}x${cell}+2+2" -background white \
  -quality 88 "$out"
echo "$out: $r content(s) × $i style(s)"
