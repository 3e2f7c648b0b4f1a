#!/usr/bin/env bash
# Builds the test kube-apiserver (main.go in this directory) once and prints the binary's path.
# The binary is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/thanos-gitops, keyed by the sha256 of
# everything that decides its content, so a second call only hashes four files.
# Needs only the Go toolchain and the Go module proxy (GOPROXY as configured, proxy.golang.org by default).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" "$here/build.sh" | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/thanos-gitops"
bin="$cache/kube-apiserver-$key"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: the Go toolchain (go) is not on PATH; install Go >= 1.24" >&2; exit 1; }
mkdir -p "$cache"
# Two callers (CI step and test setup) may race; the second waits and then finds the binary.
exec 9>"$cache/kube-apiserver.lock"
flock 9
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

# The served version, so that `kubectl version` and /version report the real release, not v0.0.0-master.
k8s_version="$(sed -n 's|^[[:space:]]*k8s.io/kubernetes \(v[0-9][0-9.]*\)$|\1|p' "$here/go.mod" | head -n1)"
[ -n "$k8s_version" ] || { echo "build.sh: cannot read the k8s.io/kubernetes version from $here/go.mod" >&2; exit 1; }
major="${k8s_version#v}"; major="${major%%.*}"
minor="${k8s_version#v*.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"

echo "build.sh: building kube-apiserver $k8s_version for tests (cold builds take several minutes)..." >&2
start=$(date +%s)
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
# No VCS stamping: the binary is keyed by its inputs, and git may refuse a CI checkout owned by another user.
(cd "$here" && GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -p "${BUILD_PARALLELISM:-2}" -trimpath -ldflags "$ldflags" -o "$tmp" .)
mv "$tmp" "$bin"
# Each change to main.go or the pins leaves a ~100 MB binary behind. Drop those older than a day (not at
# once: a test run still in progress may start another server from the previous binary).
find "$cache" -maxdepth 1 -name 'kube-apiserver-*' ! -name "kube-apiserver-$key" ! -name '*.lock' -type f -mmin +1440 -delete
echo "build.sh: built $bin in $(( $(date +%s) - start ))s" >&2
echo "$bin"
