#!/usr/bin/env bash
# The screenshots of docs/gimp.md and the README, made with the shipped
# model (models/), the sample photo (models/samples/content.jpg) and the
# shipped style gallery (models/styles/, see its SOURCES.md) under Xvfb:
#   docs/gimp2-dialog.jpg  the GIMP 2.10 dialog (this host's GIMP 2.10 build)
#   docs/gimp3-dialog.jpg  the GIMP 3.0 dialog (in .ci/gimp3-chroot.sh's
#                          Debian 13 chroot)
#   docs/gimp3-filter.jpg  GIMP 3.0's window with the GEGL filter on the
#                          photo's layer (plain: the filter tool's split view
#                          is not reachable from a script)
#
#   sudo docs/screenshots.sh [HOST_BUILD_DIR]     (default: build, -Dgimp=2)
#
# Root for the chroot. The GIMP machinery (install into a throwaway
# folder, a fresh profile, waiting for a window) is the tests', from
# tests/plugin/gimp-session.sh. The JPEGs are quality 85, lower where a
# file would pass 150 KB.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/tests/plugin/gimp-session.sh"
content=$src/models/samples/content.jpg
style=$src/models/styles/ink-swirls.jpg
screen=1366x768
title='"Style Transfer \(AdaIN\)"'

# session SERIES BUILD TMP: the plug-in installed from BUILD, a profile, the
# shipped model and styles, nothing from the user's own folders.
session() {
  local series=$1 build=$2 tmp=$3
  vka_install "$build" "$tmp/dest" || { echo "screenshots.sh: no plug-in in $build" >&2; exit 1; }
  export GIMP${series}_DIRECTORY=$tmp/profile
  vka_gimprc "$tmp/profile" "$vka_plugdir"
  export VK_ADAIN_MODELS=$src/models VK_ADAIN_STYLES=$src/models/styles
  export XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache XDG_CONFIG_HOME=$tmp/config
  export GEGL_SWAP=RAM LC_ALL=C.UTF-8 LANGUAGE=
}

# to_jpeg PNG JPG
to_jpeg() {
  local q
  for q in 85 80 75 70 65 60; do
    convert "$1" -strip -quality $q "$2"
    [ "$(stat -c %s "$2")" -le 153600 ] && break
  done
  echo "$2: $(stat -c %s "$2") bytes, quality $q"
}

# shoot CMD_FILE WINDOW_PATTERN SETTLE PNG [ROOT]: runs CMD_FILE (a script
# starting GIMP in the background and printing its pid) under Xvfb, waits
# for the window, moves the pointer off it, waits SETTLE seconds for the
# preview or canvas to render and takes the window (the screen with ROOT).
shoot() {
  local cmd=$1 pattern=$2 settle=$3 png=$4 root=${5:-}
  cat >"$cmd.xvfb" <<EOF
#!/usr/bin/env bash
. "$src/tests/plugin/gimp-session.sh"
pid=\$(bash "$cmd")
if id=\$(vka_wait_window '$pattern' 180); then
  vka_pointer 1365 767
  sleep $settle
  if [ -n "$root" ]; then import -window root "$png"; else import -window "\$id" "$png"; fi
fi
kill \$pid 2>/dev/null || true
wait \$pid 2>/dev/null || true
EOF
  xvfb-run -a -s "-screen 0 ${screen}x24" bash "$cmd.xvfb"
  [ -s "$png" ] || { echo "screenshots.sh: no window for $png; log: $cmd.log" >&2; return 1; }
}

gimp2_dialog() { # BUILD JPG
  local tmp
  tmp=$(mktemp -d /tmp/vka-shots2.XXXXXX)
  session 2 "$1" "$tmp"
  cat >"$tmp/run.sh" <<EOF
VKA_PLUGIN_DIALOG_TIMEOUT=90 gimp-console-2.10 -i -d -f -b '
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "$content" "content.jpg")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (catch #f (plug-in-vk-adain RUN-INTERACTIVE image drawable "$style" 1.0 0 512 0)))' \
  -b '(gimp-quit 0)' >"$tmp/run.sh.log" 2>&1 &
echo \$!
EOF
  shoot "$tmp/run.sh" "$title" 20 "$tmp/shot.png" || return 1
  to_jpeg "$tmp/shot.png" "$2"
  rm -rf "$tmp"
}

