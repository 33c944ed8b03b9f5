#!/usr/bin/env bash
# The GIMP 3.0 plug-in, installed and run by gimp-console (TAP output); meant
# for a Debian 13 system or chroot (.ci/gimp3-chroot.sh runs it there).
#   tests/plugin/test-gimp3.sh BUILD_DIR [SCREENSHOT.png]
# 1. batch: plug-in-vk-adain from Python-Fu (config properties style-file,
#    strength, style-size) vs build/cli/vk-adain with the same settings
#    (PSNR >= 45 dB, printed); also a two-style blend run (style-file-2)
#    with memory-limit 64 (MiB) vs the CLI's --memory-limit 64M.
# 2. a missing style file: the procedure fails with a message naming the
#    file, the image stays as it was.
# 3. Cancel between tiles (VKA_PLUGIN_TEST_CANCEL_AFTER stands in for the
#    progress bar's Cancel button): status CANCEL, the image unchanged.
# 4. the GEGL operation vk-adain:style-transfer as a non-destructive filter
#    (Gimp.DrawableFilter, properties through its config), appended, then
#    edited again (strength, color mode, a second style) and merged: the
#    result vs the CLI with the final settings (PSNR >= 45 dB).
# 5. the same filter with no model found: the layer unchanged, a warning,
#    and GIMP still running (the script's last line is printed).
# 6. the dialog (RUN_INTERACTIVE) opens under Xvfb (1366x768) without
#    GTK/GLib criticals, the whole window and its OK button on the screen
#    (the window's place from xwininfo, the button's place in it from the
#    plug-in's test report), the preview at least 300 pixels a side and
#    starting at the layer's centre, Blend insensitive without a second
#    style, and the help page is installed; a screenshot
#    is kept when a second argument names a file (SCREENSHOT-nomodel.png
#    for 7).
# 7. without a model: the dialog still fits, OK is disabled and the status
#    line says so plainly.
# GIMP's exit status is not trusted: the output files and the log decide.
set -uo pipefail
build=$(cd "${1:?usage: test-gimp3.sh BUILD_DIR [SCREENSHOT]}" && pwd)
shot=${2:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/plugin/gimp-session.sh"
golden=$src/tests/cli/golden
compare="python3 $src/tests/plugin/png_psnr.py"
cli=$build/cli/vk-adain
min_db=45
gimp=$(command -v gimp-console-3.0 || command -v gimp-console || true)

echo "1..7"
if [ -z "$gimp" ]; then
  for i in 1 2 3 4 5 6 7; do echo "ok $i # SKIP gimp-console (3.0) not installed"; done
  exit 0
fi

tmp=$(mktemp -d /tmp/vka-gimp3.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if ! vka_install "$build" "$tmp/dest"; then
  echo "Bail out! meson install failed, or the installed tree has no plug-ins/vk-adain/vk-adain"
  exit 1
fi
plugin=$vka_plugin plugdir=$vka_plugdir
gegl_module=$(find "$tmp/dest" -name 'vk-adain-gegl.so' -type f | head -n1)
if [ -z "$gegl_module" ]; then
  echo "Bail out! the installed tree has no vk-adain-gegl.so"
  exit 1
fi
echo "# GEGL module: ${gegl_module#$tmp/dest}"
# GEGL_PATH replaces GEGL's own module folder: it is added back.
export GEGL_PATH=$(dirname "$gegl_module"):$(pkg-config --variable=pluginsdir gegl-0.4)
echo "# installed: ${plugin#$tmp/dest}"
ls "$(dirname "$plugin")/locale" >/dev/null 2>&1 && echo "# translations: $(ls "$(dirname "$plugin")/locale" | tr '\n' ' ')"

export GIMP3_DIRECTORY=$tmp/profile
vka_gimprc "$GIMP3_DIRECTORY" "$plugdir"
export VK_ADAIN_MODELS=$tmp/models
mkdir -p "$VK_ADAIN_MODELS"
cp "$golden/vgg.pth" "$VK_ADAIN_MODELS/vgg_normalised.pth"
cp "$golden/decoder.pth" "$VK_ADAIN_MODELS/decoder.pth"
# A style folder for the dialog's gallery.
export VK_ADAIN_STYLES=$tmp/styles
mkdir -p "$VK_ADAIN_STYLES"
cp "$golden/style.png" "$golden/style2.png" "$VK_ADAIN_STYLES/"
export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config
export GEGL_SWAP=RAM LC_ALL=C.UTF-8 LANGUAGE=
cp "$golden/content.png" "$golden/style.png" "$golden/style2.png" "$tmp/"

# One Python-Fu helper: run the procedure on content.png and save the result.
cat >"$tmp/run.py" <<'EOF'
import os, sys
from gi.repository import Gimp, Gio
def stylize(out, mode=Gimp.RunMode.NONINTERACTIVE, **props):
    tmp = os.environ["VKA_TMP"]
    img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(tmp + "/content.png"))
    scale = props.pop("scale", None)
    if scale:
        img.scale(*scale)
    layer = img.get_layers()[0]
    proc = Gimp.get_pdb().lookup_procedure("plug-in-vk-adain")
    cfg = proc.create_config()
    cfg.set_property("run-mode", mode)
    cfg.set_property("image", img)
    cfg.set_core_object_array("drawables", [layer])
    for k, v in props.items():
        k = k.replace("_", "-")
        if k.startswith("style-file"):
            v = Gio.File.new_for_path(v)
        cfg.set_property(k, v)
    res = proc.run(cfg)
    status = res.index(0)
    msg = res.index(1) if res.length() > 1 else ""
    print("vka-test: status %s message %s" % (status.value_nick, msg), flush=True)
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, img, Gio.File.new_for_path(out), None)
    img.delete()

