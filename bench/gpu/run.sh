#!/bin/sh
# The GPU check as one command: bench/gpu/run.sh [--dry-run] [--out FILE] [--work DIR] [--budget-s N]
# Inside a bundle built by `npx tsx bench/gpu/build-bundle.ts` (this file beside payload.tar.xz): unpacks the
# bundle's own Node, code and CUDA ONNX Runtime libraries into a temporary folder, runs the check with them and
# removes the folder (MEGREZ_CHECK_DIR picks where; it is then kept). Needs no Node and no network on the host,
# only xz (or python3) to unpack and the host's CUDA 13 libraries (cuBLAS, cudart, curand) and NVIDIA driver.
# In a repository checkout: runs bench/gpu/check.ts with the checkout's Node and tsx.
# The report goes to --out (default ./gpu-check-report.md); exit status 1 when parity or a section fails.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$here/payload.tar.xz" ]; then
  root=$(cd "$here/../.." && pwd)
  MEGREZ_CHECK_COMMIT=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  export MEGREZ_CHECK_COMMIT
  cd "$root"
  exec node --import tsx bench/gpu/check.ts "$@"
fi

if [ -n "${MEGREZ_CHECK_DIR:-}" ]; then
  work=$MEGREZ_CHECK_DIR
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/megrez-gpu-check.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
fi

if command -v xz >/dev/null 2>&1; then
  xz -dc "$here/payload.tar.xz" | tar -xf - -C "$work"
elif command -v python3 >/dev/null 2>&1; then
  python3 -c 'import lzma, sys, tarfile; tarfile.open(fileobj=lzma.open(sys.argv[1]), mode="r|").extractall(sys.argv[2])' "$here/payload.tar.xz" "$work"
else
  echo "gpu check: needs xz or python3 to unpack payload.tar.xz" >&2
  exit 1
fi

MEGREZ_CHECK_COMMIT=$(cat "$work/VERSION")
export MEGREZ_CHECK_COMMIT
status=0
"$work/node" "$work/check.mjs" --synthetic-image "$@" || status=$?
exit "$status"
