#!/bin/bash
# bench/device/run.sh — GPU checks and figures, on a machine lent with an
# NVIDIA GPU (see bench/RESULTS.md). Expects bench/device/bundle.sh's output
# in .gpu/ and writes its logs to $OUT (or /tmp/vka-device-out).
set -u
G=$PWD/.gpu
OUT=${OUT:-/tmp/vka-device-out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$G/lib GEGL_PATH=$G/gegl-0.4 BABL_PATH=$G/babl-0.1
export VK_LAYER_PATH=$G/layers XDG_CACHE_HOME=/tmp/vka-cache
B=$G/build
log=$OUT/device.log
say () { echo "== $*" | tee -a "$log"; }

if ! "$B/cli/vk-adain" --list-devices >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
say devices
"$B/cli/vk-adain" --list-devices 2>&1 | tee -a "$log"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee -a "$log"

if [ "${SKIP_TESTS:-0}" != 1 ]; then
say "tests on the GPU, validation layer on (in parallel)"
run_test () {   # name, variant, binary, args...
  local name=$1 variant=$2
  shift 2
  VKA_VALIDATION=1 VKA_CONV3X3=$variant timeout 240 "$@" --tap > "$OUT/t-$name.log" 2>&1
  echo "$name: rc=$? $(grep -c '^ok' "$OUT/t-$name.log") ok, $(grep -c '^not ok' "$OUT/t-$name.log") not ok"
}
{
  run_test ops-gemm gemm "$B/tests/test-ops" --backend vulkan &
  run_test ops-direct direct "$B/tests/test-ops" --backend vulkan &
  run_test network-gemm gemm "$B/tests/test-network" --backend vulkan &
  run_test network-direct direct "$B/tests/test-network" --backend vulkan &
  run_test ops-winograd winograd "$B/tests/test-ops" --backend vulkan &
  run_test network-winograd winograd "$B/tests/test-network" --backend vulkan &
  run_test device "" "$B/tests/test-device" &
  run_test tuning "" "$B/tests/test-tuning" &
  run_test backward "" "$B/tests/test-backward" &
  run_test train "" "$B/tests/test-train" &
  run_test backward-direct direct "$B/tests/test-backward" &
  [ -x "$B/tests/training/test-trainer" ] &&
    VKA_TRAIN=$B/training/vk-adain-train VKA_TEST_VGG=$PWD/tests/cli/golden/vgg.pth \
    run_test trainer "" "$B/tests/training/test-trainer" &
  wait
} 2>&1 | tee -a "$log"
# keep only the failing tests' lines, to stay within what comes back
for f in "$OUT"/t-*.log; do
  grep -B2 -A8 -E '^not ok|Bail out|ERROR' "$f" | head -40 >> "$OUT/test-failures.log"
  rm -f "$f"
done
fi

# "tuned": each layer's kernel measured on the GPU (the default there)
for v in ${VARIANTS:-tuned gemm direct}; do
  say "bench 512, VKA_CONV3X3=$v"
  [ "$v" = tuned ] && v=
  VKA_CONV3X3=$v timeout 120 "$B/bench/vk-adain-bench" --size 512 --reps 10 --throughput 100 \
    --device NVIDIA 2>&1 | tee -a "$log"
done
say "kernels measured per layer shape"
cat "$XDG_CACHE_HOME"/vk-adain/tuning-*.ini 2>&1 | tee -a "$log"
say "bench 2048 (default variant)"
timeout 120 "$B/bench/vk-adain-bench" --size 2048 --reps 3 --throughput 10 --device NVIDIA 2>&1 |
  tee -a "$log"
say "PyTorch CUDA on the same network, same run"
timeout 180 python3 bench/compare --size 512,1024,2048 --reps 10 --device NVIDIA \
  --torch-device cuda --bench "$B/bench/vk-adain-bench" 2>&1 | tee -a "$log"

say "CLI end to end, cold start (empty caches) then warm"
timeout 120 bash bench/cold-start --build "$B" --device NVIDIA --runs 3 --size 0 2>&1 |
  tee -a "$log"
if [ -x "$B/training/vk-adain-train" ]; then
  say "training bench"
  timeout 120 "$B/bench/vk-adain-bench" --train --device NVIDIA 2>&1 | tee -a "$log"
fi
say done
