# trixie-chroot.sh — sourced (as root) by .ci/gimp3-chroot.sh and
# .ci/coopmat-chroot.sh: the Debian 13 (trixie) chroot both build and test
# in, its packages, and the mounts they need.
#
# Environment: VKA_TRIXIE (the chroot, default /var/tmp/vka-trixie; reused
# when present), VKA_DEBIAN_MIRROR (default: the Debian archive this host's
# own apt sources use). Needs the debootstrap package the first time.
#
# Mesa comes from trixie-backports (26.x): its lavapipe offers
# VK_KHR_cooperative_matrix, which trixie's Mesa 25 lacks; the GIMP 3 tests
# run on the same driver.

trixie_dir=${VKA_TRIXIE:-/var/tmp/vka-trixie}

# Everything both scripts use, from trixie; then what comes from
# trixie-backports.
trixie_packages=(gimp libgimp-3.0-dev meson ninja-build gcc pkg-config python3 glslang-tools
                 spirv-tools libvulkan-dev mesa-vulkan-drivers libgegl-dev libglib2.0-dev
                 libdnnl-dev gettext python3-gi xvfb xauth x11-utils xdotool imagemagick gegl
                 vulkan-validationlayers vulkan-tools)
trixie_backports_packages=(mesa-vulkan-drivers)

# The first main-archive URI of the host's apt sources (one-line
# sources.list entries or deb822 .sources files), not its security archive.
host_debian_mirror() {
  {
    cat /etc/apt/sources.list 2>/dev/null | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) { print $i; break } }'
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
  } | grep -E '^https?://' | grep -v -- '-security' | grep -E '/debian/?$' | head -n 1
}

# Runs SCRIPT in the chroot under bash -euo pipefail with a clean
# environment plus the VAR=VALUE arguments.
trixie_exec() {
  local script=$1
  shift
  chroot "$trixie_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    DEBIAN_FRONTEND=noninteractive "$@" bash -euo pipefail -c "$script"
}

# The chroot (about a minute and 2 GB the first time), trixie-backports
# from the same archive, the packages (apt only runs when one is missing),
# and the mounts: the source tree at /src/vk-adain (read-only is enough:
# builds go to /var/tmp inside), /proc (the CLI reads /proc/self/exe) and
# /dev, undone on exit.
trixie_prepare() {
  local root=$1 mirror=${VKA_DEBIAN_MIRROR:-$(host_debian_mirror)}
  if [ -z "$mirror" ]; then
    echo "trixie-chroot.sh: no Debian archive in this host's apt sources; set VKA_DEBIAN_MIRROR" >&2
    return 1
  fi
  if [ ! -x "$trixie_dir/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap; }
    debootstrap --variant=minbase trixie "$trixie_dir" "$mirror"
  fi
  cp /etc/resolv.conf "$trixie_dir/etc/resolv.conf" 2>/dev/null || true
  local backports="deb $mirror trixie-backports main"
  local list=$trixie_dir/etc/apt/sources.list.d/trixie-backports.list
  [ "$(cat "$list" 2>/dev/null)" = "$backports" ] || echo "$backports" > "$list"

  trixie_mounts=()
  trap trixie_cleanup EXIT
  mkdir -p "$trixie_dir/src/vk-adain"
  mount --bind "$root" "$trixie_dir/src/vk-adain" && trixie_mounts+=("$trixie_dir/src/vk-adain")
  mount -o remount,bind,ro "$trixie_dir/src/vk-adain" || true
  mount -t proc proc "$trixie_dir/proc" && trixie_mounts+=("$trixie_dir/proc")
  mount --bind /dev "$trixie_dir/dev" && trixie_mounts+=("$trixie_dir/dev")
  mkdir -p "$trixie_dir/dev/shm" 2>/dev/null || true

  trixie_exec '
missing=()
for p in '"${trixie_packages[*]}"'; do
  dpkg-query -W -f="\${Status}" "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
stale=()
for p in '"${trixie_backports_packages[*]}"'; do
  dpkg-query -W -f="\${Version}" "$p" | grep -q "~bpo" || stale+=("$p")
done
if [ ${#stale[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -t trixie-backports "${stale[@]}"
fi'
}

trixie_cleanup() {
  for ((i = ${#trixie_mounts[@]} - 1; i >= 0; i--)); do
    umount -l "${trixie_mounts[i]}" 2>/dev/null || true
  done
}
