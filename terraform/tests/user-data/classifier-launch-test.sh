#!/bin/bash
# Runs the worker's launch script (templates/classifier.sh.tftpl, classifier-launch) against recording stand-ins for
# aws, docker, curl, systemctl, imds and sleep, in every lifecycle case, and checks what it tells Auto Scaling; then
# the watchdog (restarts a worker whose /health gives no answer) and the Unhealthy report.
# Offline; needs `terraform init` done in terraform/ (it renders the template with `terraform console`).
# Usage: tests/user-data/classifier-launch-test.sh (from terraform/). Last line: launch-test: cases=<n> failed=<n>.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

vars='REQUEST_QUEUE="q", DEAD_LETTER_QUEUE="d", INPUT_BUCKET="i", OUTPUT_BUCKET="o", RESPONSE_QUEUE_PREFIX="p",
  AWS_REGION="us-east-1", jvm_options="-XX:+ExitOnOutOfMemoryError", PORT=8081, WORKER_THREADS=2, INTRA_OP_THREADS=1,
  image="registry.example/classifier:0123abc", registry="registry.example", log_group="/x/classifier",
  group_name="x-classifier", hook_name="worker-ready"'
echo "jsonencode(templatefile(\"templates/classifier.sh.tftpl\", {$(echo "$vars" | tr '\n' ' ')}))" \
  | terraform console 2>/dev/null | python3 -c 'import json,sys; print(json.loads(json.loads(sys.stdin.read())), end="")' \
  > "$work/user-data.sh"

# The scripts the user data installs: cat > /usr/local/bin/<name> <<'SH' ... SH
mkdir -p "$work/bin" "$work/stubs"
for name in classifier-launch classifier-pull classifier-watchdog classifier-unhealthy classifier-run; do
  awk -v name="$name" '$0 == "cat > /usr/local/bin/" name " <<'"'"'SH'"'"'" {on=1; next} on && $0 == "SH" {exit} on {print}' \
    "$work/user-data.sh" > "$work/bin/$name"
  [ -s "$work/bin/$name" ] || { echo "launch-test: $name not found in the rendered user data"; exit 1; }
  chmod +x "$work/bin/$name"
done

# Stand-ins: each records its arguments in $CALLS; behaviour from the case's variables.
cat > "$work/stubs/imds" <<'SH'
#!/bin/bash
echo "imds $*" >> "$CALLS"
case "$1" in
  instance-id) echo i-0a1b2c3d4e5f60718 ;;
  # TARGET_STATE, or TARGET_STATES "a b c": one per read, the last one repeated (a warm-pool instance leaving the pool).
  autoscaling/target-lifecycle-state)
    if [ -n "${TARGET_STATES:-}" ]; then
      read -ra states <<< "$TARGET_STATES"
      n=$(( $(cat "$CALLS.states" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$CALLS.states"
      [ "$n" -le "${#states[@]}" ] || n=${#states[@]}
      echo "${states[$((n - 1))]}"
    else
      echo "$TARGET_STATE"
    fi ;;
  *) exit 1 ;;
esac
SH
cat > "$work/stubs/aws" <<'SH'
#!/bin/bash
echo "aws $*" >> "$CALLS"
case "$1 $2" in
  "ecr get-login-password") echo token ;;
  "autoscaling complete-lifecycle-action")
    if [ "${NO_ACTION:-}" = 1 ]; then
      echo "An error occurred (ValidationError) when calling the CompleteLifecycleAction operation: No active Lifecycle Action found with instance ID i-0a1b2c3d4e5f60718" >&2
      exit 254
    fi ;;
esac
SH
cat > "$work/stubs/docker" <<'SH'
#!/bin/bash
echo "docker $*" >> "$CALLS"
case "$1 $2" in
  "image inspect") [ "$IMAGE_PRESENT" = 1 ] ;;
  "login --username") cat >/dev/null ;;
  "pull "*) [ "$PULL_OK" = 1 ] ;;
  *) exit 0 ;;
