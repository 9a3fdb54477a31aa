#!/usr/bin/env bash
# Proves the Dockerfile's steps without a Docker engine (CI has none).
#
#  1. Builds the image's file tree in a clean temporary directory: the files `docker build .` would
#     send (the checkout minus .dockerignore), with no node_modules, data or model cache.
#  2. Runs the Dockerfile's install step, `npm run install:prod` (npm ci --omit=dev for the service,
#     then the models fetched and verified against their sha256), and checks that no
#     devDependency was installed.
#  3. Starts the service with the Dockerfile's CMD (read from the Dockerfile, and checked equal to
#     package.json's start:prod) and the image's environment (NODE_ENV=production, HOST=0.0.0.0,
#     DATA_DIR on a temporary "volume"), with the application files read-only to the service's
#     user and, when this script runs as root, as an unprivileged user, as the image's USER node.
#  4. Waits (bounded) until the Dockerfile's HEALTHCHECK command passes, checks /healthz is
#     {status:"ok", database:"pglite"}, the keys are in DATA_DIR with mode 0600, a token minted with
#     the image's CLI is accepted; stops it with SIGTERM as `docker stop` does (exit 0 within 10 s),
#     checks the HEALTHCHECK now fails; starts it again on the same DATA_DIR and checks the keys
#     and the token survived the restart.
#
# Exits non-zero on any failure. Uses the npm cache (prefer-offline); the versions installed are
# pinned by package-lock.json either way.
set -euo pipefail

started=$(date +%s)
repo=$(cd "$(dirname "$0")/.." && pwd)
dockerfile="$repo/Dockerfile"

# Run as a fresh shell would: no npm_* variables from an enclosing `npm run`.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^npm_' || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/chehra-image-smoke.XXXXXX")
app="$work/app"     # WORKDIR /app
data="$work/data"   # VOLUME /data
log="$work/service.log"
pid=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

say() { echo "image-smoke: $*"; }
fail() {
  echo "image-smoke: FAIL: $*" >&2
  if [ -s "$log" ]; then echo "--- last lines of the service log ---" >&2; tail -n 40 "$log" >&2; fi
  exit 1
}
elapsed() { echo "$(( $(date +%s) - started ))s"; }

command -v git >/dev/null || fail "git is needed (as the .dockerignore matcher)"
[ -f "$dockerfile" ] || fail "no Dockerfile at $dockerfile"

# ---- the Dockerfile's commands -------------------------------------------------------------------
grep -qx 'RUN npm run install:prod' "$dockerfile" || fail "the Dockerfile no longer runs 'npm run install:prod'; update this script with it"

