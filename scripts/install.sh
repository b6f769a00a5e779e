#!/usr/bin/env bash
# Installs everything flowguard needs on Debian or Ubuntu (as root), builds it and, unless
# --no-demo is given, starts the demo: a recorded attack replayed through the whole pipeline
# with the API and dashboard on http://127.0.0.1:8780/ and enforcement in dry-run.
set -euo pipefail
cd "$(dirname "$0")/.."

demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) demo=0 ;;
    *) echo "install.sh: unknown option '$arg' (only --no-demo is accepted)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo ./scripts/install.sh): it installs Debian packages" >&2
  exit 1
fi

packages=$(grep -v '^#' scripts/debian-packages.txt | tr '\n' ' ')
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $packages
if ! command -v node >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends nodejs npm
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "install.sh: Node.js $(node --version) is too old; flowguard needs Node.js 20 or later (Debian 13 ships it)" >&2
  exit 1
fi

# nginx-light starts a system-wide nginx on install; the lab runs its own inside a namespace.
systemctl disable --now nginx >/dev/null 2>&1 || true

# A dropped connection to the registry fails the whole install; it has, once, in CI here.
# npm retries single requests already, so retry the whole step a few times on top.
attempt=1
until npm ci; do
  if [ "$attempt" -ge 3 ]; then
    echo "install.sh: npm ci failed $attempt times; check the network connection to the npm registry" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  echo "install.sh: npm ci failed; trying again ($attempt of 3) in 10 s" >&2
  sleep 10
done
npm run build
# Put `flowguard` on PATH for every user.
ln -sf "$PWD/bin/flowguard.js" /usr/local/bin/flowguard

if [ "$demo" -eq 1 ]; then
  exec flowguard demo
fi