def set_props(flt, props):
    cfg = flt.get_config()
    for k, v in props.items():
        cfg.set_property(k.replace("_", "-"), v)
    flt.update()

# The GEGL operation as a non-destructive filter: appended with first,
# then found again on the layer, edited to second and merged.
def filter_stylize(out, first, second):
    tmp = os.environ["VKA_TMP"]
    img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(tmp + "/content.png"))
    layer = img.get_layers()[0]
    flt = Gimp.DrawableFilter.new(layer, "vk-adain:style-transfer", "Style Transfer")
    set_props(flt, first)
    layer.append_filter(flt)
    again = [f for f in layer.get_filters() if f.get_operation_name() == "vk-adain:style-transfer"]
    print("vka-test: filters on the layer: %d" % len(again), flush=True)
    set_props(again[0], second)
    layer.merge_filter(again[0])
    Gimp.file_save(Gimp.RunMode.NONINTERACTIVE, img, Gio.File.new_for_path(out), None)
    img.delete()
    print("vka-test: filter done", flush=True)
EOF
export VKA_TMP=$tmp

gimp_py() { # LOG PYTHON
  local log=$1 code=$2
  printf '%s\n' "exec(open('$tmp/run.py').read())" "$code" >"$tmp/batch.py"
  timeout 300 "$gimp" -i -d -f --batch-interpreter python-fu-eval \
    -b "exec(open('$tmp/batch.py').read())" --quit >"$log" 2>&1
}

# ---- 1. batch vs CLI ---------------------------------------------------------------
style_size=48
gimp_py "$tmp/batch.log" "
stylize('$tmp/gimp.png', style_file='$tmp/style.png', strength=1.0, style_size=$style_size)
stylize('$tmp/gimp-blend.png', style_file='$tmp/style.png', style_file_2='$tmp/style2.png', style_blend=0.25, strength=0.8, style_size=$style_size, memory_limit=64)"
# The plug-in keeps style statistics in the cache the CLI uses
# ($XDG_CACHE_HOME/vk-adain/styles), counted before the CLI adds its own.
cached=$(find "$XDG_CACHE_HOME/vk-adain/styles" -name '*.safetensors' 2>/dev/null | wc -l)
m="--vgg $VK_ADAIN_MODELS/vgg_normalised.pth --decoder $VK_ADAIN_MODELS/decoder.pth"
"$cli" -q $m --content "$tmp/content.png" --style "$tmp/style.png" --content-size 0 \
  --style-size $style_size -o "$tmp/cli.png" >"$tmp/cli.log" 2>&1
