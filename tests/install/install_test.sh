#!/usr/bin/env bash
# Installs a qbake build to a fresh prefix, builds tests/install/consumer against the
# installed package alone, and has it bake every e2e case as PPQ does.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
source="$(cd "$2" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for file in lib/cmake/qbake/qbakeConfig.cmake lib/libqbake_core.a lib/libqbake_client.a \
            include/qbake/core/bake_session.h include/qbake/client/model_baker.h \
            include/qbake/qbake/v1/bake.pb.h bin/qbake bin/qbake-server; do
  [[ -e "$work/prefix/$file" ]] || { echo "install: no $file in the prefix" >&2; exit 1; }
done
# Every project header an installed header includes is installed too (core/kernels/
# and core/json/ are not: no public header may need them).
missing=0
while IFS= read -r header; do
  while IFS= read -r include; do
    if [[ ! -e "$work/prefix/include/qbake/$include" ]]; then
      echo "install: ${header#"$work/prefix/"} includes $include, which is not installed" >&2
      missing=1
    fi
  done < <(sed -n 's/^#include "\(\(core\|common\|proto\|client\|qbake\|google\/rpc\)\/[^"]*\)".*/\1/p' "$header")
done < <(find "$work/prefix/include/qbake" -name '*.h')
[[ $missing -eq 0 ]] || exit 1
[[ ! -e "$work/prefix/include/qbake/core/kernels" && ! -e "$work/prefix/include/qbake/core/json" ]] ||
  { echo "install: core/kernels/ or core/json/ was installed" >&2; exit 1; }
# The package must not lead back into the build or the source tree.
if grep -rlF -e "$source" -e "$build" "$work/prefix/lib/cmake"; then
  echo "install: the package above names the build or source tree" >&2
  exit 1
fi

cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" >/dev/null
for case in "$source"/tests/data/ppq_e2e/*/; do
  echo -n "$(basename "$case"): "
  "$work/consumer/qbake_consumer" "$case/model.onnx" "$case/ppq_config.json" \
    "$case/expected_baked.onnx"
done
