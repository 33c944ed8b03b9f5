#!/usr/bin/env bash
# The GEGL operation vk-adain:style-transfer run by the gegl program (TAP):
#   tests/plugin/test-gegl-op.sh MODULE.so CLI DATADIR [GEGL]
# (DATADIR: the installed data folder the module searches last)
# 1. gegl in.png -o out.png -- vk-adain:style-transfer style-file=... vs the
#    CLI with the same settings (PSNR >= 45 dB), and not the input.
# 2. RGBA input, color transfer, strength 0.7 and two styles blended 0.25
#    vs the CLI (--preserve-color, --style a,b --style-weights 0.75,0.25).
# 3. a model that cannot be loaded (a corrupt decoder): the input comes out
#    unchanged, and a warning names the file.
# 4. no model at all: the input unchanged, a warning saying so.
# 5. a style file that does not exist: the input unchanged, a warning
#    naming it.
# 6. memory-limit=64 (MiB) on a 480×360 picture: the render goes in tiles
#    (the library's debug message, G_MESSAGES_DEBUG=vk-adain) and equals
#    the CLI's with --memory-limit 64M.
# GEGL finds the module through GEGL_PATH (which replaces GEGL's own
# folder, so that is added back).
set -uo pipefail
usage="usage: test-gegl-op.sh MODULE.so CLI DATADIR [GEGL]"
module=${1:?$usage}
cli=${2:?$usage}
installed=${3:?$usage}
gegl=${4:-$(command -v gegl || true)}
src=$(cd "$(dirname "$0")/../.." && pwd)
golden=$src/tests/cli/golden
compare="python3 $src/tests/plugin/png_psnr.py --to-8bit"
min_db=45

echo "1..6"
if [ -z "$gegl" ] || [ ! -x "$gegl" ]; then
  echo "Bail out! the gegl program is not installed (Debian: gegl)"
  exit 1
