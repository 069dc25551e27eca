# Sourced by scripts/test and bench/run-pipeline: real object-storage servers on loopback,
# for the filesystem destination's bucket tests. Each is built or installed once, into a
# cache that outlives the clone (OBJSTORE_CACHE, by default ~/.cache/secoda-workbench/tools),
# and started in a throwaway folder with keys made up on the spot.
#
#   objstore_install      build or install what is missing: SeaweedFS's weed (an S3
#                         server, Go, about 4 minutes to build the first time), Azurite
#                         (Microsoft's Azure Storage emulator, npm) and fake-gcs-server (Go)
#   objstore_start        start the three on free ports of 127.0.0.1 and export, for the tests:
#                           SECODA_WORKBENCH_TEST_S3_ENDPOINT, _S3_ACCESS_KEY, _S3_SECRET_KEY,
#                           _S3_READONLY_ACCESS_KEY, _S3_READONLY_SECRET_KEY  (SeaweedFS)
#                           SECODA_WORKBENCH_TEST_AZURE_CONNECTION_STRING         (Azurite)
#                           SECODA_WORKBENCH_TEST_GCS_ENDPOINT                    (fake-gcs-server)
#   objstore_stop         stop them and delete their folders (call it from an EXIT trap)

SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
AZURITE_VERSION=3.37.0
FAKE_GCS_VERSION=v1.56.1

objstore_cache="${OBJSTORE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/secoda-workbench/tools}"
objstore_dir="" objstore_pids=()

objstore_weed() { echo "$objstore_cache/seaweedfs-$SEAWEEDFS_VERSION/weed"; }
objstore_azurite() { echo "$objstore_cache/azurite-$AZURITE_VERSION/node_modules/.bin/azurite-blob"; }
objstore_fakegcs() { echo "$objstore_cache/fake-gcs-server-$FAKE_GCS_VERSION/fake-gcs-server"; }

objstore_install() {
  mkdir -p "$objstore_cache"
  if [ ! -x "$(objstore_weed)" ]; then
    echo "== building SeaweedFS $SEAWEEDFS_VERSION (once; about 4 minutes on 2 cores)"
    local src tmp
    # Its go.mod has replace lines, so `go install module@version` refuses it: build the
    # downloaded module from a writable copy instead.
    src=$(go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [ -n "$src" ] || { echo "go mod download of SeaweedFS gave no folder" >&2; return 1; }
    tmp=$(mktemp -d)
    cp -r "$src/." "$tmp/" && chmod -R u+w "$tmp"
    (cd "$tmp" && go build -trimpath -ldflags='-s -w' -o "$(objstore_weed).tmp" ./weed) || { rm -rf "$tmp"; return 1; }
    rm -rf "$tmp"
    mv "$(objstore_weed).tmp" "$(objstore_weed)"
  fi
  if [ ! -x "$(objstore_fakegcs)" ]; then
    echo "== installing fake-gcs-server $FAKE_GCS_VERSION"
    GOBIN="$(dirname "$(objstore_fakegcs)")" go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
  fi
  if [ ! -x "$(objstore_azurite)" ]; then
    echo "== installing Azurite $AZURITE_VERSION"
    # It declares Node.js 22 and runs on this machine's 20.
    npm install --silent --no-audit --no-fund --engine-strict=false --prefix "$(dirname "$(dirname "$(dirname "$(objstore_azurite)")")")" "azurite@$AZURITE_VERSION" >/dev/null
  fi
}

# objstore_port prints a free port p of 127.0.0.1 whose p+10000 is free too (SeaweedFS
# serves gRPC there).
objstore_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null; then
      echo "$p"; return
    fi
  done
}

objstore_key() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# objstore_wait URL NAME LOG: wait up to 90 s for URL to answer.
objstore_wait() {
  local i
  for i in $(seq 1 180); do
    if curl -s -o /dev/null --max-time 2 "$1"; then return 0; fi
    sleep 0.5
  done
  echo "$2 did not answer at $1; its log:" >&2; tail -n 40 "$3" >&2; return 1
}

