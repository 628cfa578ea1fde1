# The local stack, shared by scripts/dev and scripts/test: the template
# deployed to MiniStack, the API's router served as an HTTP server, and the
# web client served by Vite. Source after common.sh.

# web/node_modules from web/package-lock.json, reinstalled only when it changes.
ensure_web() {
  command -v npm >/dev/null || die "Node.js and npm are required"
  ensure_npm "$ROOT/web" "the web client"
}

# Debian's Chromium, for the browser test (test tools may not download browsers here).
ensure_chromium() {
  CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
  [[ -x "$CHROMIUM" ]] && return
  step "Installing Debian's chromium for the browser test (first run only)"
  local sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends chromium >/dev/null ||
    { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends chromium >/dev/null; } ||
    die "could not install chromium with apt-get"
}

# cloudformation/template.yaml deployed to the emulator by scripts/deploy,
# with the Rust triggers built and attached; outputs in DIR.
deploy_local_stack() { # endpoint, stack name, outputs dir [--set KEY=VALUE ...]
  "$ROOT/scripts/deploy" --env local --endpoint-url "$1" --profile dev \
    --stack-name "$2" --outputs-dir "$3" "${@:4}"
}

# The stack's social sign-in against a local OpenID Connect provider (the
# browser journey runs it, with oauth2-mock-server, on https://localhost:PORT
# with the certificate scripts/lib/local_tls.py makes): the managed login
# domain, the provider, and its client secret in the emulator's Secrets
# Manager, as an operator stores it before deploying. Prints the --set flags.
local_oidc_parameters() { # endpoint, OIDC provider port, web port
  local endpoint=$1 idp_port=$2 web_port=$3
  "$VENV/bin/aws" --endpoint-url "$endpoint" --region us-east-1 secretsmanager describe-secret \
    --secret-id local/oidc-client >/dev/null 2>&1 ||
    "$VENV/bin/aws" --endpoint-url "$endpoint" --region us-east-1 secretsmanager create-secret \
      --name local/oidc-client --secret-string '{"client_secret":"local-oidc-secret"}' >/dev/null
  printf -- '--set %s ' HostedUiDomainPrefix=local-auth-test "CallbackUrls=http://localhost:$web_port/" \
    "LogoutUrls=http://localhost:$web_port/" OidcProviderName=LocalIdP "OidcIssuer=https://localhost:$idp_port" \
    OidcClientId=local-web OidcClientSecretName=local/oidc-client
}