fi
tmp=$(mktemp -d /tmp/vka-gegl-op.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/modules" "$tmp/models" "$tmp/empty" "$tmp/bad-model"
cp "$module" "$tmp/modules/"
system_dir=$(pkg-config --variable=pluginsdir gegl-0.4 2>/dev/null || true)
export GEGL_PATH=$tmp/modules${system_dir:+:$system_dir}
export VK_ADAIN_MODELS=$tmp/models XDG_DATA_HOME=$tmp/empty XDG_CACHE_HOME=$tmp/cache
export GEGL_SWAP=RAM LC_ALL=C.UTF-8 GIMP3_DIRECTORY=$tmp/empty
cp "$golden/vgg.pth" "$tmp/models/vgg_normalised.pth"
cp "$golden/decoder.pth" "$tmp/models/decoder.pth"
m="--vgg $tmp/models/vgg_normalised.pth --decoder $tmp/models/decoder.pth"
op=vk-adain:style-transfer

if ! "$gegl" --list-all 2>/dev/null | grep -qx "$op"; then
  echo "Bail out! gegl does not list $op (GEGL_PATH=$GEGL_PATH)"
  exit 1
fi

run_gegl() { # LOG IN OUT PROPERTIES...
  local log=$1 in=$2 out=$3; shift 3
  timeout 300 "$gegl" "$in" -o "$out" -- "$op" "$@" >"$log" 2>&1
}

# ---- 1. plain settings vs the CLI ----------------------------------------------------
run_gegl "$tmp/1.log" "$golden/content.png" "$tmp/gegl1.png" \
  style-file="$golden/style.png" style-size=48
"$cli" -q $m --content "$golden/content.png" --style "$golden/style.png" --content-size 0 \
  --style-size 48 -o "$tmp/cli1.png" >"$tmp/cli.log" 2>&1
if out=$($compare "$tmp/gegl1.png" "$tmp/cli1.png" $min_db) \
   && ! $compare "$tmp/gegl1.png" "$golden/content.png" 30 >/dev/null \
   && ! grep -Eq "vk-adain-WARNING|CRITICAL" "$tmp/1.log"; then
  echo "# gegl vs CLI: $out"
  echo "ok 1 - gegl runs $op and matches the CLI (>= $min_db dB)"
else
  echo "# compare: ${out:-}"; sed 's/^/# gegl: /' "$tmp/1.log"; sed 's/^/# cli: /' "$tmp/cli.log"
  echo "not ok 1 - gegl runs $op and matches the CLI"
fi

# ---- 2. RGBA, color transfer, strength, two styles ----------------------------------------
run_gegl "$tmp/2.log" "$golden/rgba.png" "$tmp/gegl2.png" \
  style-file="$golden/style.png" style-file-2="$golden/style2.png" style-blend=0.25 \
  strength=0.7 color-mode=coral style-size=48
"$cli" -q $m --content "$golden/rgba.png" --style "$golden/style.png,$golden/style2.png" \
  --style-weights 0.75,0.25 --alpha 0.7 --preserve-color=coral --content-size 0 \
  --style-size 48 -o "$tmp/cli2.png" >>"$tmp/cli.log" 2>&1
if out=$($compare "$tmp/gegl2.png" "$tmp/cli2.png" $min_db) && ! grep -Eq "vk-adain-WARNING|CRITICAL" "$tmp/2.log"; then
  echo "# gegl vs CLI (RGBA, coral, strength 0.7, blend 0.25): $out"
  echo "ok 2 - two styles, color transfer and strength match the CLI"
else
  echo "# compare: ${out:-}"; sed 's/^/# gegl: /' "$tmp/2.log"; sed 's/^/# cli: /' "$tmp/cli.log"
  echo "not ok 2 - two styles, color transfer and strength match the CLI"
fi

# unchanged LOG OUT PATTERN: the output is the input, and the log has one
# warning matching PATTERN.
unchanged() {
  local log=$1 out=$2 pattern=$3 n
  n=$(grep -c "vk-adain-WARNING.*$pattern" "$log")
  [ -f "$out" ] && $compare "$out" "$golden/content.png" 99 >/dev/null && [ "$n" -eq 1 ]
}

# ---- 3. a model that cannot be loaded ----------------------------------------------------
cp "$golden/vgg.pth" "$tmp/bad-model/vgg_normalised.pth"
head -c 100 "$golden/decoder.pth" >"$tmp/bad-model/decoder.pth"
VK_ADAIN_MODELS=$tmp/bad-model run_gegl "$tmp/3.log" "$golden/content.png" "$tmp/gegl3.png" \
  style-file="$golden/style.png" style-size=48
if unchanged "$tmp/3.log" "$tmp/gegl3.png" "decoder.pth: .*passed through unchanged"; then
  echo "# $(grep -m1 'vk-adain-WARNING' "$tmp/3.log" | cut -c1-200)"
  echo "ok 3 - a model that cannot be loaded: input unchanged, one warning naming the file"
else
  sed 's/^/# gegl: /' "$tmp/3.log"
  echo "not ok 3 - a model that cannot be loaded: input unchanged, one warning naming the file"
fi

# ---- 4. no model ------------------------------------------------------------------------------
# The installed data folder is searched last; where a model is installed
# there this case cannot be made.
if ls "$installed/models/"decoder.* >/dev/null 2>&1; then
  echo "ok 4 # SKIP a model is installed in $installed/models"
else
  VK_ADAIN_MODELS=$tmp/empty run_gegl "$tmp/4.log" "$golden/content.png" "$tmp/gegl4.png" \
    style-file="$golden/style.png" style-size=48
  if unchanged "$tmp/4.log" "$tmp/gegl4.png" "model files not found.*passed through unchanged"; then
    echo "# $(grep -m1 'vk-adain-WARNING' "$tmp/4.log" | cut -c1-200)"
    echo "ok 4 - no model: input unchanged, one warning"
  else
    sed 's/^/# gegl: /' "$tmp/4.log"
    echo "not ok 4 - no model: input unchanged, one warning"
  fi
fi

# ---- 5. a missing style file ------------------------------------------------------------------
run_gegl "$tmp/5.log" "$golden/content.png" "$tmp/gegl5.png" style-file="$tmp/no-such-style.png"
if unchanged "$tmp/5.log" "$tmp/gegl5.png" "$tmp/no-such-style.png.*does not exist"; then
  echo "# $(grep -m1 'vk-adain-WARNING' "$tmp/5.log" | cut -c1-200)"
  echo "ok 5 - a missing style file: input unchanged, one warning naming it"
else
  sed 's/^/# gegl: /' "$tmp/5.log"
  echo "not ok 5 - a missing style file: input unchanged, one warning naming it"
fi

# ---- 6. a memory limit that tiles ------------------------------------------------------------
# 64 MiB is less than a 480×360 picture needs with the test model: two tiles.
tiles() { sed -n 's/.*vk-adain-DEBUG.* in \([0-9]*\) tiles of .*/\1/p' "$1" | head -n1; }
"$gegl" -- gegl:load path="$golden/content.png" gegl:scale-size x=480 y=360 sampler=linear \
  gegl:png-save path="$tmp/big.png" bitdepth=8 >"$tmp/big.log" 2>&1
G_MESSAGES_DEBUG=vk-adain run_gegl "$tmp/6.log" "$tmp/big.png" "$tmp/gegl6.png" \
  style-file="$golden/style.png" style-size=48 memory-limit=64
G_MESSAGES_DEBUG=vk-adain "$cli" $m --content "$tmp/big.png" --style "$golden/style.png" \
  --content-size 0 --style-size 48 --memory-limit 64M -o "$tmp/cli6.png" >"$tmp/cli6.log" 2>&1
n_gegl=$(tiles "$tmp/6.log") n_cli=$(tiles "$tmp/cli6.log")
if [ "${n_gegl:-0}" -gt 1 ] && [ "$n_gegl" = "$n_cli" ] \
   && out=$($compare "$tmp/gegl6.png" "$tmp/cli6.png" $min_db) \
   && ! grep -Eq "vk-adain-WARNING|CRITICAL" "$tmp/6.log"; then
  echo "# gegl memory-limit=64 vs CLI --memory-limit 64M, $n_gegl tiles each: $out"
  echo "ok 6 - memory-limit tiles the render and matches the CLI's --memory-limit"
else
  echo "# tiles: gegl ${n_gegl:-none}, CLI ${n_cli:-none}; compare: ${out:-}"
  sed 's/^/# gegl: /' "$tmp/6.log" "$tmp/big.log"; sed 's/^/# cli: /' "$tmp/cli6.log"
  echo "not ok 6 - memory-limit tiles the render and matches the CLI's --memory-limit"
fi
