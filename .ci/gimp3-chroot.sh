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
# Environment: VKA_TRIXIE (the chroot, default /var/tmp/vka-trixie; reused
# when present), VKA_DEBIAN_MIRROR (default: the Debian archive this host's
# own apt sources use), VKA_CHROOT_RUN (a command run in the chroot after
# the build, in place of the tests: docs/screenshots.sh uses it).
# Needs root (debootstrap, chroot, bind mounts) and the debootstrap package.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
chroot_dir=${VKA_TRIXIE:-/var/tmp/vka-trixie}
# The first main-archive URI of the host's apt sources (one-line
# sources.list entries or deb822 .sources files), not its security archive.
host_debian_mirror() {
  {
    cat /etc/apt/sources.list 2>/dev/null | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; break } }'
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
  } | grep -E '^https?://' | grep -v -- '-security' | grep -E '/debian/?$' | head -n 1
}
mirror=${VKA_DEBIAN_MIRROR:-$(host_debian_mirror)}
if [ -z "$mirror" ]; then
  echo "gimp3-chroot.sh: no Debian archive in this host's apt sources; set VKA_DEBIAN_MIRROR" >&2
  exit 1
fi
shot=${1:-}
packages=(gimp libgimp-3.0-dev meson ninja-build gcc pkg-config python3 glslang-tools
          spirv-tools libvulkan-dev mesa-vulkan-drivers libgegl-dev libglib2.0-dev libdnnl-dev gettext
          python3-gi xvfb xauth x11-utils xdotool imagemagick gegl)

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

# 1. The chroot (about a minute and 2 GB the first time).
if [ ! -x "$chroot_dir/usr/bin/apt-get" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap; }
  debootstrap --variant=minbase trixie "$chroot_dir" "$mirror"
fi
cp /etc/resolv.conf "$chroot_dir/etc/resolv.conf" 2>/dev/null || true

# 2. Mounts: the source tree (read-only is enough: the build goes to /var/tmp
# inside), /proc (the CLI reads /proc/self/exe) and /dev. Undone on exit.
mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mkdir -p "$chroot_dir/src/vk-adain"
mount --bind "$root" "$chroot_dir/src/vk-adain" && mounts+=("$chroot_dir/src/vk-adain")
mount -o remount,bind,ro "$chroot_dir/src/vk-adain" || true
mount -t proc proc "$chroot_dir/proc" && mounts+=("$chroot_dir/proc")
mount --bind /dev "$chroot_dir/dev" && mounts+=("$chroot_dir/dev")
mkdir -p "$chroot_dir/dev/shm" 2>/dev/null || true

# 3. Packages (apt skips what is there), build, test.
status=0
chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
  DEBIAN_FRONTEND=noninteractive VKA_CHROOT_RUN="${VKA_CHROOT_RUN:-}" bash -euo pipefail -c "
missing=()
for p in ${packages[*]}; do
  dpkg-query -W -f='\${Status}' \"\$p\" 2>/dev/null | grep -q 'install ok installed' || missing+=(\"\$p\")
done
if [ \${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \"\${missing[@]}\"
fi
for f in /usr/share/vulkan/icd.d/lvp_icd.x86_64.json /usr/share/vulkan/icd.d/lvp_icd.json; do
  [ -f \$f ] && export VK_DRIVER_FILES=\$f && break
done
build=/var/tmp/vka-build-gimp3
# Debian 13 has oneDNN 3.x: the CPU backend's 3.x branch is compiled here
opts=\"-Dgimp=3 -Dcpu_backend=enabled -Dbench=false -Dtests=false -Dprefix=/opt/vk-adain\"
if [ -f \$build/build.ninja ]; then
  meson setup --wipe \$build /src/vk-adain \$opts
else
  meson setup \$build /src/vk-adain \$opts
fi
ninja -C \$build
if [ -n \"\$VKA_CHROOT_RUN\" ]; then
  eval \"\$VKA_CHROOT_RUN\"
  exit
fi
bash /src/vk-adain/tests/plugin/test-gimp3.sh \$build /var/tmp/gimp3-dialog.png | tee /var/tmp/gimp3-test.log
# The GEGL operation in Debian 13's gegl program, as the host's gegl-op test.
bash /src/vk-adain/tests/plugin/test-gegl-op.sh \$build/plugin/gegl/vk-adain-gegl.so \
  \$build/cli/vk-adain /opt/vk-adain/share/vk-adain | tee /var/tmp/gegl-op-test.log
! grep -Eq '^(not ok|Bail out)' /var/tmp/gimp3-test.log /var/tmp/gegl-op-test.log
" || status=$?
if [ -n "$shot" ] && [ -f "$chroot_dir/var/tmp/gimp3-dialog.png" ]; then
  cp "$chroot_dir/var/tmp/gimp3-dialog.png" "$shot"
  [ -f "$chroot_dir/var/tmp/gimp3-dialog-nomodel.png" ] \
    && cp "$chroot_dir/var/tmp/gimp3-dialog-nomodel.png" "${shot%.png}-nomodel.png"
fi
exit $status