"$cli" -q $m --content "$tmp/content.png" --style "$tmp/style.png,$tmp/style2.png" \
  --style-weights 0.75,0.25 --alpha 0.8 --content-size 0 --style-size $style_size \
  --memory-limit 64M -o "$tmp/cli-blend.png" >>"$tmp/cli.log" 2>&1
if [ -f "$tmp/gimp.png" ] && out=$($compare "$tmp/gimp.png" "$tmp/cli.png" $min_db) \
   && out2=$($compare "$tmp/gimp-blend.png" "$tmp/cli-blend.png" $min_db) \
   && ! $compare "$tmp/gimp.png" "$tmp/content.png" 60 >/dev/null \
   && [ "$cached" -ge 1 ]; then
  echo "# style-statistics cache entries the plug-in wrote: $cached"
  echo "# GIMP 3.0 vs CLI: $out"
  echo "# GIMP 3.0 vs CLI, two styles blended 0.25, strength 0.8: $out2"
  echo "ok 1 - batch results match the CLI (>= $min_db dB)"
else
  echo "# compare: ${out:-} ${out2:-}; cache entries: $cached"
  sed 's/^/# gimp: /' "$tmp/batch.log"; sed 's/^/# cli: /' "$tmp/cli.log"
  echo "not ok 1 - batch results match the CLI"
fi

# ---- 2. missing style ------------------------------------------------------------------
# The plug-in's own message names the file (not GIMP's generic "value out
# of range" for the argument).
gimp_py "$tmp/error.log" "stylize('$tmp/after-error.png', style_file='$tmp/no-such-style.png')"
if grep -Eq "vka-test: status (calling|execution)-error message .*$tmp/no-such-style.png.* does not exist" "$tmp/error.log" \
   && [ -f "$tmp/after-error.png" ] && out=$($compare "$tmp/after-error.png" "$tmp/content.png" 99); then
  echo "# $(grep 'vka-test:' "$tmp/error.log")"
  echo "# image after the failure vs before: $out"
  echo "ok 2 - a missing style fails with a message, image unchanged"
else
  sed 's/^/# error run: /' "$tmp/error.log"
  echo "not ok 2 - a missing style fails with a message, image unchanged"
fi

# ---- 3. Cancel between tiles ------------------------------------------------------------
# 16-pixel tiles make 3×2 tiles of the 37×29 picture; the hook cancels once
# the first is done, as GIMP's Cancel button would between two tiles.
VKA_PLUGIN_TILE=16 VKA_PLUGIN_TEST_CANCEL_AFTER=1 gimp_py "$tmp/cancel.log" \
  "stylize('$tmp/after-cancel.png', style_file='$tmp/style.png', style_size=$style_size)"
if grep -q "vka-test: status cancel " "$tmp/cancel.log" \
   && grep -q "vk-adain: test cancel after 1 tile" "$tmp/cancel.log" \
   && [ -f "$tmp/after-cancel.png" ] && out=$($compare "$tmp/after-cancel.png" "$tmp/content.png" 99); then
  echo "# $(grep -m1 'vk-adain: test cancel' "$tmp/cancel.log"); $(grep -m1 'vka-test:' "$tmp/cancel.log")"
  echo "# image after the cancel vs before: $out"
  echo "ok 3 - Cancel between tiles returns CANCEL, image unchanged"
else
  sed 's/^/# cancel run: /' "$tmp/cancel.log"
  echo "not ok 3 - Cancel between tiles returns CANCEL, image unchanged"
fi

# ---- 4. the GEGL operation as a drawable filter -------------------------------------------
gimp_py "$tmp/filter.log" "
filter_stylize('$tmp/filter.png', dict(style_file='$tmp/style.png', strength=0.3, style_size=$style_size),
               dict(strength=0.8, color_mode='coral', style_file_2='$tmp/style2.png', style_blend=0.25))"
