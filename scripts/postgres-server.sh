#!/usr/bin/env bash
# A PostgreSQL 15 server with pgvector 0.8 on Debian bookworm, for tests and benchmarks; CI and
# developers run the same script:
#
#   eval "$(bash scripts/postgres-server.sh)"      # then: npm run test:pg-wire
#
# Progress goes to stderr; stdout is only `export TEST_DATABASE_URL=…` and `export
# BENCH_DATABASE_URL=…`, so `eval` takes them into the calling shell.
#
# Debian bookworm has no pgvector package, but trixie's SOURCE package (pgvector 0.8.0) builds
# against bookworm's PostgreSQL 15. Steps, each skipped when already done (a second run is quick):
#   1. apt: postgresql-15, its server headers, a compiler and dpkg-dev (for `apt-get source`);
#   2. a trixie `deb-src` entry whose mirror is the one this machine's own bookworm entry uses
#      (read from /etc/apt/sources.list.d/*.sources or sources.list: no host name lives here);
#   3. `apt-get source pgvector`, `make && make install` with v15's pg_config;
#   4. a cluster (Debian's pg_ctlcluster: 15/main, created if missing), started;
#   5. a login role and two databases with the extension: one the tests truncate, one the
#      load benchmark fills.
#
# Settings (environment): CHEHRA_PG_CLUSTER (main), CHEHRA_PG_PORT (port of a cluster this script
# creates: 5432), CHEHRA_PG_USER (chehra), CHEHRA_PG_PASSWORD (chehra: a local test cluster),
# CHEHRA_PG_TEST_DB (chehra_test), CHEHRA_PG_BENCH_DB (chehra_bench), CHEHRA_PGVECTOR_REBUILD=1.
set -euo pipefail

PG_MAJOR=15
PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config
CLUSTER=${CHEHRA_PG_CLUSTER:-main}
NEW_PORT=${CHEHRA_PG_PORT:-5432}
DB_USER=${CHEHRA_PG_USER:-chehra}
DB_PASSWORD=${CHEHRA_PG_PASSWORD:-chehra}
TEST_DB=${CHEHRA_PG_TEST_DB:-chehra_test}
BENCH_DB=${CHEHRA_PG_BENCH_DB:-chehra_bench}
# Where apt reads its sources (APT_CONFIG may move them: the script's own test does).
eval "$(apt-config shell SOURCELIST Dir::Etc::sourcelist/f SOURCEPARTS Dir::Etc::sourceparts/d)"
SRC_LIST=${SOURCEPARTS%/}/chehra-trixie-src.sources

say() { echo "postgres-server: $*" >&2; }
die() { say "$*"; exit 1; }
# Privileged steps: as root directly, otherwise through sudo (a developer's machine).
if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
  as_postgres() { runuser -u postgres -- "$@"; }
else
  command -v sudo >/dev/null || die "not root and no sudo: run as root (apt, make install, the cluster need it)"
  as_root() { sudo "$@"; }
  as_postgres() { sudo -u postgres "$@"; }
fi
# Every apt/dpkg step talks to stderr so stdout stays the exports.
export DEBIAN_FRONTEND=noninteractive

# --- 1. packages from bookworm ----------------------------------------------------------------
missing=()
for pkg in postgresql-$PG_MAJOR postgresql-client-$PG_MAJOR postgresql-server-dev-$PG_MAJOR build-essential dpkg-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  as_root apt-get update >&2
  as_root apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

# --- 2 + 3. pgvector from trixie's source package ----------------------------------------------
installed_pgvector() {
  local control=/usr/share/postgresql/$PG_MAJOR/extension/vector.control
  [ -f "$control" ] && [ -f "/usr/lib/postgresql/$PG_MAJOR/lib/vector.so" ] &&
    sed -n "s/^default_version = '\(.*\)'/\1/p" "$control"
}