# The sender of the API's own mail, as an SES identity of the emulator (in
# AWS it is the stack's SesIdentityArn); its domain covers the recipients
# too, as a verified domain does out of the SES sandbox.
notice_sender_identity() { # endpoint, domain
  python - "$1" "$2" <<'PY'
import sys
import boto3
if sys.argv[2]:
    ses = boto3.client("sesv2", endpoint_url=sys.argv[1], region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    try:
        ses.create_email_identity(EmailIdentity=sys.argv[2])
    except ses.exceptions.AlreadyExistsException:
        pass
PY
}

# The deployed API: the template's HTTP API as the emulator runs it (routes,
# JWT authorizer, CORS) in front of the Rust API Lambda from its zip. Sets
# API_URL to the stage's URL on the emulator.
gateway_api() { # endpoint, outputs dir
  local endpoint=$1 dir=$2
  notice_sender_identity "$endpoint" example.com
  API_URL=$(sed -n 's/^API_URL="\(.*\)"$/\1/p' "$dir/stack.env")
  wait_for_http "$API_URL/api/health" 120 ministack
}

# The API's router served by the `api-local` binary (scripts/lib/api-server),
# configured from the deployed stack's outputs as the Lambda is from the
# template; with --watch, rebuilt as you edit. Sets API_URL.
serve_api() { # endpoint, outputs dir, port, web origin [--watch]
  local endpoint=$1 dir=$2 port=$3 origin=$4 watch=${5:-}
  (
    # Read, not sourced (API_URL holds the gateway's `$default` stage), and
    # only what goes into api.env.
    load_env_file "$dir/stack.env" AWS_REGION USER_POOL_ID API_CLIENT_ID WEB_CLIENT_ID \
      PROFILES_TABLE USER_DATA_TABLE USERNAMES_TABLE THROTTLE_TABLE
    cat > "$dir/api.env" <<ENV
AWS_REGION="$AWS_REGION"
AWS_ENDPOINT_URL="$endpoint"
USER_POOL_ID="$USER_POOL_ID"
API_CLIENT_ID="$API_CLIENT_ID"
ALLOWED_CLIENT_IDS="$WEB_CLIENT_ID,$API_CLIENT_ID"
JWKS_URL="$endpoint/$USER_POOL_ID/.well-known/jwks.json"
PROFILES_TABLE="$PROFILES_TABLE"
USER_DATA_TABLE="$USER_DATA_TABLE"
USERNAMES_TABLE="$USERNAMES_TABLE"
THROTTLE_TABLE="$THROTTLE_TABLE"
AUTH_LIMIT_PER_ADDRESS="${AUTH_LIMIT_PER_ADDRESS:-5}"
AUTH_LIMIT_PER_ACCOUNT="${AUTH_LIMIT_PER_ACCOUNT:-5}"
AUTH_LIMIT_WINDOW_SECONDS="${AUTH_LIMIT_WINDOW_SECONDS:-60}"
AUTH_FAILURES_PER_ADDRESS_PER_HOUR="${AUTH_FAILURES_PER_ADDRESS_PER_HOUR:-30}"
AUTH_FAILURES_PER_ACCOUNT_PER_HOUR="${AUTH_FAILURES_PER_ACCOUNT_PER_HOUR:-100}"
NOTICE_EMAIL_FROM="${NOTICE_EMAIL_FROM:-no-reply@example.com}"
APP_URL="$origin"
ALLOWED_ORIGINS="$origin"
APP_NAME="Secure App (local)"
API_LISTEN="127.0.0.1:$port"
RUST_LOG="info"
ENV
  )
  notice_sender_identity "$endpoint" "$(sed -n 's/^NOTICE_EMAIL_FROM="[^@]*@\(.*\)"$/\1/p' "$dir/api.env")"
  step "Building the API's local server (the Lambda's router, served over HTTP)"
  if [[ "${API_BUILD_PROFILE:-debug}" == release ]]; then
    cargo build --locked --release -p api --bin api-local --features local
  else
    cargo build --locked -p api --bin api-local --features local
  fi
  start_background api "$ROOT/scripts/lib/api-server" "$dir/api.env" $watch
  API_URL="http://127.0.0.1:$port"
  wait_for_http "$API_URL/api/health" 120 api
}

# The web client on Vite; amplify_outputs.json is the deployed one with the
# API at API_URL, called cross-origin as on AWS (--same-origin: on the
# page's own origin, Vite forwarding /api to API_URL, for api-local).
serve_web() { # endpoint, outputs dir, port [--same-origin]
  local endpoint=$1 dir=$2 port=$3 api_url=$API_URL
  [[ "${4:-}" == --same-origin ]] && api_url=""
  mkdir -p "$dir/web"
  python3 - "$dir/amplify_outputs.json" "$dir/web/amplify_outputs.json" "$api_url" <<'PY'
import json, sys
outputs = json.load(open(sys.argv[1]))
outputs["custom"]["api_url"] = sys.argv[3]
outputs["custom"]["app_name"] = "Secure App (local)"
json.dump(outputs, open(sys.argv[2], "w"), indent=2)
PY
  start_background web env API_URL="$API_URL" AWS_ENDPOINT_URL="$endpoint" WEB_PORT="$port" \
    WEB_PUBLIC_DIR="$dir/web" "$ROOT/web/node_modules/.bin/vite" --config "$ROOT/web/vite.config.js"
  wait_for_http "http://127.0.0.1:$port/amplify_outputs.json" 60 web
}
