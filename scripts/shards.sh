#!/usr/bin/env bash
# Templates sharded by state over two more PostgreSQL 15 servers, through PostgreSQL's own means:
# declarative partitions of `templates` whose partitions for two states are foreign tables
# (postgres_fdw) on two other clusters. Run after scripts/postgres-server.sh (which installs
# PostgreSQL 15 and pgvector and starts the first cluster, the coordinator here):
#
#   eval "$(bash scripts/shards.sh)"
#   node --import tsx --test service/test/shards.test.ts     # the service, unchanged, routed to a shard
#   npm run bench:shards                                      # the latency a shard adds
#
# Progress goes to stderr; stdout is only `export …` lines (TEST_SHARDS=1, SHARDS_DATABASE_URL,
# SHARD_DATABASE_URLS). Each run starts the shards' and the coordinator's databases afresh.
#
# Layout: cluster 15/shard1 on port 5433 holds state S1, 15/shard2 on 5434 holds S2 (each a
# database chehra_shard with the service's templates table partitioned by state and district,
# its keys and one HNSW graph per district: scripts/shards/shard.sql). On the coordinator cluster,
# database chehra_shards has the service's own schema (its migrations), and templates' partitions
# for S1 and S2 are foreign tables on those shards (scripts/shards/coordinator.sql), whose
# district partitions the shards make when the coordinator asks; any other state gets local
# partitions as before.
#
# Settings (environment): CHEHRA_PG_CLUSTER (main: the coordinator's cluster), CHEHRA_PG_USER,
# CHEHRA_PG_PASSWORD (chehra, as postgres-server.sh), CHEHRA_SHARD_PORTS ("5433 5434"),
# CHEHRA_SHARDS_DB (chehra_shards), CHEHRA_SHARD_FETCH_SIZE (10: see below).
set -euo pipefail
cd "$(dirname "$0")/.."

PG_MAJOR=15
COORD_CLUSTER=${CHEHRA_PG_CLUSTER:-main}
DB_USER=${CHEHRA_PG_USER:-chehra}
DB_PASSWORD=${CHEHRA_PG_PASSWORD:-chehra}
read -r -a SHARD_PORTS <<<"${CHEHRA_SHARD_PORTS:-5433 5434}"
STATES=(S1 S2)
COORD_DB=${CHEHRA_SHARDS_DB:-chehra_shards}
SHARD_DB=chehra_shard
# postgres_fdw reads a remote result through a cursor, fetch_size rows a round trip (default 100).
# PostgreSQL 15 does not push a LIMIT through a partitioned table to a foreign partition (it does
# push the ORDER BY), so the remote HNSW scan runs until the first FETCH is filled: a FETCH of 10
# bounds it near the service's limits (1 at enrolment, 5 by default at identification).
FETCH_SIZE=${CHEHRA_SHARD_FETCH_SIZE:-10}

