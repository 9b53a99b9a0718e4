#!/usr/bin/env bash
# Runs a command against a throw-away S3 server: starts Ceph RGW on 127.0.0.1 (scripts/ceph/),
# exports what the S3 tests read, runs the command, and always stops the server.
#   scripts/with-s3.sh npm test
#   scripts/with-s3.sh npx vitest run test/s3
# Needs the Debian packages ceph-mon ceph-osd radosgw ceph-common curl (see .ci/run).
# Exits with the command's status (1 if the server cannot be started).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ "$#" -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

# A port nobody listens on, from a list of candidates.
free_port() {
  local p
  for p in "$@"; do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

export CEPH_DIR
CEPH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/trailproof-ceph.XXXXXX")
export S3_ACCESS_KEY=${S3_ACCESS_KEY:-trailproof-test-access}
export S3_SECRET_KEY=${S3_SECRET_KEY:-trailproof-test-secret}
export S3_REGION=us-east-1
export RGW_PORT MON_PORT
RGW_PORT=$(free_port 7480 7481 7482 7483 7484 7485 7486 7487 7488 7489) || { echo "no free port for RGW" >&2; exit 1; }
MON_PORT=$(free_port 6789 6779 6769 6759 6749 6739 6729 6719 6709 6699) || { echo "no free port for the Ceph monitor" >&2; exit 1; }

stop_s3() {
  local rc=$?
  trap - EXIT INT TERM
  CEPH_FAST_STOP=${CEPH_FAST_STOP:-1} "$HERE/ceph/stop-ceph-rgw.sh" || true
  rm -rf "$CEPH_DIR" "${CEPH_DIR}.start.log"
  exit "$rc"
}
trap stop_s3 EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=0
t0=$EPOCHREALTIME
for attempt in 1 2 3; do
  if "$HERE/ceph/start-ceph-rgw.sh" >"${CEPH_DIR}.start.log" 2>&1; then started=1; break; fi
  echo "with-s3: starting Ceph RGW failed (attempt $attempt); its log:" >&2
  tail -n 30 "${CEPH_DIR}.start.log" >&2 || true
  for f in "$CEPH_DIR"/log/*; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  # The start script has already stopped what it started: forget its PIDs (never kill a reused PID).
  rm -rf "$CEPH_DIR"
  mkdir -p "$CEPH_DIR"
done
[ "$started" = 1 ] || { echo "with-s3: could not start Ceph RGW" >&2; exit 1; }
awk -v a="$t0" -v b="$EPOCHREALTIME" -v p="$RGW_PORT" 'BEGIN{printf "with-s3: Ceph RGW up on 127.0.0.1:%s in %.1f s\n", p, b-a}' >&2

# What the S3 tests read; nothing from the machine's own AWS set-up may leak in.
export TRAILPROOF_S3_ENDPOINT="http://127.0.0.1:$RGW_PORT"
export AWS_ACCESS_KEY_ID="$S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET_KEY" AWS_REGION=us-east-1
export AWS_CONFIG_FILE="$CEPH_DIR/no-aws-config" AWS_SHARED_CREDENTIALS_FILE="$CEPH_DIR/no-aws-credentials"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
  AWS_ENDPOINT_URL_CLOUDTRAIL AWS_ENDPOINT_URL_ORGANIZATIONS AWS_CA_BUNDLE

set +e
"$@"
status=$?
set -e
exit "$status"
