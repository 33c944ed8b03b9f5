# gimp-session.sh — shell shared by the GIMP tests (test-gimp2.sh,
# test-gimp3.sh) and docs/screenshots.sh; sourced, defines functions only.

# vka_install BUILD DEST: installs BUILD into the throwaway DEST (the layout
# a user gets) and sets vka_plugin (the plug-in's executable) and
# vka_plugdir (the plug-ins folder for gimprc's plug-in-path). Returns 1,
# with meson's output, if that fails or the tree has no plug-in.
vka_install() {
  local build=$1 dest=$2
  if ! meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$dest.log" 2>&1; then
    cat "$dest.log"
    return 1
  fi
  vka_plugin=$(find "$dest" -path '*/plug-ins/vk-adain/vk-adain' -type f | head -n1)
  [ -n "$vka_plugin" ] || return 1
  vka_plugdir=$(dirname "$(dirname "$vka_plugin")")
}

# vka_gimprc PROFILE PLUGDIR: a fresh GIMP profile whose plug-in path adds
# PLUGDIR.
vka_gimprc() {
  mkdir -p "$1"
  cat >"$1/gimprc" <<RC
(plug-in-path "\${gimp_dir}/plug-ins:\${gimp_plug_in_dir}/plug-ins:$2")
RC
}

# vka_wait_window PATTERN SECONDS: prints the id of the first window whose
# xwininfo -tree line matches the extended regex PATTERN (its name is in
# double quotes there), waiting up to SECONDS for it; 1 if none came.
vka_wait_window() {
  local i id
  for i in $(seq 1 "$2"); do
    id=$(xwininfo -root -tree 2>/dev/null | grep -E "$1" | awk '{print $1}' | head -n1)
    if [ -n "$id" ]; then
      echo "$id"
      return 0
    fi
    sleep 1
  done
  return 1
}

# vka_pointer X Y: moves the pointer of $DISPLAY (Xvfb starts it in the
# middle of the screen, where it raises tooltips over a dialog).
vka_pointer() {
  python3 - "$1" "$2" <<'PY'
import ctypes, ctypes.util, sys
x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XDefaultRootWindow.restype = ctypes.c_ulong
x11.XWarpPointer.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong] + [ctypes.c_int] * 2 + [ctypes.c_uint] * 2 + [ctypes.c_int] * 2
x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
d = x11.XOpenDisplay(None)
if d:
    x11.XWarpPointer(d, 0, x11.XDefaultRootWindow(d), 0, 0, 0, 0, int(sys.argv[1]), int(sys.argv[2]))
    x11.XCloseDisplay(d)
PY
}