# Prints the exec-form (JSON) command of the Dockerfile's CMD or HEALTHCHECK, NUL-separated.
dockerfile_cmd() {
  node -e '
    const [file, which] = process.argv.slice(1);
    const text = require("node:fs").readFileSync(file, "utf8").replace(/\\\r?\n/g, " ");
    const lines = text.split(/\r?\n/).filter((l) => new RegExp(`^\\s*${which}\\s`, "i").test(l));
    if (lines.length === 0) { console.error(`no ${which} in ${file}`); process.exit(1); }
    const m = /\bCMD\s+(\[.*\])\s*$/i.exec(lines.at(-1));
    if (!m) { console.error(`${which} is not in exec form (["cmd", "arg", ...])`); process.exit(1); }
    process.stdout.write(JSON.parse(m[1]).join("\0"));
  ' "$dockerfile" "$1"
}
mapfile -d '' cmd < <(dockerfile_cmd CMD) || true
mapfile -d '' healthcheck < <(dockerfile_cmd HEALTHCHECK) || true
[ ${#cmd[@]} -gt 0 ] || fail "could not read the Dockerfile's CMD"
[ ${#healthcheck[@]} -gt 0 ] || fail "could not read the Dockerfile's HEALTHCHECK"
start_prod=$(node -p 'require(process.argv[1]).scripts["start:prod"] ?? ""' "$repo/package.json")
[ "${cmd[*]}" = "$start_prod" ] || fail "Dockerfile CMD '${cmd[*]}' differs from package.json start:prod '$start_prod'"
say "CMD: ${cmd[*]}"

# ---- 1. the build context, as `docker build .` would send it ------------------------------------
mkdir -p "$app"
# Docker reads .dockerignore only (not .gitignore), from the working directory, checkout or not: so
# does this, with git as the pattern matcher (the patterns mean the same to both; see .dockerignore)
# over a throwaway repository whose work tree is ours.
git init -q --bare "$work/context.git"
git -c safe.directory='*' --git-dir="$work/context.git" --work-tree="$repo" \
    ls-files -z --others --exclude-from="$repo/.dockerignore" \
  | (cd "$repo" && tar --null -T - -cf -) \
  | tar -C "$app" --no-same-owner -xf -
[ -f "$app/package.json" ] && [ -f "$app/service/src/main.ts" ] || fail "the build context lacks package.json or service/src/main.ts"
for excluded in .git node_modules data models/cache fixtures service/test; do
  [ ! -e "$app/$excluded" ] || fail "$excluded is in the build context; .dockerignore should exclude it"
done
say "build context: $(find "$app" -type f | wc -l) files ($(elapsed))"

# ---- 2. the install step -----------------------------------------------------------------------
(cd "$app" && NODE_ENV=production npm_config_prefer_offline=true npm run install:prod) >"$work/install.log" 2>&1 \
  || { tail -n 40 "$work/install.log" >&2; fail "npm run install:prod failed"; }
grep -q 'models present and verified' "$work/install.log" || fail "the install did not verify the models"
node -e '
  const fs = require("node:fs"), path = require("node:path");
  const app = process.argv[1];
  const lock = require(path.join(app, "package-lock.json"));
  const dev = Object.entries(lock.packages).filter(([p, v]) => p.includes("node_modules/") && v.dev && fs.existsSync(path.join(app, p)));
  if (dev.length) { console.error("devDependencies installed:", dev.map(([p]) => p).join(", ")); process.exit(1); }
  const manifest = require(path.join(app, "models/manifest.json"));
  const missing = Object.values(manifest.models).filter((m) => !fs.existsSync(path.join(app, "models/cache", m.file)));
  if (missing.length) { console.error("models missing:", missing.map((m) => m.file).join(", ")); process.exit(1); }
' "$app" || fail "the installed tree is not production-only or lacks the models"
say "install: production dependencies only, models verified, node_modules $(du -sh "$app/node_modules" | cut -f1) ($(elapsed))"

# ---- 3. run it as the image does ----------------------------------------------------------------
# The image's USER node cannot write to /app (nor, under compose's read_only, to its home); DATA_DIR
# (the volume) is its own, mode 0700; /tmp is writable.
mkdir -p "$data/keys" "$work/home" "$work/tmp"
chmod 0755 "$work"
chmod 0700 "$data" "$data/keys"
runas=()
if [ "$(id -u)" = 0 ]; then
  command -v setpriv >/dev/null || fail "running as root without setpriv: cannot drop to an unprivileged user"
  uid=65534 gid=65534   # nobody:nogroup
  chown -R "$uid:$gid" "$data" "$work/tmp"
  runas=(setpriv --reuid="$uid" --regid="$gid" --clear-groups --)
else
  uid=$(id -u)
fi
chmod -R a-w "$app" "$work/home"

port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
service_env=(env -i PATH="$PATH" HOME="$work/home" TMPDIR="$work/tmp"
  NODE_ENV=production HOST=0.0.0.0 PORT="$port" DATA_DIR="$data" NPM_CONFIG_UPDATE_NOTIFIER=false)
base="http://127.0.0.1:$port"

# GET url [bearer token] -> prints "<status> <body>"
http_get() {
  node -e '
    const [url, token] = process.argv.slice(1);
    fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5000) })
      .then(async (r) => console.log(r.status, await r.text()), (e) => { console.log(0, String(e.cause?.code ?? e)); });
  ' "$@"
}

start_service() {
  : >"$log"
  (cd "$app" && exec "${runas[@]}" "${service_env[@]}" "${cmd[@]}") >>"$log" 2>&1 &
  pid=$!
  local deadline=$(( $(date +%s) + 90 ))
  until (cd "$app" && "${runas[@]}" "${service_env[@]}" "${healthcheck[@]}") >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" || true; pid=""; fail "the service exited before it became healthy"; }
    [ "$(date +%s)" -lt "$deadline" ] || fail "the HEALTHCHECK did not pass within 90 s"
    sleep 0.5
  done
}

stop_service() {
  kill -TERM "$pid"
  local deadline=$(( $(date +%s) + 10 ))   # docker stop's default grace period
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "the service did not stop within 10 s of SIGTERM (docker would SIGKILL it)"
    sleep 0.1
  done
  local code=0
  wait "$pid" || code=$?
  pid=""
  [ "$code" = 0 ] || fail "the service exited with $code after SIGTERM"
}

# The first admin, as an operator bootstraps one: the users CLI on the stopped service's volume.
otp_mpin=$(cd "$app" && "${runas[@]}" "${service_env[@]}" node --import tsx service/src/cli/users.ts add \
  --role district_admin --mobile 9800000001 --name "Smoke Admin" --state S-SMOKE --district D-SMOKE 2>>"$log" \
  | sed -n 's/^one-time MPIN: //p') || fail "the users CLI failed in the production install"
[ -n "$otp_mpin" ] || fail "the users CLI printed no one-time MPIN"

t_start=$(date +%s)
start_service
say "healthy after $(( $(date +%s) - t_start ))s: the Dockerfile's HEALTHCHECK passes on port $port"

read -r status body < <(http_get "$base/healthz")
[ "$status" = 200 ] || fail "/healthz answered $status $body"
node -e 'const b = JSON.parse(process.argv[1]); if (b.status !== "ok" || b.database !== "pglite") process.exit(1)' "$body" \
  || fail "/healthz is $body, expected status ok on the embedded database"
say "/healthz: $body"

[ "$(stat -c %u "/proc/$pid")" = "$uid" ] || fail "the service does not run as uid $uid"
# HOST=0.0.0.0: a listening socket on the wildcard address (local_address 00000000:PORT, state 0A).
grep -qi "^ *[0-9]*: 00000000:$(printf '%04X' "$port") [0-9A-F:]* 0A " /proc/net/tcp \
  || fail "the service does not listen on 0.0.0.0:$port (HOST from the image's environment)"
for f in jwt-signing-key.json; do
  [ -f "$data/keys/$f" ] || fail "no $f in DATA_DIR/keys"
done
keyfiles=$(find "$data/keys" -type f | wc -l)
[ "$keyfiles" -ge 2 ] || fail "expected the signing key and the envelope keys in DATA_DIR/keys, found $keyfiles file(s)"
loose=$(find "$data/keys" -type f ! -perm 0600 | wc -l)
[ "$loose" = 0 ] || fail "key files in DATA_DIR/keys are not mode 0600"
[ -d "$data/pglite" ] || fail "the embedded database is not in DATA_DIR/pglite"

read -r status keys1 < <(http_get "$base/v1/keys")
[ "$status" = 200 ] || fail "/v1/keys answered $status $keys1"
kid1=$(node -p 'JSON.parse(process.argv[1]).current' "$keys1")

# Sign in with the one-time MPIN, change it (required first), and use the new session's token.
token=$(node -e '
  const [base, mpin] = process.argv.slice(1);
  const post = async (path, body, token) => {
    const res = await fetch(base + path, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body), signal: AbortSignal.timeout(10000) });
    const json = await res.json();
    if (res.status !== 200) { console.error(path, res.status, json.code); process.exit(1); }
    return json;
  };
  const first = await post("/v1/auth/login", { mobile: "9800000001", mpin, deviceId: "image-smoke-01" });
  if (!first.mustChangeMpin) process.exit(1);
  const changed = await post("/v1/auth/mpin", { currentMpin: mpin, newMpin: "583920" }, first.accessToken);
  console.log(changed.accessToken);