"$cli" -q $m --content "$tmp/content.png" --style "$tmp/style.png,$tmp/style2.png" \
  --style-weights 0.75,0.25 --alpha 0.8 --preserve-color=coral --content-size 0 \
  --style-size $style_size -o "$tmp/cli-filter.png" >"$tmp/cli-filter.log" 2>&1
if grep -q "vka-test: filters on the layer: 1" "$tmp/filter.log" \
   && grep -q "vka-test: filter done" "$tmp/filter.log" \
   && out=$($compare "$tmp/filter.png" "$tmp/cli-filter.png" $min_db) \
   && ! grep -q "vk-adain-WARNING" "$tmp/filter.log"; then
  echo "# GIMP 3.0 drawable filter (edited: strength 0.8, coral, two styles) vs CLI: $out"
  echo "ok 4 - vk-adain:style-transfer as a drawable filter, edited and merged, matches the CLI"
else
  echo "# compare: ${out:-}"
  sed 's/^/# filter run: /' "$tmp/filter.log"; sed 's/^/# cli: /' "$tmp/cli-filter.log"
  echo "not ok 4 - vk-adain:style-transfer as a drawable filter, edited and merged, matches the CLI"
fi

# ---- 5. the filter without a model ---------------------------------------------------------
mkdir -p "$tmp/no-models"
VK_ADAIN_MODELS=$tmp/no-models XDG_DATA_HOME=$tmp/no-models gimp_py "$tmp/nomodel.log" "
filter_stylize('$tmp/filter-nomodel.png', dict(style_file='$tmp/style.png', style_size=$style_size), dict(strength=0.9))"
if grep -q "vka-test: filter done" "$tmp/nomodel.log" \
   && grep -q "vk-adain-WARNING.*model files not found.*passed through unchanged" "$tmp/nomodel.log" \
   && out=$($compare "$tmp/filter-nomodel.png" "$tmp/content.png" 99); then
  echo "# $(grep -m1 'vk-adain-WARNING' "$tmp/nomodel.log" | cut -c1-160)"
  echo "# layer after the filter without a model vs before: $out"
  echo "ok 5 - the filter without a model: layer unchanged, a warning, GIMP goes on"
else
  sed 's/^/# no-model run: /' "$tmp/nomodel.log"
  echo "not ok 5 - the filter without a model: layer unchanged, a warning, GIMP goes on"
fi

# ---- 6. the dialog under Xvfb ------------------------------------------------------------
if ! command -v xvfb-run >/dev/null || ! command -v xwininfo >/dev/null; then
  echo "ok 6 # SKIP xvfb-run or xwininfo (x11-utils) missing"
  echo "ok 7 # SKIP xvfb-run or xwininfo (x11-utils) missing"
  exit 0
