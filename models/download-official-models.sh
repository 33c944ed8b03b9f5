#!/bin/sh
# download-official-models.sh — fetch the official AdaIN weights (the
# PyTorch port's release v0.0.0) into the vk-adain model folder and check them.
#
#   models/download-official-models.sh [FOLDER]
#
# FOLDER defaults to $VK_ADAIN_MODELS, else $XDG_DATA_HOME/vk-adain/models
# (~/.local/share/vk-adain/models). Files are downloaded under a temporary
# name, checked (size of the VGG, and that vk-adain-convert --info reads
# them), then renamed into place; an existing good file is kept.
set -eu

base_url=https://github.com/naoto0804/pytorch-AdaIN/releases/download/v0.0.0
vgg_size=80102481

data_home=${XDG_DATA_HOME:-${HOME:?HOME is not set}/.local/share}
dest=${1:-${VK_ADAIN_MODELS:-$data_home/vk-adain/models}}

# vk-adain-convert: next to this script's build, on PATH, or $VK_ADAIN_CONVERT.
convert=${VK_ADAIN_CONVERT:-}
if [ -z "$convert" ]; then
  if command -v vk-adain-convert >/dev/null 2>&1; then
    convert=vk-adain-convert
  else
    echo "warning: vk-adain-convert not found (set VK_ADAIN_CONVERT); files" \
         "will be checked by size only" >&2
  fi
fi

if command -v curl >/dev/null 2>&1; then
  fetch() { curl --fail --location --retry 3 --output "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget --tries=3 --output-document="$2" "$1"; }
else
  echo "error: neither curl nor wget is installed" >&2
  exit 1
fi

file_size() { wc -c <"$1" | tr -d ' '; }

# check FILE [EXPECTED_SIZE]
check() {
  if [ -n "${2:-}" ] && [ "$(file_size "$1")" != "$2" ]; then
    echo "error: $1 is $(file_size "$1") bytes, expected $2" >&2
    return 1
  fi
  if [ -n "$convert" ] && ! "$convert" --info "$1" >/dev/null; then
    echo "error: $1 does not load" >&2
    return 1
  fi
  return 0
}

# get NAME [EXPECTED_SIZE]
get() {
  target=$dest/$1
  if [ -f "$target" ] && check "$target" "${2:-}" 2>/dev/null; then
    echo "$target: already present"
    return 0
  fi
  tmp=$(mktemp "$dest/.$1.XXXXXX")
  # shellcheck disable=SC2064  # expand $tmp now: the trap is per download
  trap "rm -f '$tmp'" EXIT INT TERM
  echo "downloading $base_url/$1"
  if ! fetch "$base_url/$1" "$tmp" || ! check "$tmp" "${2:-}"; then
    rm -f "$tmp"
    echo "error: could not get a valid $1" >&2
    exit 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$target"
  trap - EXIT INT TERM
  echo "$target: ok"
}

mkdir -p "$dest"
get vgg_normalised.pth "$vgg_size"
get decoder.pth
echo "models are in $dest"
