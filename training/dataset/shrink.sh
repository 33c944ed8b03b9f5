#!/bin/sh
# shrink.sh — copies of a dataset's training folders with the shorter side
# at N pixels (default 512), as JPEG quality 95, so that the trainer's loader
# threads decode a small file instead of a 2560×1600 wallpaper per crop
# (the trainer squashes every picture to --resize 512 anyway).
#
#   training/dataset/shrink.sh SRC DST [N]     # SRC/content, SRC/style -> DST/...
#
# Needs ImageMagick's convert.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 SRC DST [N]" >&2
  exit 2
fi
src=$1 dst=$2 side=${3:-512}
for split in content style; do
  mkdir -p "$dst/$split"
  for f in "$src/$split"/*; do
    [ -f "$f" ] || continue
    convert "$f" -auto-orient -colorspace sRGB -resize "${side}x${side}^" -quality 95 \
      "$dst/$split/$(basename "$f").jpg" 2>/dev/null
  done
done
echo "$dst: $(ls "$dst/content" | wc -l) content, $(ls "$dst/style" | wc -l) style pictures"