# The mirror this machine uses for its own release, from deb822 files first, then one-line lists.
own_mirror() {
  local codename f
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  for f in "${SOURCEPARTS%/}"/*.sources; do
    [ -f "$f" ] || continue
    # Print "URI<TAB>keyring" of the first stanza serving `deb` for this release.
    awk -v rel="$codename" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " rel " ") && uri != "") { print uri "\t" key; found = 1; exit } types = suites = uri = key = "" }
      /^[[:space:]]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); split($0, u, /[[:space:]]+/); uri = u[1] }
      /^Signed-By:/ { sub(/^Signed-By:[[:space:]]*/, ""); key = $0 }
      END { if (!found) flush() }' "$f" | head -n1 | grep . && return 0
  done
  for f in "$SOURCELIST" "${SOURCEPARTS%/}"/*.list; do
    [ -f "$f" ] || continue
    # deb [options] URI suite components...
    awk -v rel="$codename" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == rel) { print $i "\t"; exit } }' "$f" | grep . && return 0
  done
  return 1
}

trixie_source_version() { apt-cache showsrc pgvector 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1; }

have=$(installed_pgvector || true)
if [ -n "$have" ] && [ "${CHEHRA_PGVECTOR_REBUILD:-0}" != 1 ]; then
  say "pgvector $have is installed for PostgreSQL $PG_MAJOR"
else
  if [ -z "$(trixie_source_version)" ]; then
    mirror=$(own_mirror) || die "no bookworm entry in /etc/apt/sources.list(.d) to take a mirror from"
    uri=${mirror%%$'\t'*}
    key=${mirror#*$'\t'}
    say "adding trixie deb-src from this machine's mirror ($uri) to $SRC_LIST"
    {
      echo "# Written by chehra scripts/postgres-server.sh: pgvector's source package (not in bookworm)."
      echo "Types: deb-src"
      echo "URIs: $uri"
      echo "Suites: trixie"
      echo "Components: main"
      [ -n "$key" ] && echo "Signed-By: $key"
    } | as_root tee "$SRC_LIST" >/dev/null
    as_root apt-get update >&2
  fi
  version=$(trixie_source_version)
  case "$version" in 0.8.*) ;; *) die "expected pgvector 0.8.x source, apt offers '${version:-nothing}'";; esac
  build=${CHEHRA_BUILD_DIR:-${TMPDIR:-/tmp}/chehra-pgvector}
  rm -rf "$build" && mkdir -p "$build"
  say "building pgvector $version in $build"
  (cd "$build" && apt-get source --only-source "pgvector=$version" >&2)
  dir=$(find "$build" -maxdepth 1 -mindepth 1 -type d -name 'pgvector-*' | head -n1)
  [ -n "$dir" ] || die "apt-get source left no pgvector-* folder in $build"
  make -C "$dir" PG_CONFIG="$PG_CONFIG" -j"$(nproc)" >&2
  as_root make -C "$dir" PG_CONFIG="$PG_CONFIG" install >&2
  say "pgvector $(installed_pgvector) installed"
fi

# --- 4. the cluster ---------------------------------------------------------------------------
if ! pg_lsclusters -h | awk -v v=$PG_MAJOR -v c="$CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; then
  say "creating cluster $PG_MAJOR/$CLUSTER on port $NEW_PORT"
  as_root pg_createcluster $PG_MAJOR "$CLUSTER" --port "$NEW_PORT" >&2
fi
read -r port status < <(pg_lsclusters -h | awk -v v=$PG_MAJOR -v c="$CLUSTER" '$1 == v && $2 == c { print $3, $4 }')
if [ "$status" != online ]; then
  say "starting cluster $PG_MAJOR/$CLUSTER"
  as_root pg_ctlcluster $PG_MAJOR "$CLUSTER" start >&2
fi

# --- 5. role and databases --------------------------------------------------------------------
psql_admin() { PGOPTIONS='-c client_min_messages=warning' as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }
# The role is not a superuser: the extension is created here, as postgres, once per database, and
# the migrations' `CREATE EXTENSION IF NOT EXISTS vector` then finds it.
psql_admin -d postgres -v user="$DB_USER" -v pass="$DB_PASSWORD" >&2 <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" PASSWORD :'pass';
SQL
for db in "$TEST_DB" "$BENCH_DB"; do
  psql_admin -d postgres -v db="$db" -v user="$DB_USER" >&2 <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'user') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SQL
  psql_admin -d "$db" -c 'CREATE EXTENSION IF NOT EXISTS vector' >&2
done

url() { echo "postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$port/$1"; }
got=$(PGPASSWORD=$DB_PASSWORD psql -X -At -h 127.0.0.1 -p "$port" -U "$DB_USER" -d "$TEST_DB" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
say "ready: PostgreSQL $PG_MAJOR/$CLUSTER on 127.0.0.1:$port, pgvector $got, databases $TEST_DB (tests truncate it) and $BENCH_DB (bench:load)"
echo "export TEST_DATABASE_URL=$(url "$TEST_DB")"
echo "export BENCH_DATABASE_URL=$(url "$BENCH_DB")"