' "$base" "$otp_mpin" 2>>"$log") || fail "sign-in with the one-time MPIN and the MPIN change failed"
read -r status body < <(http_get "$base/v1/review/cases" "$token")
[ "$status" = 200 ] || fail "GET /v1/review/cases after sign-in answered $status $body"
say "runs as uid $uid with HOST=0.0.0.0, keys 0600 in DATA_DIR/keys, database in DATA_DIR/pglite; the CLI's first admin signs in"

stop_service
if (cd "$app" && "${runas[@]}" "${service_env[@]}" "${healthcheck[@]}") >/dev/null 2>&1; then
  fail "the HEALTHCHECK passes with the service stopped"
fi
say "SIGTERM: clean exit 0; the HEALTHCHECK then fails, as it should"

# ---- restart on the same volume ------------------------------------------------------------------
start_service
read -r status keys2 < <(http_get "$base/v1/keys")
kid2=$(node -p 'JSON.parse(process.argv[1]).current' "$keys2")
[ "$kid1" = "$kid2" ] || fail "the envelope key changed across a restart ($kid1 -> $kid2): keys are not kept in DATA_DIR"
! grep -q 'first start' "$log" || fail "the restart generated new keys"
read -r status body < <(http_get "$base/v1/review/cases" "$token")
[ "$status" = 200 ] || fail "after a restart the earlier token is refused: $status $body"
stop_service
say "restart on the same DATA_DIR: same envelope key $kid1, the earlier session still accepted"

say "OK in $(elapsed)"
