#!/bin/bash
# bench/device/bundle.sh BUILD DEST — gather a release build and the shared
# libraries it needs (beyond glibc and the C++ runtime, which any Linux has)
# into DEST, so that bench/device/run.sh can run it on a machine that has a
# Vulkan GPU driver but not our dependencies. Used for the GPU figures in
# bench/RESULTS.md; the machine it ran on had Ubuntu 24.04's glibc.
set -euo pipefail
build=$1
dest=$2
rm -rf "$dest"
mkdir -p "$dest/lib" "$dest/layers" "$dest/build"

binaries=(cli/vk-adain bench/vk-adain-bench tests/test-ops tests/test-network
          tests/test-backward tests/test-train tests/test-device)
[ -x "$build/training/vk-adain-train" ] &&
  binaries+=(training/vk-adain-train tests/training/test-trainer)
for b in "${binaries[@]}"; do
  install -D "$build/$b" "$dest/build/$b"
done

multiarch=/usr/lib/x86_64-linux-gnu
mkdir -p "$dest/gegl-0.4" "$dest/babl-0.1"
for m in gegl-core gegl-common gegl-common-x86_64-v2 gegl-common-x86_64-v3 \
         gegl-generated gegl-generated-x86_64-v2 gegl-generated-x86_64-v3 \
         transformops gegl-transformops-x86_64-v2 gegl-transformops-x86_64-v3 \
         png-load png-save jpg-load jpg-save tiff-load webp-load; do
  cp "$multiarch/gegl-0.4/$m.so" "$dest/gegl-0.4/"
done
cp -r "$multiarch/babl-0.1/." "$dest/babl-0.1/"
cp "$multiarch/libvulkan.so.1" "$dest/lib/"
cp "$multiarch/libVkLayer_khronos_validation.so" "$dest/layers/"
sed 's|"library_path": "[^"]*"|"library_path": "./libVkLayer_khronos_validation.so"|' \
  /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json \
  > "$dest/layers/VkLayer_khronos_validation.json"

skip='^(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libstdc\+\+|libgcc_s)[.]'
find "$dest" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
  xargs -0 -n1 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
  sort -u | while read -r name path; do
    [[ $name =~ $skip ]] || cp -L "$path" "$dest/lib/$name"
  done
du -sh "$dest"