say() { echo "shards: $*" >&2; }
die() { say "$*"; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
  as_postgres() { runuser -u postgres -- "$@"; }
else
  command -v sudo >/dev/null || die "not root and no sudo: clusters are made as root"
  as_root() { sudo "$@"; }
  as_postgres() { sudo -u postgres "$@"; }
fi
[ -f /usr/share/postgresql/$PG_MAJOR/extension/vector.control ] || die "pgvector for PostgreSQL $PG_MAJOR is missing: run scripts/postgres-server.sh first"
[ -f /usr/share/postgresql/$PG_MAJOR/extension/postgres_fdw.control ] || die "postgres_fdw is missing (it ships with postgresql-$PG_MAJOR)"

cluster_port() { pg_lsclusters -h | awk -v v=$PG_MAJOR -v c="$1" '$1 == v && $2 == c { print $3 }'; }
cluster_status() { pg_lsclusters -h | awk -v v=$PG_MAJOR -v c="$1" '$1 == v && $2 == c { print $4 }'; }
psql_admin() { local port=$1; shift; PGOPTIONS='-c client_min_messages=warning' as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }
psql_user() { local port=$1; shift; PGOPTIONS='-c client_min_messages=warning' PGPASSWORD=$DB_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$DB_USER" "$@"; }
# A fresh database owned by the service's role, with pgvector (made here as the superuser: the role is not one).
fresh_db() {
  local port=$1 db=$2
  psql_admin "$port" -d postgres -v user="$DB_USER" -v pass="$DB_PASSWORD" -v db="$db" >&2 <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \gexec
ALTER ROLE :"user" PASSWORD :'pass';
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db" OWNER :"user";
SQL
  psql_admin "$port" -d "$db" -c 'CREATE EXTENSION vector' >&2
}

COORD_PORT=$(cluster_port "$COORD_CLUSTER")
[ -n "$COORD_PORT" ] && [ "$(cluster_status "$COORD_CLUSTER")" = online ] || die "cluster $PG_MAJOR/$COORD_CLUSTER is not running: run scripts/postgres-server.sh first"

# --- the coordinator's schema first: the shards' templates take its columns --------------------
fresh_db "$COORD_PORT" "$COORD_DB"
COORD_URL="postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$COORD_PORT/$COORD_DB"
say "applying the service's migrations to $COORD_DB"
npx --no-install tsx scripts/shards-migrate.ts "$COORD_URL" >&2
# templates' columns as the migrations left them (name, type, NOT NULL, default), in order. A
# shard's table is made from this list, so a migration that adds a column reaches the shards
# without anyone editing shard.sql (a hand-kept copy fell behind once: enrolment then failed on
# the shard with "column does not exist").
TEMPLATE_COLUMNS=$(psql_user "$COORD_PORT" -d "$COORD_DB" -At <<'SQL'
SELECT string_agg(format('%I %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                         CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
                         coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')), ', ' ORDER BY a.attnum)
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = 'templates'::regclass AND a.attnum > 0 AND NOT a.attisdropped
SQL
)
[ -n "$TEMPLATE_COLUMNS" ] || die "could not read templates' columns from $COORD_DB"
# The functions that make templates' partitions on demand (migrations 003 and 008), as the
# migrations left them: a shard makes its district partitions with the same code.
TEMPLATE_FUNCTIONS=$(psql_user "$COORD_PORT" -d "$COORD_DB" -At <<'SQL'
SELECT string_agg(pg_get_functiondef(p.oid) || ';', E'\n' ORDER BY p.oid)
FROM pg_proc p
WHERE p.pronamespace = 'public'::regnamespace
  AND p.proname IN ('templates_partition_name', 'templates_committed_partition', 'templates_ensure_partition')
SQL
)
[ "$(grep -c '^CREATE OR REPLACE FUNCTION' <<<"$TEMPLATE_FUNCTIONS")" -eq 5 ] || die "could not read templates' partition functions from $COORD_DB"

# --- the shards ---------------------------------------------------------------------------------
servers=()
for i in "${!SHARD_PORTS[@]}"; do
  name=shard$((i + 1)) port=${SHARD_PORTS[$i]} state=${STATES[$i]}
  if [ -z "$(cluster_port "$name")" ]; then
    say "creating cluster $PG_MAJOR/$name on port $port"
    as_root pg_createcluster $PG_MAJOR "$name" --port "$port" >&2
  fi
  [ "$(cluster_port "$name")" = "$port" ] || die "cluster $PG_MAJOR/$name exists on port $(cluster_port "$name"), not $port"
  [ "$(cluster_status "$name")" = online ] || as_root pg_ctlcluster $PG_MAJOR "$name" start >&2
  fresh_db "$port" "$SHARD_DB"
  # The service sets hnsw.iterative_scan and hnsw.ef_search for its transaction on the
  # coordinator; a setting does not travel through postgres_fdw, so the shard's database carries
  # them: relaxed_order (a district's graph holds every model's templates; the model filter must
  # not starve the LIMIT) and ef_search 60, the service's choice for districts up to 25,000
  # templates (the service chooses by the district's size, which the shard's one setting cannot:
  # a shard with larger districts needs more, see EF_SEARCH_BY_DISTRICT_SIZE in
  # service/src/db/repositories/templates.ts).
  psql_admin "$port" -d postgres -c "ALTER DATABASE $SHARD_DB SET hnsw.iterative_scan = relaxed_order" >&2
  psql_admin "$port" -d postgres -c "ALTER DATABASE $SHARD_DB SET hnsw.ef_search = 60" >&2
  # postgres_fdw reads through a cursor and, through a partitioned table, sends no LIMIT: the
  # shard plans for cursor_tuple_fraction of the rows (default 0.1), and for a large district
  # that is an exact sort of all its rows (measured: 168 ms against 20 ms for
  # the HNSW walk the same query gets with its LIMIT). The coordinator reads one FETCH
  # (fetch_size rows), so plan for a thousandth: the shard then walks the graph as it would for
  # the LIMIT, and small districts still get the exact sort. Only cursors are affected, and on
  # the shard only postgres_fdw opens them.
  psql_admin "$port" -d postgres -c "ALTER DATABASE $SHARD_DB SET cursor_tuple_fraction = 0.001" >&2
  psql_user "$port" -d "$SHARD_DB" >&2 <<<"$TEMPLATE_FUNCTIONS"
  psql_user "$port" -d "$SHARD_DB" -v state="$state" -v columns="$TEMPLATE_COLUMNS" -f scripts/shards/shard.sql >&2
  servers+=("$name=$state")
  say "$name: 127.0.0.1:$port/$SHARD_DB holds state $state"
done

# --- the coordinator ----------------------------------------------------------------------------
psql_admin "$COORD_PORT" -d "$COORD_DB" -c 'CREATE EXTENSION postgres_fdw' >&2
for i in "${!SHARD_PORTS[@]}"; do
  # extensions 'vector': pgvector's operators (<=>) and types may be sent to the shard, so the
  # ORDER BY embedding <=> probe is evaluated there, on the shard's HNSW graph.
  psql_admin "$COORD_PORT" -d "$COORD_DB" -v name="shard$((i + 1))" -v port="${SHARD_PORTS[$i]}" -v db="$SHARD_DB" \
    -v user="$DB_USER" -v pass="$DB_PASSWORD" -v fetch="$FETCH_SIZE" >&2 <<'SQL'
CREATE SERVER :"name" FOREIGN DATA WRAPPER postgres_fdw
  OPTIONS (host '127.0.0.1', port :'port', dbname :'db', extensions 'vector', fetch_size :'fetch');
GRANT USAGE ON FOREIGN SERVER :"name" TO :"user";
CREATE USER MAPPING FOR :"user" SERVER :"name" OPTIONS (user :'user', password :'pass');
SQL
done
psql_user "$COORD_PORT" -d "$COORD_DB" -v shards="$(IFS=,; echo "${servers[*]}")" -f scripts/shards/coordinator.sql >&2
say "coordinator: 127.0.0.1:$COORD_PORT/$COORD_DB, templates partitions: $(psql_user "$COORD_PORT" -d "$COORD_DB" -At -c "SELECT string_agg(c.relname || ' (' || CASE c.relkind WHEN 'f' THEN 'foreign, ' || s.srvname ELSE 'local' END || ')', ', ') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid LEFT JOIN pg_foreign_table f ON f.ftrelid = c.oid LEFT JOIN pg_foreign_server s ON s.oid = f.ftserver WHERE i.inhparent = 'templates'::regclass")"

shard_urls=()
for port in "${SHARD_PORTS[@]}"; do shard_urls+=("postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$port/$SHARD_DB"); done
echo "export TEST_SHARDS=1"
echo "export SHARDS_DATABASE_URL=$COORD_URL"
echo "export SHARD_DATABASE_URLS=$(IFS=,; echo "${shard_urls[*]}")"
