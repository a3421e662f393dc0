#!/usr/bin/env bash
# Prints "passed failed skipped" counted from a CTest --output-junit file.
# A missing file counts as one failure, so a run that wrote nothing never passes.
f="$1"
if [ ! -s "$f" ]; then echo "0 1 0"; exit 0; fi
awk '
  /<testcase / {
    n++
    if ($0 ~ /status="fail"/) fl++
    else if ($0 ~ /status="(notrun|disabled)"/) sk++
  }
  END { printf "%d %d %d\n", n - fl - sk, fl, sk }' "$f"
