# Sourced by scripts/test and bench/run-pipeline: a throwaway PostgreSQL cluster.
#
#   pg_bindir            the newest /usr/lib/postgresql/VERSION/bin with initdb, pg_ctl
#                        and postgres (Debian keeps them off PATH), or nothing
#   pg_start [-c k=v...] initdb into a temporary folder and start the server on a free
#                        port of 127.0.0.1 only, superuser `postgres` with a random
#                        password (scram-sha-256 over TCP); sets PG_URL (no password in
#                        it) and PG_PASSWORD. Extra -c settings go to the server.
#   pg_stop              stop it and delete the folder (call it from an EXIT trap: the
#                        server runs in its own session, so nothing else would stop it)

pg_dir="" pg_bin=""

pg_bindir() {
  local d found=()
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then found+=("$d"); fi
  done
  if [ ${#found[@]} -gt 0 ]; then printf '%s\n' "${found[@]}" | sort -V | tail -n 1; fi
}

# pg_as runs a command as the cluster's owner: PostgreSQL refuses to run as root, so as
# root its files and server belong to the postgres user (the package creates it).
pg_as() {
  if [ "$(id -u)" = 0 ]; then (cd "$pg_dir" && runuser -u postgres -- "$@"); else (cd "$pg_dir" && "$@"); fi
}

# pg_free_port prints a TCP port nothing listens on at 127.0.0.1 right now.
pg_free_port() {
  if command -v python3 >/dev/null &&
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; then
    return
  fi
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

pg_start() {
  pg_bin=$(pg_bindir)
  if [ -z "$pg_bin" ]; then
    echo "no initdb in /usr/lib/postgresql/*/bin: install Debian's postgresql" >&2; return 1
  fi
  pg_dir=$(mktemp -d)
  [ "$(id -u)" != 0 ] || chown postgres: "$pg_dir"
  PG_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$PG_PASSWORD" >"$pg_dir/pwfile")
  [ "$(id -u)" != 0 ] || chown postgres: "$pg_dir/pwfile"
  if ! pg_as "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --pwfile="$pg_dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
      >"$pg_dir/initdb.log" 2>&1; then
    echo "initdb failed:" >&2; cat "$pg_dir/initdb.log" >&2; return 1
  fi
  rm -f "$pg_dir/pwfile"
  local attempt port
  # Another process can take the free port before the server binds it: then try another.
  for attempt in 1 2 3; do
    port=$(pg_free_port)
    rm -f "$pg_dir/server.log"
    if pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$pg_dir'" \
        -o "$*" start >"$pg_dir/pg_ctl.log" 2>&1; then
      PG_URL="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
      echo "PostgreSQL $("$pg_bin/postgres" -V | cut -d' ' -f3) on 127.0.0.1:$port"
      return 0
    fi
    if [ "$attempt" = 3 ] || ! grep -q 'could not bind' "$pg_dir/server.log" 2>/dev/null; then
      echo "PostgreSQL did not start on 127.0.0.1:$port:" >&2
      cat "$pg_dir/pg_ctl.log" "$pg_dir/server.log" >&2 2>/dev/null || true
      return 1
    fi
  done
}

pg_stop() {
  if [ -n "$pg_dir" ] && [ -e "$pg_dir/data/postmaster.pid" ]; then
    pg_as "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -n "$pg_dir" ]; then rm -rf "$pg_dir"; fi
  pg_dir=""
}