esac
SH
cat > "$work/stubs/curl" <<'SH'
#!/bin/bash
echo "curl $*" >> "$CALLS"
n=$(( $(cat "$CALLS.health" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$CALLS.health"
# The drain check (curl -sS, the body read): jobsInFlight 1 for the first BUSY_READS reads, then 0.
if [[ " $* " == *" -sS "* ]]; then
  b=$(( $(cat "$CALLS.busy" 2>/dev/null || echo 0) + 1 )); echo "$b" > "$CALLS.busy"
  busy=0; [ "$b" -le "${BUSY_READS:-0}" ] && busy=1
  echo "drain-read jobsInFlight=$busy" >> "$CALLS"
  echo "{\"status\":\"UP\",\"details\":{\"lifecycleGate\":{\"details\":{\"open\":false,\"jobsInFlight\":$busy}}}}"
  exit 0
fi
# Healthy from answer HEALTHY_AFTER (0: never) until answer UNHEALTHY_FROM (unset: for ever).
[ -z "${UNHEALTHY_FROM:-}" ] || [ "$n" -lt "$UNHEALTHY_FROM" ] || exit 1
[ "$HEALTHY_AFTER" -gt 0 ] && [ "$n" -ge "$HEALTHY_AFTER" ]
SH
printf '#!/bin/bash\necho "systemctl $*" >> "$CALLS"\n' > "$work/stubs/systemctl"
# sleep returns at once; after SLEEPS calls it fails, which ends the watchdog's `while sleep 30` loop.
cat > "$work/stubs/sleep" <<'SH'
#!/bin/bash
n=$(( $(cat "$CALLS.sleeps" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$CALLS.sleeps"
[ "$n" -le "${SLEEPS:-1000000}" ]
SH
chmod +x "$work/stubs/"*

cases=0; failed=0
# check <case> <expected exit> <expected results in order: CONTINUE|ABANDON|none, "CONTINUE CONTINUE" for two hooks>
#       <worker started: yes|no> VAR=value...
check() {
  local name=$1 want_rc=$2 want_result=$3 want_start=$4; shift 4
  local calls="$work/$name.calls" rc=0 result started=no
  cases=$((cases + 1))
  env -i PATH="$work/stubs:$work/bin:/usr/bin:/bin" CALLS="$calls" IMAGE_PRESENT=0 PULL_OK=1 HEALTHY_AFTER=1 \
    TARGET_STATE=InService SLEEPS=200 "$@" bash "$work/bin/classifier-launch" > "$work/$name.out" 2>&1 || rc=$?
  result=$(sed -n 's/.*complete-lifecycle-action.*--lifecycle-action-result \([A-Z]*\).*/\1/p' "$calls" | tr '\n' ' ' | sed 's/ $//')
  grep -q '^systemctl start classifier.service' "$calls" && started=yes
  # Every CONTINUE comes after the worker was started and answered /health (the last answer before it); the worker
  # always runs with the lifecycle gate on.
  local order=ok
  if [[ "$result" == *CONTINUE* ]]; then
    awk '/^systemctl start classifier.service/{s=NR} /^curl .*\/health/{h=NR} /complete-lifecycle-action.*CONTINUE/{if (!(s && h && s<h && h<NR)) bad=1; h=0} END{exit bad}' "$calls" || order=bad
  fi
  if [ "$rc" = "$want_rc" ] && [ "${result:-none}" = "$want_result" ] && [ "$started" = "$want_start" ] && [ "$order" = ok ] \
      && grep -q -- '--auto-scaling-group-name x-classifier --lifecycle-hook-name worker-ready --instance-id i-0a1b2c3d4e5f60718' "$calls" ; then
    echo "launch-test: $name: ok (exit $rc, ${result:-no} lifecycle result, worker started: $started)"
  else
    failed=$((failed + 1))
    echo "launch-test: $name: FAILED: exit $rc (want $want_rc), result ${result:-none} (want $want_result), started $started (want $want_start), order $order"
    sed 's/^/    /' "$work/$name.out" "$calls"
  fi
}

# Warm pool: the worker starts (its gate closed) and the hook is completed once it is healthy; Stopped: the instance is
# stopped then (here: the script keeps reading Warmed:Stopped until its sleeps run out).
check warm-pool-prepares           0 CONTINUE yes TARGET_STATE=Warmed:Stopped HEALTHY_AFTER=3 SLEEPS=20
check warm-pool-pull-fails         1 ABANDON  no  TARGET_STATE=Warmed:Stopped PULL_OK=0
check warm-pool-never-healthy      1 ABANDON  yes TARGET_STATE=Warmed:Stopped HEALTHY_AFTER=0
# Running or Hibernated pool: no new boot when leaving the pool; the same script completes the second hook.
check warm-pool-running-leaves     0 "CONTINUE CONTINUE" yes TARGET_STATES="Warmed:Running Warmed:Running Warmed:Running InService"
check warm-pool-hibernated-leaves  0 "CONTINUE CONTINUE" yes TARGET_STATES="Warmed:Hibernated Warmed:Hibernated InService"
check warm-pool-then-terminated    0 CONTINUE yes TARGET_STATES="Warmed:Running Warmed:Running Terminated"
# Hibernated pool with reuse on scale-in: back into the pool and out again without a boot; each transition's hook.
check hibernated-returns-leaves-again 0 "CONTINUE CONTINUE CONTINUE CONTINUE" yes \
  TARGET_STATES="Warmed:Hibernated InService InService Warmed:Hibernated Warmed:Hibernated InService Terminated"
check launched-cold-then-pooled    0 "CONTINUE CONTINUE CONTINUE" yes \
  TARGET_STATES="InService InService Warmed:Hibernated InService Terminated"
# Scale-in into a Hibernated pool with jobs in flight: the hook waits until the worker reports none.
check return-to-pool-drains-first  0 "CONTINUE CONTINUE CONTINUE" yes \
  TARGET_STATES="Warmed:Hibernated InService InService Warmed:Hibernated Terminated" BUSY_READS=3
cases=$((cases + 1))
if [ "$(grep -c '^drain-read jobsInFlight=1' "$work/return-to-pool-drains-first.calls")" = 3 ] \
    && awk '/^drain-read jobsInFlight=0/{z=NR} /complete-lifecycle-action.*CONTINUE/{c=NR} END{exit !(z && c > z)}' \
      "$work/return-to-pool-drains-first.calls"; then
  echo "launch-test: drain-before-pool: ok (3 reads with a job in flight, CONTINUE only after one with none)"
else
  failed=$((failed + 1)); echo "launch-test: drain-before-pool: FAILED"; sed 's/^/    /' "$work/return-to-pool-drains-first.calls"
fi
check hibernated-resume-unhealthy  1 "CONTINUE ABANDON" yes TARGET_STATES="Warmed:Hibernated InService" \
  UNHEALTHY_FROM=2
check in-service-healthy           0 CONTINUE yes TARGET_STATE=InService HEALTHY_AFTER=3
check in-service-from-warm-pool    0 CONTINUE yes TARGET_STATE=InService IMAGE_PRESENT=1 PULL_OK=0 HEALTHY_AFTER=2
check in-service-never-healthy     1 ABANDON  yes TARGET_STATE=InService HEALTHY_AFTER=0
check in-service-reboot-no-action  0 CONTINUE yes TARGET_STATE=InService NO_ACTION=1
# watchdog <case> <restarts wanted> VAR=value...: 12 polls of 30 s with the worker active.
watchdog() {
  local name=$1 want=$2; shift 2
  local calls="$work/$name.calls" restarts
  cases=$((cases + 1))
  env -i PATH="$work/stubs:$work/bin:/usr/bin:/bin" CALLS="$calls" SLEEPS=12 HEALTHY_AFTER=1 "$@" \
    bash "$work/bin/classifier-watchdog" > "$work/$name.out" 2>&1 || true
  restarts=$(grep -c '^systemctl restart classifier.service' "$calls" || true)
  if [ "$restarts" = "$want" ]; then
    echo "launch-test: $name: ok ($restarts restarts in 12 polls)"
  else
    failed=$((failed + 1)); echo "launch-test: $name: FAILED: $restarts restarts (want $want)"; sed 's/^/    /' "$work/$name.out"
  fi
}
watchdog watchdog-worker-answers 0 HEALTHY_AFTER=1
watchdog watchdog-worker-silent  3 HEALTHY_AFTER=0

cases=$((cases + 1))
env -i PATH="$work/stubs:$work/bin:/usr/bin:/bin" CALLS="$work/unhealthy.calls" bash "$work/bin/classifier-unhealthy" \
  > "$work/unhealthy.out" 2>&1 || true
if grep -q -- '^aws autoscaling set-instance-health --region us-east-1 --instance-id i-0a1b2c3d4e5f60718 --health-status Unhealthy --no-should-respect-grace-period$' \
    "$work/unhealthy.calls"; then
  echo "launch-test: unhealthy-report: ok (set-instance-health Unhealthy for this instance)"
else
  failed=$((failed + 1)); echo "launch-test: unhealthy-report: FAILED"; sed 's/^/    /' "$work/unhealthy.out" "$work/unhealthy.calls"
fi

# The worker is started in the warm pool too, so it must never take a job before InService: its lifecycle gate is on.
cases=$((cases + 1))
if awk '$0 == "cat > /etc/image-recognition/classifier.env <<'"'"'ENV'"'"'" {on=1; next} on && $0 == "ENV" {exit} on {print}' \
    "$work/user-data.sh" | grep -qx 'LIFECYCLE_GATE=imds' \
    && grep -q -- '--env-file /etc/image-recognition/classifier.env' "$work/bin/classifier-run"; then
  echo "launch-test: lifecycle-gate-on: ok (LIFECYCLE_GATE=imds in the worker's environment)"
else
  failed=$((failed + 1)); echo "launch-test: lifecycle-gate-on: FAILED: the worker's environment lacks LIFECYCLE_GATE=imds"
fi
echo "launch-test: cases=$cases failed=$failed"
[ "$failed" = 0 ]
