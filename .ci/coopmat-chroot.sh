#!/usr/bin/env bash
# The cooperative-matrix 3×3 kernel on a CPU driver that has it: in the
# Debian 13 chroot of .ci/trixie-chroot.sh (Mesa from trixie-backports,
# whose lavapipe offers VK_KHR_cooperative_matrix; glslang 15, which
# compiles GL_KHR_cooperative_matrix), checks with vulkaninfo that the
# extension is offered, builds the tests with -Dcoopmat=enabled and runs
# `meson test --suite coopmat` on lavapipe with the validation layer on; a
# skipped case fails here (VKA_TEST_REQUIRE_COOPMAT=1). About three minutes.
#
#   sudo .ci/coopmat-chroot.sh
#
# Environment: VKA_TRIXIE and VKA_DEBIAN_MIRROR (.ci/trixie-chroot.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E "$0" "$@"
fi

source .ci/trixie-chroot.sh
trixie_prepare "$root"

trixie_exec '
export VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.json
info=$(vulkaninfo 2>/dev/null)
echo "$info" | grep -E "^[[:space:]]*(deviceName|driverInfo)" | sort -u
if ! grep -q VK_KHR_cooperative_matrix <<< "$info"; then
  echo "coopmat-chroot.sh: lavapipe ($VK_DRIVER_FILES) does not offer VK_KHR_cooperative_matrix" >&2
  exit 1
fi
build=/var/tmp/vka-build-coopmat
opts="-Dcoopmat=enabled -Dgimp=disabled -Dcpu_backend=disabled -Dgegl_op=disabled -Dmpi=disabled
      -Dbench=false"
wipe=
[ -f $build/build.ninja ] && wipe=--wipe
meson setup $wipe $build /src/vk-adain $opts > /var/tmp/coopmat-setup.log \
  || { cat /var/tmp/coopmat-setup.log; exit 1; }
# only what the suite runs
ninja -C $build tests/test-ops tests/test-network tests/test-device tests/test-tuning
VKA_TEST_REQUIRE_COOPMAT=1 meson test -C $build --no-rebuild --suite coopmat --print-errorlogs
# which shapes the device offers (test-device-coopmat logs them)
grep -h "cooperative matrices:" $build/meson-logs/testlog.txt | sort -u
python3 - $build/meson-logs/testlog.json <<PY
import json, sys
results = [json.loads(line)["result"] for line in open(sys.argv[1])]
if not results or any(r != "OK" for r in results):
    sys.exit(f"coopmat suite: {results}")
print(f"coopmat suite: {len(results)} tests OK")
PY
' LANG=C.UTF-8
