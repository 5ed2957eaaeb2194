#!/usr/bin/env bash
# The test command (README: `npm ci && npm test`). Installs the Debian packages that the
# real-peer tests need (as root, as CI runs), builds, then runs every test; the runner's
# summary is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."

PEERS=(prometheus prometheus-node-exporter prometheus-blackbox-exporter rsyslog systemd-journal-remote openssl podman runc busybox-static lz4 xz-utils)
missing=()
for p in "${PEERS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test.sh: installing real peers: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # The packages' own services are not started here (no systemd as PID 1); tests start them.
    apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >/tmp/vigil-test-apt.log 2>&1 \
      || { apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null 2>&1 && \
           apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}" >>/tmp/vigil-test-apt.log 2>&1; } \
      || { echo "test.sh: apt-get failed, see /tmp/vigil-test-apt.log"; tail -20 /tmp/vigil-test-apt.log; exit 1; }
  else
    echo "test.sh: not root, cannot install ${missing[*]}; tests that need them fail under CI=true"
  fi
fi

# Under CI the slow tests run too (the cgroup v2 QEMU guest: a few minutes); locally, opt in
# with VIGIL_SLOW_TESTS=1.
if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then export VIGIL_SLOW_TESTS=${VIGIL_SLOW_TESTS:-1}; fi

npm run --silent build
npx tsc -p tsconfig.json --noEmit
npx vitest run "$@"
