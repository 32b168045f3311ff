#!/usr/bin/env bash
# Keeps docker/Dockerfile honest without a Docker engine: the runtime stage installs
# docker/runtime-packages.txt, so every shared library the shipped binaries load must
# belong to one of those packages (or to libc6/libgcc-s1, present in every Debian
# image); and the Dockerfile keeps its promises (build with the project's install
# script, non-root user, port 50051, a HEALTHCHECK through `qbake health`).
# Usage: runtime_image_test.sh REPO_ROOT BINARY...
set -euo pipefail

root="$1"
shift
dockerfile="$root/docker/Dockerfile"
listed="$root/docker/runtime-packages.txt"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The Debian package that owns a library path (merged /usr: try both spellings).
owner_of() {
  local path="$1" real
  real="$(readlink -f "$path")"
  for candidate in "$path" "/usr$path" "$real" "/usr$real" "${real#/usr}"; do
    if owner="$(dpkg -S "$candidate" 2>/dev/null)"; then
      echo "${owner%%:*}"
      return 0
    fi
  done
  return 1
}

for binary in "$@"; do
  [[ -x "$binary" ]] || { fail "$binary is not an executable"; continue; }
  while read -r library; do
    package="$(owner_of "$library")" || { fail "no Debian package owns $library"; continue; }
    case "$package" in libc6 | libgcc-s1) continue ;; esac
    grep -qx "$package" "$listed" ||
      fail "$(basename "$binary") loads $library from $package, missing in runtime-packages.txt"
  done < <(ldd "$binary" | awk '/=> \//{print $3}')
done

while read -r package; do
  [[ -z "$package" || "$package" == \#* ]] && continue
  dpkg-query -W "$package" >/dev/null 2>&1 || fail "runtime package $package is not a known package"
done <"$listed"

expect_in_dockerfile() {
  grep -Eq "$1" "$dockerfile" || fail "Dockerfile: $2"
}
expect_in_dockerfile '^FROM debian:bookworm AS build' "the build stage is Debian bookworm"
expect_in_dockerfile 'bash \.ci/install-deps' "the build stage installs with .ci/install-deps"
expect_in_dockerfile '^FROM debian:bookworm-slim AS runtime' "the runtime stage is bookworm-slim"
expect_in_dockerfile 'runtime-packages\.txt' "the runtime stage installs runtime-packages.txt"
expect_in_dockerfile '^USER [1-9][0-9]*' "runs as a non-root user"
expect_in_dockerfile '^EXPOSE 50051 50052 9090$' "exposes the service, health and metrics ports"
expect_in_dockerfile 'HEALTHCHECK .*' "has a HEALTHCHECK"
expect_in_dockerfile '"qbake", "health", "--server"' "the HEALTHCHECK runs qbake health"
expect_in_dockerfile '^ENTRYPOINT \["qbake-server"\]$' "the binary alone is the ENTRYPOINT (its flags are the CMD)"
for binary in "$@"; do
  name="$(basename "$binary")"
  dir="$(basename "$(dirname "$binary")")"
  expect_in_dockerfile "/build/$dir/$name" "copies $dir/$name from the build stage"
done

if ((failures > 0)); then
  echo "runtime image: $failures problem(s)"
  exit 1
fi
echo "runtime image: $# binaries and $(grep -cv '^#' "$listed") packages checked"
