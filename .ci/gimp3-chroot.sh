#!/usr/bin/env bash
# Builds vk-adain with the GIMP 3.0 front-end (-Dgimp=3) in a Debian 13
# (trixie) chroot, installs it into a throwaway prefix and runs the GIMP 3
# tests (tests/plugin/test-gimp3.sh: Python-Fu batch vs the CLI, a missing
# style, the GEGL operation as a drawable filter, the dialog under Xvfb) and
# the GEGL operation in Debian 13's gegl program (tests/plugin/test-gegl-op.sh).
# Debian 12 has only GIMP 2.10.
#
#   sudo .ci/gimp3-chroot.sh [SCREENSHOT.png]
#
# Environment: VKA_TRIXIE and VKA_DEBIAN_MIRROR (the chroot and its
# archive: .ci/trixie-chroot.sh), VKA_CHROOT_RUN (a command run in the
# chroot after the build, in place of the tests: docs/screenshots.sh uses
# it). Needs root (debootstrap, chroot, bind mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shot=${1:-}

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

source .ci/trixie-chroot.sh
trixie_prepare "$root"

status=0
trixie_exec '
for f in /usr/share/vulkan/icd.d/lvp_icd.x86_64.json /usr/share/vulkan/icd.d/lvp_icd.json; do
  [ -f $f ] && export VK_DRIVER_FILES=$f && break
done
build=/var/tmp/vka-build-gimp3
# Debian 13 has oneDNN 3.x: the 3.x branch of the CPU backend is compiled here
opts="-Dgimp=3 -Dcpu_backend=enabled -Dbench=false -Dtests=false -Dprefix=/opt/vk-adain"
if [ -f $build/build.ninja ]; then
  meson setup --wipe $build /src/vk-adain $opts
else
  meson setup $build /src/vk-adain $opts
fi
ninja -C $build
if [ -n "$VKA_CHROOT_RUN" ]; then
  eval "$VKA_CHROOT_RUN"
  exit
fi
bash /src/vk-adain/tests/plugin/test-gimp3.sh $build /var/tmp/gimp3-dialog.png | tee /var/tmp/gimp3-test.log
# The GEGL operation in the gegl program of Debian 13, as the gegl-op test on the host.
bash /src/vk-adain/tests/plugin/test-gegl-op.sh $build/plugin/gegl/vk-adain-gegl.so \
  $build/cli/vk-adain /opt/vk-adain/share/vk-adain | tee /var/tmp/gegl-op-test.log
! grep -Eq "^(not ok|Bail out)" /var/tmp/gimp3-test.log /var/tmp/gegl-op-test.log
' VKA_CHROOT_RUN="${VKA_CHROOT_RUN:-}" || status=$?
if [ -n "$shot" ] && [ -f "$trixie_dir/var/tmp/gimp3-dialog.png" ]; then
  cp "$trixie_dir/var/tmp/gimp3-dialog.png" "$shot"
  [ -f "$trixie_dir/var/tmp/gimp3-dialog-nomodel.png" ] \
    && cp "$trixie_dir/var/tmp/gimp3-dialog-nomodel.png" "${shot%.png}-nomodel.png"
fi
exit $status
