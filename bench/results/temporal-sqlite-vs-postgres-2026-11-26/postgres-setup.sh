#!/bin/bash
# experiment only: PostgreSQL 15 on 127.0.0.1:5439 with Temporal's schema; PG_PASSWORD: the role's password, chosen
# by whoever runs it (the servers get the same value)
set -euo pipefail
D=/tmp/pgexp; PG=$D/data; PORT=5439
mkdir -p $PG $D/sock; chown -R postgres:postgres $PG $D/sock
[[ -f $PG/PG_VERSION ]] || su postgres -s /bin/bash -c "/usr/local/bin/initdb -D $PG -U postgres --auth=trust >/dev/null"
su postgres -s /bin/bash -c "/usr/local/bin/pg_ctl -D $PG -l $D/sock/pg.log -o '-p $PORT -k $D/sock -c listen_addresses=127.0.0.1 -c max_connections=200 ${PG_EXTRA:-}' -w start"
psql -h 127.0.0.1 -p $PORT -U postgres -c "CREATE USER temporal PASSWORD '${PG_PASSWORD:?set PG_PASSWORD}' CREATEDB" || true
T="$D/sqltool --plugin postgres12 --ep 127.0.0.1 -p $PORT -u temporal --pw "$PG_PASSWORD""
$T --db temporal create-database || true
$T --db temporal setup-schema -v 0.0
$T --db temporal update-schema --schema-name postgresql/v12/temporal
$T --db temporal_visibility create-database || true
$T --db temporal_visibility setup-schema -v 0.0
$T --db temporal_visibility update-schema --schema-name postgresql/v12/visibility
