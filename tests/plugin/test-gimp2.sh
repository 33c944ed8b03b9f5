#!/usr/bin/env bash
# The GIMP 2.10 plug-in, installed and run by gimp-console-2.10 (TAP output).
#   tests/plugin/test-gimp2.sh BUILD_DIR [SCREENSHOT.png]
# 1. batch: plug-in-vk-adain from Script-Fu (RUN-NONINTERACTIVE) on a small
#    picture with a small random-weight model; the saved result is compared
#    with build/cli/vk-adain's for the same settings (PSNR >= 45 dB, printed).
# 2. a missing style file: the procedure fails with a message naming the
#    file and the image stays as it was.
# 3. an RGBA layer (strength 0.7, colour transfer) and a gray layer
#    (luminance mode) against the CLI.
# 4. with a selection, only the selection changes.
# 5. Cancel between tiles (VKA_PLUGIN_TEST_CANCEL_AFTER stands in for the
#    progress bar's Cancel button): the procedure returns CANCEL, the image
#    is unchanged.
# 6. precision: the RGBA picture as a 16-bit and as a float image keeps
#    its precision (the 16-bit PNG export has values between 8-bit levels,
#    and matches the CLI's 8-bit result to its rounding) and its alpha.
# 7. the dialog (RUN-INTERACTIVE) opens under Xvfb (1366x768) without
#    GTK/GLib criticals, the whole window and its OK button on the screen
#    (the window's place from xwininfo, the button's place in it from the
#    plug-in's test report), the preview at least 300 pixels a side and
#    starting at the layer's centre; a screenshot is kept when a second argument
#    names a file (SCREENSHOT-nomodel.png for 8); the help page is
#    installed.
# 8. without a model: the dialog still fits, OK is disabled and the status
#    line says so plainly.
# GIMP's exit status is not trusted: the output files and the log decide.
set -uo pipefail
build=$(cd "${1:?usage: test-gimp2.sh BUILD_DIR [SCREENSHOT]}" && pwd)
shot=${2:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tests/plugin/gimp-session.sh"
golden=$src/tests/cli/golden
compare="python3 $src/tests/plugin/png_psnr.py"
cli=$build/cli/vk-adain
min_db=45

echo "1..8"
if ! command -v gimp-console-2.10 >/dev/null; then
  for i in 1 2 3 4 5 6 7 8; do echo "ok $i # SKIP gimp-console-2.10 not installed"; done
  exit 0
fi

tmp=$(mktemp -d /tmp/vka-gimp2.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Install into a throwaway destdir: the layout a user gets.
if ! vka_install "$build" "$tmp/dest"; then
  echo "Bail out! meson install failed, or the installed tree has no plug-ins/vk-adain/vk-adain"
  exit 1
fi
plugin=$vka_plugin plugdir=$vka_plugdir
echo "# installed: ${plugin#$tmp/dest}"

# A throwaway profile whose plug-in-path adds the installed folder.
export GIMP2_DIRECTORY=$tmp/profile
vka_gimprc "$GIMP2_DIRECTORY" "$plugdir"
# The small random-weight model of the CLI's golden tests.
export VK_ADAIN_MODELS=$tmp/models
mkdir -p "$VK_ADAIN_MODELS"
cp "$golden/vgg.pth" "$VK_ADAIN_MODELS/vgg_normalised.pth"
cp "$golden/decoder.pth" "$VK_ADAIN_MODELS/decoder.pth"
# A style folder for the dialog's gallery.
export VK_ADAIN_STYLES=$tmp/styles
mkdir -p "$VK_ADAIN_STYLES"
cp "$golden/style.png" "$VK_ADAIN_STYLES/"
export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config
export GEGL_SWAP=RAM LC_ALL=C.UTF-8 LANGUAGE=
cp "$golden/content.png" "$golden/style.png" "$golden/rgba.png" "$golden/gray.png" "$tmp/"

gimp_batch() { # LOG SCRIPT
  local log=$1 script=$2
  timeout 300 gimp-console-2.10 -i -d -f -b "$script" -b '(gimp-quit 0)' >"$log" 2>&1
}

# ---- 1. batch vs CLI -------------------------------------------------------------
style_size=48
gimp_batch "$tmp/batch.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/content.png\" \"content.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$tmp/style.png\" 1.0 0 $style_size 0)
  (gimp-file-save RUN-NONINTERACTIVE image drawable \"$tmp/gimp.png\" \"gimp.png\"))"
# The plug-in keeps style statistics in the cache the CLI uses
# ($XDG_CACHE_HOME/vk-adain/styles), counted before the CLI adds its own.
cached=$(find "$XDG_CACHE_HOME/vk-adain/styles" -name '*.safetensors' 2>/dev/null | wc -l)
"$cli" -q --vgg "$VK_ADAIN_MODELS/vgg_normalised.pth" --decoder "$VK_ADAIN_MODELS/decoder.pth" \
  --content "$tmp/content.png" --style "$tmp/style.png" --content-size 0 \
  --style-size $style_size -o "$tmp/cli.png" >"$tmp/cli.log" 2>&1
if [ -f "$tmp/gimp.png" ] && [ -f "$tmp/cli.png" ] && out=$($compare "$tmp/gimp.png" "$tmp/cli.png" $min_db) \
   && ! $compare "$tmp/gimp.png" "$tmp/content.png" 60 >/dev/null \
   && [ "$cached" -ge 1 ]; then
  echo "# style-statistics cache entries the plug-in wrote: $cached"
  echo "# GIMP 2.10 vs CLI: $out"
  echo "ok 1 - batch result matches the CLI (>= $min_db dB)"
else
  echo "# compare: ${out:-no output}; cache entries: $cached"
  sed 's/^/# gimp: /' "$tmp/batch.log"; sed 's/^/# cli: /' "$tmp/cli.log"
  echo "not ok 1 - batch result matches the CLI"
fi

# ---- 2. missing style: an error with the message, image untouched ------------------
missing=$tmp/no-such-style.png
gimp_batch "$tmp/error.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/content.png\" \"content.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (catch (gimp-message \"vka-test: caught\")
    (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$missing\" 1.0 0 512 0)
    (gimp-message \"vka-test: no error\"))
  (gimp-file-save RUN-NONINTERACTIVE image drawable \"$tmp/after-error.png\" \"a.png\"))"
gimp_batch "$tmp/error2.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/content.png\" \"content.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$missing\" 1.0 0 512 0))"
# The same in German: the catalogs installed next to the plug-in are used.
de_locale=$(locale -a 2>/dev/null | grep -i -m1 '^de_DE\.utf-\?8$')
if [ -n "$de_locale" ]; then
  LC_ALL=$de_locale LANGUAGE=de gimp_batch "$tmp/error-de.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/content.png\" \"content.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$missing\" 1.0 0 512 0))"
  german=$(grep -o "Die Stildatei $missing (Argument style-file) existiert nicht" "$tmp/error-de.log" | head -n1)
else
  german="(no de_DE.UTF-8 locale: not checked)"
fi
if grep -q "vka-test: caught" "$tmp/error.log" && ! grep -q "vka-test: no error" "$tmp/error.log" \
   && [ -n "$german" ] \
   && grep -q "plug-in-vk-adain.*$missing.* does not exist" "$tmp/error2.log" \
   && [ -f "$tmp/after-error.png" ] && out=$($compare "$tmp/after-error.png" "$tmp/content.png" 99); then
  echo "# message: $(grep -o 'plug-in-vk-adain.*does not exist[^"]*' "$tmp/error2.log" | head -n1)"
  echo "# in German: $german"
  echo "# image after the failure vs before: $out"
  echo "ok 2 - a missing style fails with a message, image unchanged"
else
  sed 's/^/# error run: /' "$tmp/error.log" "$tmp/error2.log" "$tmp/error-de.log"
  echo "not ok 2 - a missing style fails with a message, image unchanged"
fi

# ---- 3. RGBA with colour transfer, and gray with luminance, vs the CLI ----------------------
gimp_batch "$tmp/more.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/rgba.png\" \"rgba.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$tmp/style.png\" 0.7 1 $style_size 0)
  (gimp-file-save RUN-NONINTERACTIVE image drawable \"$tmp/gimp-rgba.png\" \"gimp-rgba.png\"))
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/gray.png\" \"gray.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$tmp/style.png\" 1.0 2 $style_size 0)
  (gimp-file-save RUN-NONINTERACTIVE image drawable \"$tmp/gimp-gray.png\" \"gimp-gray.png\"))"
m="--vgg $VK_ADAIN_MODELS/vgg_normalised.pth --decoder $VK_ADAIN_MODELS/decoder.pth"
"$cli" -q $m --content "$tmp/rgba.png" --style "$tmp/style.png" --alpha 0.7 \
  --preserve-color=coral --content-size 0 --style-size $style_size -o "$tmp/cli-rgba.png" >>"$tmp/cli.log" 2>&1
"$cli" -q $m --content "$tmp/rgba.png" --style "$tmp/style.png" --content-size 0 \
  --style-size $style_size -o "$tmp/cli-rgba1.png" >>"$tmp/cli.log" 2>&1
"$cli" -q $m --content "$tmp/gray.png" --style "$tmp/style.png" --preserve-color=luminance \
  --content-size 0 --style-size $style_size -o "$tmp/cli-gray.png" >>"$tmp/cli.log" 2>&1
# A gray layer keeps one channel: GIMP turns the RGB result into gray (babl),
# the CLI writes RGB; with luminance mode both carry the same lightness.
if out=$($compare "$tmp/gimp-rgba.png" "$tmp/cli-rgba.png" $min_db) \
   && out2=$($compare "$tmp/gimp-gray.png" "$tmp/cli-gray.png" 30); then
  echo "# RGBA, strength 0.7, color transfer: $out"
  echo "# gray, luminance mode (gray layer vs the CLI's RGB): $out2"
  echo "ok 3 - RGBA and gray layers match the CLI"
else
  echo "# compare: ${out:-} ${out2:-}"
  sed 's/^/# gimp: /' "$tmp/more.log"; sed 's/^/# cli: /' "$tmp/cli.log"
  echo "not ok 3 - RGBA and gray layers match the CLI"
fi

# ---- 4. only the selection changes (2.10's PDB has no undo call to test the step) ----------------------------------
gimp_batch "$tmp/sel.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/content.png\" \"content.png\")))
       (drawable (car (gimp-image-get-active-drawable image)))
       (outside (cadr (gimp-drawable-get-pixel drawable 30 20)))
       (inside (cadr (gimp-drawable-get-pixel drawable 5 5))))
  (gimp-image-select-rectangle image CHANNEL-OP-REPLACE 0 0 16 12)
  (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$tmp/style.png\" 1.0 0 $style_size 0)
  (gimp-message (string-append \"vka-test: outside \"
     (if (equal? outside (cadr (gimp-drawable-get-pixel drawable 30 20))) \"unchanged\" \"CHANGED\")
     \", inside \"
     (if (equal? inside (cadr (gimp-drawable-get-pixel drawable 5 5))) \"UNCHANGED\" \"changed\"))))"
if grep -q "vka-test: outside unchanged, inside changed" "$tmp/sel.log"; then
  echo "ok 4 - only the selection changes"
else
  sed 's/^/# selection run: /' "$tmp/sel.log"
  echo "not ok 4 - only the selection changes"
fi

# ---- 5. Cancel between tiles: CANCEL returned, image unchanged -------------------------
# 16-pixel tiles make 3×2 tiles of the 37×29 picture; the hook cancels once
# the first is done, as GIMP's Cancel button would between two tiles.
VKA_PLUGIN_TILE=16 VKA_PLUGIN_TEST_CANCEL_AFTER=1 gimp_batch "$tmp/cancel.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/content.png\" \"content.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (let ((r (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$tmp/style.png\" 1.0 0 $style_size 0)))
    (gimp-message (string-append \"vka-test: returned \"
      (cond ((equal? r '(#t)) \"success\") ((equal? r '(#f)) \"cancel\") (else \"other\")))))
  (gimp-file-save RUN-NONINTERACTIVE image drawable \"$tmp/after-cancel.png\" \"a.png\"))"
# Script-Fu 2.10 raises no error for GIMP_PDB_CANCEL: the call returns (#f)
# where a success returns (#t).
if grep -q "vka-test: returned cancel" "$tmp/cancel.log" \
   && grep -q "vk-adain: test cancel after 1 tile" "$tmp/cancel.log" \
   && [ -f "$tmp/after-cancel.png" ] && out=$($compare "$tmp/after-cancel.png" "$tmp/content.png" 99); then
  echo "# $(grep -m1 'vk-adain: test cancel' "$tmp/cancel.log"); $(grep -o -m1 'vka-test: returned cancel' "$tmp/cancel.log")"
  echo "# image after the cancel vs before: $out"
  echo "ok 5 - Cancel between tiles returns CANCEL, image unchanged"
else
  sed 's/^/# cancel run: /' "$tmp/cancel.log"
  echo "not ok 5 - Cancel between tiles returns CANCEL, image unchanged"
fi

# ---- 6. 16-bit and float images keep their precision and alpha ---------------------------
# GIMP exports both as 16-bit PNGs. The CLI's result (8-bit) of the same
# RGBA picture is the reference: an 8-bit quantised result would have no
# sample between two 8-bit levels.
precision_ok=1
for p in U16 FLOAT; do
  gimp_batch "$tmp/precision-$p.log" "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$tmp/rgba.png\" \"rgba.png\"))))
  (gimp-image-convert-precision image PRECISION-$p-GAMMA)
  (let ((drawable (car (gimp-image-get-active-drawable image))))
    (plug-in-vk-adain RUN-NONINTERACTIVE image drawable \"$tmp/style.png\" 1.0 0 $style_size 0)
    (gimp-file-save RUN-NONINTERACTIVE image drawable \"$tmp/gimp-$p.png\" \"gimp-$p.png\")))"
  if [ -f "$tmp/gimp-$p.png" ] && out=$(python3 "$src/tests/plugin/png_precision.py" "$tmp/gimp-$p.png" \
       "$tmp/cli-rgba1.png" "$tmp/rgba.png" $min_db); then
    echo "# $p RGBA: $out"
  else
    echo "# $p RGBA: ${out:-no output}"
    sed 's/^/# gimp: /' "$tmp/precision-$p.log"
    precision_ok=0
  fi
done
[ -f "$tmp/cli-rgba1.png" ] || precision_ok=0
if [ $precision_ok = 1 ]; then
  echo "ok 6 - 16-bit and float images keep their precision and alpha"
else
  echo "not ok 6 - 16-bit and float images keep their precision and alpha"
fi

# ---- 7. the dialog under Xvfb ---------------------------------------------------------
if ! command -v xvfb-run >/dev/null || ! command -v xwininfo >/dev/null; then
  echo "ok 7 # SKIP xvfb-run or xwininfo (x11-utils) missing"
  echo "ok 8 # SKIP xvfb-run or xwininfo (x11-utils) missing"
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
  cat >"$tmp/$name.sh" <<EOF
#!/usr/bin/env bash
export VKA_PLUGIN_DIALOG_TIMEOUT=25 $*
gimp-console-2.10 -i -d -f -b '
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "$tmp/content.png" "content.png")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (gimp-image-scale image 800 600)
  (catch #f (plug-in-vk-adain RUN-INTERACTIVE image drawable "$tmp/style.png" 1.0 0 512 0)))' \
  -b '(gimp-quit 0)' >"$tmp/$name.log" 2>&1 &
pid=\$!
. "$src/tests/plugin/gimp-session.sh"
if id=\$(vka_wait_window '"Style Transfer \\(AdaIN\\)"' 60); then
  sleep 3
  xwininfo -id "\$id" >"$tmp/$name.xwininfo"
  if command -v import >/dev/null; then import -window root "$tmp/$name.png"; fi
fi
wait \$pid
EOF
  chmod +x "$tmp/$name.sh"
  xvfb-run -a -s "-screen 0 ${screen}x24" "$tmp/$name.sh"
}
criticals() { grep -Eq "CRITICAL|Gtk-WARNING|GLib-WARNING|GLib-GObject-WARNING" "$1"; }
fits="python3 $src/tests/plugin/dialog_fits.py"
# The Help button's page, installed with the plug-in's help domain.
helpdir=$(dirname "$plugin")/help/en
help_ok() { grep -q 'id="plug-in-vk-adain" ref="index.html"' "$helpdir/gimp-help.xml" && [ -s "$helpdir/index.html" ]; }

dialog dialog
if [ -s "$tmp/dialog.xwininfo" ] && ! criticals "$tmp/dialog.log" && help_ok \
   && out=$($fits "$tmp/dialog.xwininfo" "$tmp/dialog.log" $screen 1 300); then
  echo "# $out"
  echo "# help page: ${helpdir#$tmp/dest}/index.html"
  if [ -n "$shot" ] && [ -f "$tmp/dialog.png" ]; then cp "$tmp/dialog.png" "$shot"; echo "# screenshot: $shot"; fi
  echo "ok 7 - the dialog opens without GTK/GLib criticals, fits $screen with OK on screen; help installed"
else
  echo "# ${out:-no window}"
  sed 's/^/# dialog: /' "$tmp/dialog.log"
  echo "not ok 7 - the dialog opens without GTK/GLib criticals, fits $screen with OK on screen; help installed"
fi

# ---- 8. the dialog without a model ------------------------------------------------------
mkdir -p "$tmp/no-models"
dialog nomodel VK_ADAIN_MODELS=$tmp/no-models XDG_DATA_HOME=$tmp/no-models
if [ -s "$tmp/nomodel.xwininfo" ] && ! criticals "$tmp/nomodel.log" \
   && out=$($fits "$tmp/nomodel.xwininfo" "$tmp/nomodel.log" $screen 0) \
   && grep -q "vka-dialog: status: No style model is installed — see Help" "$tmp/nomodel.log"; then
  echo "# $out"
  if [ -n "$shot" ] && [ -f "$tmp/nomodel.png" ]; then
    cp "$tmp/nomodel.png" "${shot%.png}-nomodel.png"; echo "# screenshot: ${shot%.png}-nomodel.png"
  fi
  echo "ok 8 - without a model the dialog fits $screen, OK is disabled, the message is plain"
else
  echo "# ${out:-no window}"
  sed 's/^/# dialog: /' "$tmp/nomodel.log"
  echo "not ok 8 - without a model the dialog fits $screen, OK is disabled, the message is plain"
fi
