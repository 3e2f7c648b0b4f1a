#!/usr/bin/env bash
# Builds what the real-Thanos suites (test/e2e/thanos-*.test.ts) run, once, and prints the paths.
#
#   build.sh [thanos]          the Thanos version examples/stack/thanos-stack.yaml pins (common.version)
#   build.sh remote-write      the remote-write client in ./remote-write (Go, prometheus/prompb + prometheus/common)
#   build.sh moto              a Python venv with moto[server] (S3 + STS stand-in) from PyPI; prints its moto_server
#   build.sh all               all three, one `name=path` line each
#
# Everything is cached under ${XDG_CACHE_HOME:-$HOME/.cache}/thanos-gitops, keyed by the inputs that decide its
# content (version, build tags, this script, the client's sources), and built under a lock so that a CI step and
# the test setup never build twice at once. Needs: the Go toolchain and the Go module proxy (Thanos, the client),
# python3 with venv and PyPI (moto). A cold Thanos build takes about 15 minutes on 2 cores and 1.6 GB of memory.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/thanos-gitops"
script_sum="$(sha256sum "$here/build.sh" | cut -c1-16)"

# Thanos's .promu.yml builds with these tags. Without slicelabels the binary starts and accepts every flag, but
# every receive ingestor panics on the first gRPC Info call from a querier.
THANOS_TAGS=netgo,slicelabels
MOTO_VERSION=5.2.5

fail() { echo "test/thanos/build.sh: $*" >&2; exit 1; }
need_go() { command -v go >/dev/null || fail "the Go toolchain (go) is not on PATH; install Go >= 1.26 (https://go.dev/dl/), then run: bash test/thanos/build.sh all"; }

with_lock() { # name: serialises builds of one artefact across processes
  mkdir -p "$cache"
  exec 9>"$cache/$1.lock"
  flock 9
}

thanos_version() {
  local example="$root/examples/stack/thanos-stack.yaml" version
  version="$(sed -n 's/^  version: \(v[0-9][0-9.]*\)[[:space:]]*$/\1/p' "$example" | head -n1)"
  [ -n "$version" ] || fail "cannot read common.version (e.g. '  version: v0.42.4') from $example"
  echo "$version"
}

build_thanos() {
  local version bin key
  version="$(thanos_version)"
  key="$(printf '%s\n%s\n%s\n' "$version" "$THANOS_TAGS" "$script_sum" | sha256sum | cut -c1-16)"
  bin="$cache/thanos-$version-$key"
  if [ -x "$bin" ]; then echo "$bin"; return; fi
  need_go
  with_lock "thanos-$version"
  if [ -x "$bin" ]; then echo "$bin"; return; fi

  echo "build.sh: building Thanos $version (tags $THANOS_TAGS; a cold build takes ~15 min on 2 cores)..." >&2
  local start dir src tmp
  start=$(date +%s)
  # `go install ...@version` refuses Thanos (its go.mod has replace directives): build inside a copy of the module.
  dir="$(go mod download -json "github.com/thanos-io/thanos@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$dir" ] && [ -d "$dir" ] || fail "go mod download github.com/thanos-io/thanos@$version gave no module directory (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
  src="$cache/thanos-src-$version"
  rm -rf "$src.tmp.$$"
  cp -r "$dir" "$src.tmp.$$"
  chmod -R u+w "$src.tmp.$$"
  rm -rf "$src"
  mv "$src.tmp.$$" "$src"
  tmp="$bin.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  # -trimpath keeps the build cache independent of where the copy lives, so any copy of this version hits it.
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -tags "$THANOS_TAGS" \
    -ldflags "-X github.com/prometheus/common/version.Version=${version#v}" -o "$tmp" ./cmd/thanos) \
    || fail "go build of Thanos $version failed (output above); it needs ~1.6 GB of memory"
  mv "$tmp" "$bin"
  trap - EXIT
  rm -rf "$src"
  find "$cache" -maxdepth 1 -name 'thanos-v*' ! -name "thanos-$version-$key" ! -name '*.lock' -type f -mmin +1440 -delete
  echo "build.sh: built $bin in $(( $(date +%s) - start ))s" >&2
  echo "$bin"
}

build_remote_write() {
  local src="$here/remote-write" key bin
  key="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" "$here/build.sh" | sha256sum | cut -c1-16)"
  bin="$cache/remote-write-$key"
  if [ -x "$bin" ]; then echo "$bin"; return; fi
  need_go
  with_lock remote-write
  if [ -x "$bin" ]; then echo "$bin"; return; fi
  local start tmp
  start=$(date +%s)
  tmp="$bin.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  (cd "$src" && GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 go build -trimpath -o "$tmp" .) \
    || fail "go build of the remote-write client ($src) failed (output above)"
  mv "$tmp" "$bin"
  trap - EXIT
  find "$cache" -maxdepth 1 -name 'remote-write-*' ! -name "remote-write-$key" ! -name '*.lock' -type f -mmin +1440 -delete
  echo "build.sh: built $bin in $(( $(date +%s) - start ))s" >&2
  echo "$bin"
}

build_moto() {
  local key venv
  key="$(printf '%s\n%s\n' "$MOTO_VERSION" "$script_sum" | sha256sum | cut -c1-16)"
  venv="$cache/moto-$MOTO_VERSION-$key"
  if [ -x "$venv/bin/moto_server" ] && [ -f "$venv/.complete" ]; then echo "$venv/bin/moto_server"; return; fi
  command -v python3 >/dev/null || fail "python3 is not on PATH; install it (apt-get install -y python3 python3-venv), then run: bash test/thanos/build.sh all"
  with_lock moto
  if [ -x "$venv/bin/moto_server" ] && [ -f "$venv/.complete" ]; then echo "$venv/bin/moto_server"; return; fi
  local start
  start=$(date +%s)
  rm -rf "$venv"
  python3 -m venv "$venv" || fail "python3 -m venv failed; install python3-venv (apt-get install -y python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2 \
    || fail "pip install moto[server]==$MOTO_VERSION failed (is PyPI reachable?)"
  touch "$venv/.complete"
  echo "build.sh: installed moto $MOTO_VERSION into $venv in $(( $(date +%s) - start ))s" >&2
  echo "$venv/bin/moto_server"
}

case "${1:-thanos}" in
  thanos) build_thanos ;;
  remote-write) build_remote_write ;;
  moto) build_moto ;;
  all)
    # Subshells: each build takes its own lock on fd 9.
    echo "moto=$(build_moto)"
    echo "remote-write=$(build_remote_write)"
    echo "thanos=$(build_thanos)"
    ;;
  *) fail "unknown target '$1': use thanos, remote-write, moto or all" ;;
esac
