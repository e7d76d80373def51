#!/usr/bin/env bash
# Builds ipvsd_<version>_amd64.deb (debian/, docs/operations.md) with dpkg-buildpackage in a
# copy of the tree, so that the source directory never holds a package build, and leaves it
# in OUTDIR. JOBS (default 2) bounds the build's parallelism.
set -euo pipefail
out=$(realpath -m "${1:?usage: build_deb.sh OUTDIR}")
src=$(cd "$(dirname "$0")/.." && pwd)
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
cmake_version=$(sed -n 's/^project(ipvsd VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
if [ "$version" != "$cmake_version" ]; then
  echo "build_deb.sh: debian/changelog says $version, CMakeLists.txt $cmake_version" >&2
  exit 1
fi
work=$(mktemp -d /tmp/ipvsd-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
tree="$work/ipvsd-$version"
mkdir "$tree"
# The sources only: no build directories, no VCS data.
tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$tree" -xf -
echo "build_deb.sh: building ipvsd $version in $tree"
if ! (cd "$tree" && DEB_BUILD_OPTIONS="parallel=${JOBS:-2} nocheck" dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log" >&2
  exit 1
fi
mkdir -p "$out"
cp "$work/ipvsd_${version}_amd64.deb" "$out/"
echo "$out/ipvsd_${version}_amd64.deb"
