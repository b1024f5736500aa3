#!/usr/bin/env bash
# make image-smoke, after the base image and the image tars are built: starts a private dockerd (unless DOCKER_HOST
# already points at a working engine), loads both image tars, runs ImageSmokeTest, and stops the dockerd it started
# by its PID. The containers use host networking; the dockerd adds no iptables rules, and the docker0 bridge it creates
# (Testcontainers inspects the default "bridge" network) is removed again when it did not exist before.
#
# usage: run-smoke.sh STATE_DIR MVN...     (STATE_DIR holds the dockerd socket, data and log)
set -uo pipefail

state=$(realpath -m "$1"); shift
mvn=("$@")
started=$(date +%s)
dockerd_pid=''
remove_bridge=''

stop_dockerd() {
  if [ -n "$dockerd_pid" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
    echo "image-smoke: stopping dockerd (pid $dockerd_pid)"
    kill "$dockerd_pid"
    for _ in $(seq 1 30); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 1; done
    kill -0 "$dockerd_pid" 2>/dev/null && kill -9 "$dockerd_pid"
  fi
  # dockerd leaves its network namespace mounted under its exec root; unmount it, or the folder cannot be deleted.
  if [ -n "$dockerd_pid" ]; then
    for ns in "$state"/exec/netns/*; do
      if mountpoint -q "$ns" 2>/dev/null; then umount "$ns" 2>/dev/null || umount -l "$ns"; fi
    done
  fi
  if [ -n "$remove_bridge" ] && ip link show docker0 >/dev/null 2>&1; then
    ip link delete docker0 && echo "image-smoke: removed the docker0 bridge"
  fi
}
trap stop_dockerd EXIT

if [ -n "${DOCKER_HOST:-}" ] && docker version >/dev/null 2>&1; then
  echo "image-smoke: using the engine at DOCKER_HOST=$DOCKER_HOST"
elif command -v dockerd >/dev/null && [ "$(id -u)" = 0 ]; then
  mkdir -p "$state"
  ip link show docker0 >/dev/null 2>&1 || remove_bridge=yes
  export DOCKER_HOST="unix://$state/docker.sock"
  dockerd --host "$DOCKER_HOST" --data-root "$state/data" --exec-root "$state/exec" --pidfile "$state/dockerd.pid" \
    --iptables=false --ip6tables=false >"$state/dockerd.log" 2>&1 &
  dockerd_pid=$!
  echo "image-smoke: started dockerd (pid $dockerd_pid, log $state/dockerd.log)"
  for _ in $(seq 1 60); do docker version >/dev/null 2>&1 && break; sleep 1; done
  docker version >/dev/null 2>&1 || { echo "image-smoke: dockerd did not come up:"; tail -20 "$state/dockerd.log"; }
else
  echo "image-smoke: no Docker engine: dockerd is not installed (apt-get install docker.io) or not running as root"
fi

if docker version >/dev/null 2>&1; then
  for tar in web-service/target/jib-image.tar classifier-service/target/jib-image.tar; do
    docker load -i "$tar" | sed 's/^/image-smoke: /' || exit 1
  done
fi

"${mvn[@]}" -P image-smoke -pl image-smoke -am verify -Dsurefire.failIfNoSpecifiedTests=false -Dtest='ImageSmokeTest'
rc=$?
docker image prune -f >/dev/null 2>&1 || true   # earlier loads of the same tags
echo "image-smoke: finished in $(( $(date +%s) - started )) s (after the image builds), exit $rc"
exit $rc
