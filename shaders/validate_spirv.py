#!/usr/bin/env python3
"""Run spirv-val on a module; write a stamp file when it passes."""
import subprocess
import sys

spirv_val, module, stamp = sys.argv[1:4]
result = subprocess.run([spirv_val, "--target-env", "vulkan1.1", module])
if result.returncode != 0:
    sys.exit(f"spirv-val rejected {module}")
with open(stamp, "w") as f:
    f.write("ok\n")