fi
# dialog NAME [VAR=VALUE...]: opens the dialog (on the content picture
# scaled to 800x600, larger than the preview) on a 1366x768 screen with
# the environment given, keeps xwininfo of its window (NAME.xwininfo), a
# screenshot (NAME.png) and GIMP's output (NAME.log); the dialog cancels
# itself (VKA_PLUGIN_DIALOG_TIMEOUT), printing its geometry first.
screen=1366x768
dialog() {
  local name=$1; shift
  printf '%s\n' "exec(open('$tmp/run.py').read())" \
    "stylize('$tmp/after-$name.png', mode=Gimp.RunMode.INTERACTIVE, style_file='$tmp/style.png', scale=(800, 600))" >"$tmp/$name.py"
  cat >"$tmp/$name.sh" <<EOF
#!/usr/bin/env bash
export VKA_PLUGIN_DIALOG_TIMEOUT=40 $*
"$gimp" -i -d -f --batch-interpreter python-fu-eval -b "exec(open('$tmp/$name.py').read())" \
  --quit >"$tmp/$name.log" 2>&1 &
pid=\$!
. "$src/tests/plugin/gimp-session.sh"
if id=\$(vka_wait_window '"Style Transfer \\(AdaIN\\)"' 90); then
  sleep 5
  xwininfo -id "\$id" >"$tmp/$name.xwininfo"
  if command -v import >/dev/null; then import -window root "$tmp/$name.png"; fi
fi
wait \$pid
EOF
  chmod +x "$tmp/$name.sh"
  xvfb-run -a -s "-screen 0 ${screen}x24" "$tmp/$name.sh"
  # Criticals and warnings of the plug-in's own process count; one is
  # GIMP's and expected here: gimp-console has no window to make the dialog
  # transient for (gimp_window_transient_on_mapped).
  grep -E "^\((vk-adain|gimp-console[^:]*):[0-9]+\): .*(CRITICAL|Gtk-WARNING|GLib-WARNING|GLib-GObject-WARNING)" "$tmp/$name.log" \
    | grep -v "gimp_window_transient_on_mapped" >"$tmp/$name-criticals.txt"
  grep -E "duplicate mnemonic" "$tmp/$name.log" >>"$tmp/$name-criticals.txt"
}
fits="python3 $src/tests/plugin/dialog_fits.py"
# The Help button's page, installed with the plug-in's help domain.
helpdir=$(dirname "$plugin")/help/en
help_ok() { grep -q 'id="plug-in-vk-adain" ref="index.html"' "$helpdir/gimp-help.xml" && [ -s "$helpdir/index.html" ]; }

dialog dialog
if [ -s "$tmp/dialog.xwininfo" ] && [ ! -s "$tmp/dialog-criticals.txt" ] && help_ok \
   && out=$($fits "$tmp/dialog.xwininfo" "$tmp/dialog.log" $screen 1 300) \
   && grep -q "vka-dialog: blend sensitive 0" "$tmp/dialog.log"; then
  echo "# $out"
  echo "# help page: ${helpdir#$tmp/dest}/index.html"
  if [ -n "$shot" ] && [ -f "$tmp/dialog.png" ]; then cp "$tmp/dialog.png" "$shot"; echo "# screenshot: $shot"; fi
  echo "ok 6 - the dialog opens without GTK/GLib criticals, fits $screen with OK on screen; help installed"
else
  echo "# ${out:-no window}"
  sed 's/^/# dialog: /' "$tmp/dialog.log"
  sed 's/^/# counted: /' "$tmp/dialog-criticals.txt"
  if [ -n "$shot" ] && [ -f "$tmp/dialog.png" ]; then cp "$tmp/dialog.png" "$shot"; fi
  echo "not ok 6 - the dialog opens without GTK/GLib criticals, fits $screen with OK on screen; help installed"
fi

# ---- 7. the dialog without a model --------------------------------------------------------
mkdir -p "$tmp/no-models"
dialog nomodel VK_ADAIN_MODELS=$tmp/no-models XDG_DATA_HOME=$tmp/no-models
if [ -s "$tmp/nomodel.xwininfo" ] && [ ! -s "$tmp/nomodel-criticals.txt" ] \
   && out=$($fits "$tmp/nomodel.xwininfo" "$tmp/nomodel.log" $screen 0) \
   && grep -q "vka-dialog: status: No style model is installed — see Help" "$tmp/nomodel.log"; then
  echo "# $out"
  if [ -n "$shot" ] && [ -f "$tmp/nomodel.png" ]; then
    cp "$tmp/nomodel.png" "${shot%.png}-nomodel.png"; echo "# screenshot: ${shot%.png}-nomodel.png"
  fi
  echo "ok 7 - without a model the dialog fits $screen, OK is disabled, the message is plain"
else
  echo "# ${out:-no window}"
  sed 's/^/# dialog: /' "$tmp/nomodel.log"
  sed 's/^/# counted: /' "$tmp/nomodel-criticals.txt"
  if [ -n "$shot" ] && [ -f "$tmp/nomodel.png" ]; then cp "$tmp/nomodel.png" "${shot%.png}-nomodel.png"; fi
  echo "not ok 7 - without a model the dialog fits $screen, OK is disabled, the message is plain"
fi
