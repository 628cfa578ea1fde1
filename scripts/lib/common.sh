# Shared by the scripts: logging, the project-local tools, emulator processes.
# Source it; it sets `set -euo pipefail` and a trap that stops what was started.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV="$ROOT/.venv"
STATE="$ROOT/.local"
export PATH="$VENV/bin:$PATH"
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-${AWS_REGION:-us-east-1}}
# Emulators accept any credentials; these keep the SDKs from looking for real ones.
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
export AWS_EC2_METADATA_DISABLED=true

# One target triple for every build (tests, cargo lambda watch and the zips
# cargo lambda builds), so they share compiled artifacts.
CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}
export CARGO_BUILD_TARGET

STARTED_PIDS=()

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# A venv with the pinned packages of a requirements file, reinstalled only
# when that file changes. Tools whose dependencies conflict get their own venv.
ensure_venv() { # venv dir, requirements file
  local venv=$1 requirements=$2 stamp="$1/.requirements.sha256" want
  want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  step "Installing pinned Python tools into ${venv#"$ROOT/"} (first run only)"
  command -v python3 >/dev/null || die "python3 is required"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
}

# node_modules of a folder from its package-lock.json, reinstalled only when
# the lock changes.
ensure_npm() { # folder, what it is for
  local dir=$1 stamp="$1/node_modules/.lock.sha256" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  step "Installing $2's pinned packages into ${dir#"$ROOT/"}/node_modules (first run only)"
  command -v npm >/dev/null || die "Node.js and npm are required"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

# moto, cargo-lambda and boto3, on PATH for every script.
ensure_python_tools() { ensure_venv "$VENV" "$ROOT/scripts/requirements.txt"; }

# Tools built with cargo install live outside the clone, so CI on the same
# machine reuses them; a new machine builds them once.
TOOLS_CACHE=${TOOLS_CACHE:-$HOME/.cache/cognito-auth-stack}
CFN_GUARD_VERSION=3.2.1
ensure_cfn_guard() {
  local root="$TOOLS_CACHE/cfn-guard-$CFN_GUARD_VERSION"
  if [[ ! -x "$root/bin/cfn-guard" ]]; then
    step "Building cfn-guard $CFN_GUARD_VERSION with cargo install (first run only, a few minutes)"
    cargo install cfn-guard --version "$CFN_GUARD_VERSION" --locked --root "$root" --quiet
  fi
  CFN_GUARD="$root/bin/cfn-guard"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Whether anything answers HTTP at url (any status), without needing curl.
http_answers() {
  python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=1)
except urllib.error.HTTPError:
    pass
PY
}

# Waits until url answers; fails early if the last started process has exited.
wait_for_http() { # url, seconds, name
  local url=$1 seconds=$2 name=$3 i pid=${STARTED_PIDS[-1]:-}
  for ((i = 0; i < seconds * 5; i++)); do
    if http_answers "$url"; then return 0; fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      die "$name exited; see .local/logs/$name.log"
    fi
    sleep 0.2
  done
  die "$name did not answer at $url within ${seconds}s"
}

# Starts a command in its own process group, logging to $STATE/logs/NAME.log.
start_background() { # name, command...
  local name=$1; shift
  mkdir -p "$STATE/logs"
  setsid "$@" > "$STATE/logs/$name.log" 2>&1 &
  STARTED_PIDS+=("$!")
  info "$name started (pid $!, log .local/logs/$name.log)"
}

stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}
trap stop_started EXIT
trap 'exit 130' INT TERM

# MiniStack on 127.0.0.1, with the project's extension (emulator/: the
# Cognito triggers MiniStack does not fire), which refuses to start on any
# other MiniStack than the one it hooks. The Lambdas it runs call back to it
# through AWS_ENDPOINT_URL. AUTH=true makes it check what AWS checks:
# signatures and IAM policies, SECRET_HASH, confirmation codes, and revoked or
# expired access tokens. Its state (signing keys) stays under .local/.
# With a CA bundle, MiniStack's own https calls (a federated sign-in's
# OpenID Connect discovery and token exchange) trust it (SSL_CERT_FILE).
start_ministack() { # port [CA bundle]
  local port=$1 trust=()
  [[ -n ${2:-} ]] && trust=(SSL_CERT_FILE="$2")
  ensure_venv "$ROOT/.venv-ministack" "$ROOT/scripts/requirements-ministack.txt"
  start_background ministack env "${trust[@]}" AWS_ENDPOINT_URL="http://127.0.0.1:$port" GATEWAY_PORT="$port" \
    BIND_HOST=127.0.0.1 AUTH=true STATE_DIR="$STATE/ministack-$port" "$ROOT/.venv-ministack/bin/python" "$ROOT/emulator/launch.py"
  wait_for_http "http://127.0.0.1:$port/_ministack/health" 60 ministack
}

# moto in server mode on 127.0.0.1: DynamoDB, Cognito, SES v2, STS...
start_moto() { # port
  local port=$1
  # TOTP codes are checked for real (against moto's fixed secret).
  # With the project's extension (emulator/moto_ext: GetTokensFromRefreshToken),
  # which refuses to start on any other moto than the one it was written for.
  start_background moto env MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true \
    "$VENV/bin/python" "$ROOT/emulator/moto_launch.py" -H 127.0.0.1 -p "$port"
  wait_for_http "http://127.0.0.1:$port/moto-api/" 30 moto
}

# Sets the named KEYs of a file of KEY="value" lines (the stack.env that
# scripts/lib/deploy.py writes) to their values exactly as written: nothing
# is expanded (the gateway's `$default` stage in API_URL stays as it is), no
# other name is set, and a value that could mean something to a shell where
# it is pasted next ($, `, ", \) is refused.
load_env_file() { # file, KEY...
  local file=$1 line key name value
  local -a found=()
  shift
  while IFS= read -r line; do
    [[ "$line" =~ ^([A-Z][A-Z0-9_]*)=\"(.*)\"$ ]] || continue
    name=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    for key in "$@"; do
      [[ "$name" == "$key" ]] || continue
      [[ "$value" =~ [\$\`\"\\] ]] && die "$file: $key has a character a shell would expand"
      printf -v "$key" '%s' "$value"
      found+=("$key")
    done
  done < "$file"
  for key in "$@"; do
    [[ " ${found[*]} " == *" $key "* ]] || die "$file has no $key"
  done
}
