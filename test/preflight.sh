#!/usr/bin/env bash
# What the test suites need from the machine, checked before anything is built. Run by `npm test` and `.ci/run`.
# As root it installs missing Debian packages itself; otherwise it stops at once, naming what is missing and the
# command that installs it. The Go builds (kube-apiserver, Thanos, the remote-write client) and the Python venv
# (moto) are cached by content under ~/.cache/thanos-gitops by test/apiserver/build.sh and test/thanos/build.sh.
set -euo pipefail

# command -> Debian package
declare -A packages=(
  [jsonnet]=jsonnet       # the jsonnet source and the kube-thanos differential oracle
  [aws]=awscli            # EKS token oracle
  [faketime]=faketime     # EKS token oracle at fixed times
  [openssl]=openssl       # certificate chain checks
  [git]=git               # git base refs
  [unshare]=util-linux    # the pod runner's private /etc/hosts
  [flock]=util-linux      # build locks
  [script]=bsdutils       # a pseudo-terminal for the progress tests
)

missing=()
for command in "${!packages[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${packages[$command]}")
done
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test/preflight.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test/preflight.sh: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

for tool in go kubectl; do
  command -v "$tool" >/dev/null 2>&1 && continue
  case "$tool" in
    go) echo "test/preflight.sh: the Go toolchain (go >= 1.26) is not on PATH: it builds the test kube-apiserver and Thanos; install it from https://go.dev/dl/" >&2 ;;
    kubectl) echo "test/preflight.sh: kubectl is not on PATH: the e2e suites compare with it; install it from https://kubernetes.io/docs/tasks/tools/" >&2 ;;
  esac
  exit 1
done
if [ "$(id -u)" != 0 ]; then
  echo "test/preflight.sh: the real-Thanos suites need root (unshare -m for a private /etc/hosts, port 443 on 127.x for the S3 stand-in); run npm test as root, e.g. in a container" >&2
  exit 1
fi