gimp3_dialog() { # BUILD JPG
  local tmp
  tmp=$(mktemp -d /tmp/vka-shots3.XXXXXX)
  session 3 "$1" "$tmp"
  cat >"$tmp/dialog.py" <<EOF
from gi.repository import Gimp, Gio
img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("$content"))
proc = Gimp.get_pdb().lookup_procedure("plug-in-vk-adain")
cfg = proc.create_config()
cfg.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
cfg.set_property("image", img)
cfg.set_core_object_array("drawables", [img.get_layers()[0]])
cfg.set_property("style-file", Gio.File.new_for_path("$style"))
proc.run(cfg)
EOF
  cat >"$tmp/run.sh" <<EOF
VKA_PLUGIN_DIALOG_TIMEOUT=90 gimp-console-3.0 -i -d -f --batch-interpreter python-fu-eval \
  -b "exec(open('$tmp/dialog.py').read())" --quit >"$tmp/run.sh.log" 2>&1 &
echo \$!
EOF
  shoot "$tmp/run.sh" "$title" 20 "$tmp/shot.png" || return 1
  to_jpeg "$tmp/shot.png" "$2"
  rm -rf "$tmp"
}

# GIMP's window with the filter on the photo's layer (GIMP names the image
# [Untitled]; its welcome dialog is turned off).
gimp3_filter() { # BUILD JPG
  local tmp
  tmp=$(mktemp -d /tmp/vka-shots3f.XXXXXX)
  session 3 "$1" "$tmp"
  local gegl_module
  gegl_module=$(find "$tmp/dest" -name 'vk-adain-gegl.so' -type f | head -n1)
  export GEGL_PATH=$(dirname "$gegl_module"):$(pkg-config --variable=pluginsdir gegl-0.4)
  printf '%s\n' '(show-welcome-dialog no)' >>"$tmp/profile/gimprc"
  cat >"$tmp/filter.py" <<EOF
from gi.repository import Gimp, Gio
img = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path("$content"))
layer = img.get_layers()[0]
flt = Gimp.DrawableFilter.new(layer, "vk-adain:style-transfer", "Style Transfer (AdaIN)")
cfg = flt.get_config()
cfg.set_property("style-file", "$style")
flt.update()
layer.append_filter(flt)
Gimp.Display.new(img)
Gimp.displays_flush()
EOF
  cat >"$tmp/run.sh" <<EOF
gimp-3.0 -f --no-splash --batch-interpreter python-fu-eval \
  -b "exec(open('$tmp/filter.py').read())" >"$tmp/run.sh.log" 2>&1 &
echo \$!
EOF
  shoot "$tmp/run.sh" '"\*?\[.*\].*GIMP"' 40 "$tmp/shot.png" || return 1
  to_jpeg "$tmp/shot.png" "$2"
  rm -rf "$tmp"
}

case ${1:-} in
  --gimp3)   # inside the chroot: BUILD OUT_DIR
    mkdir -p "$3"
    gimp3_dialog "$2" "$3/gimp3-dialog.jpg"
    gimp3_filter "$2" "$3/gimp3-filter.jpg" || echo "screenshots.sh: no filter screenshot" >&2
    ;;
  *)
    build=$(cd "${1:-$src/build}" && pwd)
    [ "$(id -u)" -eq 0 ] || exec sudo -E "$0" "$@"
    gimp2_dialog "$build" "$src/docs/gimp2-dialog.jpg"
    chroot_dir=${VKA_TRIXIE:-/var/tmp/vka-trixie}
    rm -rf "$chroot_dir/var/tmp/vka-shots"
    VKA_CHROOT_RUN="bash /src/vk-adain/docs/screenshots.sh --gimp3 /var/tmp/vka-build-gimp3 /var/tmp/vka-shots" \
      "$src/.ci/gimp3-chroot.sh"
    cp "$chroot_dir/var/tmp/vka-shots/"*.jpg "$src/docs/"
    ;;
esac