objstore_start() {
  objstore_dir=$(mktemp -d)
  # SeaweedFS, with two identities: one that may do everything, one that may only read.
  local s3 ak sk rak rsk
  ak=AK$(objstore_key 8) sk=$(objstore_key 20) rak=RO$(objstore_key 8) rsk=$(objstore_key 20)
  (umask 077 && cat >"$objstore_dir/s3.json" <<JSON
{"identities": [
  {"name": "writer", "credentials": [{"accessKey": "$ak", "secretKey": "$sk"}], "actions": ["Admin", "Read", "List", "Tagging", "Write"]},
  {"name": "reader", "credentials": [{"accessKey": "$rak", "secretKey": "$rsk"}], "actions": ["Read", "List"]}
]}
JSON
  )
  mkdir -p "$objstore_dir/weed"
  local master volume filer
  master=$(objstore_port) volume=$(objstore_port) filer=$(objstore_port) s3=$(objstore_port)
  (cd "$objstore_dir" && exec setsid "$(objstore_weed)" server -s3 -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$objstore_dir/weed" \
    -master.port="$master" -volume.port="$volume" -filer.port="$filer" -s3.port="$s3" -s3.config="$objstore_dir/s3.json" \
    -volume.max=0 -master.volumeSizeLimitMB=64 >"$objstore_dir/weed.log" 2>&1) &
  objstore_pids+=($!)
  # Azurite, with an account of its own.
  local az azacct=workbench azkey
  azkey=$(objstore_key 32 | xxd -r -p | base64 -w0)
  az=$(objstore_port)
  mkdir -p "$objstore_dir/azurite"
  (cd "$objstore_dir" && AZURITE_ACCOUNTS="$azacct:$azkey" exec setsid "$(objstore_azurite)" --blobHost 127.0.0.1 --blobPort "$az" \
    --location "$objstore_dir/azurite" --silent --skipApiVersionCheck >"$objstore_dir/azurite.log" 2>&1) &
  objstore_pids+=($!)
  # fake-gcs-server, in memory.
  local gcs
  gcs=$(objstore_port)
  (cd "$objstore_dir" && exec setsid "$(objstore_fakegcs)" -scheme http -host 127.0.0.1 -port "$gcs" -backend memory \
    -external-url "http://127.0.0.1:$gcs" -public-host "127.0.0.1:$gcs" -log-level error >"$objstore_dir/fake-gcs.log" 2>&1) &
  objstore_pids+=($!)

  objstore_wait "http://127.0.0.1:$s3/" SeaweedFS "$objstore_dir/weed.log" || return 1
  objstore_wait "http://127.0.0.1:$az/" Azurite "$objstore_dir/azurite.log" || return 1
  objstore_wait "http://127.0.0.1:$gcs/storage/v1/b" fake-gcs-server "$objstore_dir/fake-gcs.log" || return 1
  export SECODA_WORKBENCH_TEST_S3_ENDPOINT="http://127.0.0.1:$s3" \
    SECODA_WORKBENCH_TEST_S3_ACCESS_KEY="$ak" SECODA_WORKBENCH_TEST_S3_SECRET_KEY="$sk" \
    SECODA_WORKBENCH_TEST_S3_READONLY_ACCESS_KEY="$rak" SECODA_WORKBENCH_TEST_S3_READONLY_SECRET_KEY="$rsk" \
    SECODA_WORKBENCH_TEST_AZURE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=$azacct;AccountKey=$azkey;BlobEndpoint=http://127.0.0.1:$az/$azacct;" \
    SECODA_WORKBENCH_TEST_GCS_ENDPOINT="http://127.0.0.1:$gcs"
  echo "SeaweedFS S3 on 127.0.0.1:$s3, Azurite on 127.0.0.1:$az, fake-gcs-server on 127.0.0.1:$gcs"
}

objstore_stop() {
  local p
  for p in "${objstore_pids[@]}"; do
    kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${objstore_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  objstore_pids=()
  if [ -n "$objstore_dir" ]; then rm -rf "$objstore_dir"; fi
  objstore_dir=""
}
