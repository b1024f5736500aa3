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
  group_name="x-classifier", hook_name="worker-ready", terminating_hook_name="worker-drained", drain_timeout_seconds=60'
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
# The drain check (curl -sS, the body read): jobsInFlight 1 for the first BUSY_READS reads, then 0; no answer at all
# with DRAIN_SILENT=1 (the worker is stopped or crashed).
if [[ " $* " == *" -sS "* ]]; then
  if [ "${DRAIN_SILENT:-}" = 1 ]; then
    echo "drain-read no answer" >> "$CALLS"
    echo "curl: (7) Failed to connect to 127.0.0.1 port 8081" >&2
    exit 7
  fi
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
# sleep returns at once (recorded); after SLEEPS calls it fails, which ends the watchdog's `while sleep 30` loop.
cat > "$work/stubs/sleep" <<'SH'
#!/bin/bash
[ -z "${CALLS:-}" ] || echo "sleep $*" >> "$CALLS"
n=$(( $(cat "$CALLS.sleeps" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$CALLS.sleeps"
[ "$n" -le "${SLEEPS:-1000000}" ]
SH
chmod +x "$work/stubs/"*

cases=0; failed=0
# check <case> <expected exit> <expected results in order: CONTINUE|ABANDON for the launch hook, drained:CONTINUE for
#       the terminating hook, "CONTINUE drained:CONTINUE" for two; none> <worker started: yes|no> VAR=value...
check() {
  local name=$1 want_rc=$2 want_result=$3 want_start=$4; shift 4
  local calls="$work/$name.calls" rc=0 result started=no
  cases=$((cases + 1))
  env -i PATH="$work/stubs:$work/bin:/usr/bin:/bin" CALLS="$calls" IMAGE_PRESENT=0 PULL_OK=1 HEALTHY_AFTER=1 \
    TARGET_STATE=InService SLEEPS=200 "$@" bash "$work/bin/classifier-launch" > "$work/$name.out" 2>&1 || rc=$?
  result=$(sed -n -e 's/.*complete-lifecycle-action.*--lifecycle-hook-name worker-ready .*--lifecycle-action-result \([A-Z]*\).*/\1/p' \
    -e 's/.*complete-lifecycle-action.*--lifecycle-hook-name worker-drained .*--lifecycle-action-result \([A-Z]*\).*/drained:\1/p' \
    "$calls" | tr '\n' ' ' | sed 's/ $//')
  grep -q '^systemctl start classifier.service' "$calls" && started=yes
  # Every launch CONTINUE comes after the worker was started and answered /health (the last answer before it); the
  # worker always runs with the lifecycle gate on. Every completion names this group, one of its hooks, this instance.
  local order=ok
  if [[ "$result" == *CONTINUE* ]]; then
    awk '/^systemctl start classifier.service/{s=NR} /^curl .*-o \/dev\/null.*\/health/{h=NR} /complete-lifecycle-action.*worker-ready.*CONTINUE/{if (!(s && h && s<h && h<NR)) bad=1; h=0} END{exit bad}' "$calls" || order=bad
  fi
  if grep 'complete-lifecycle-action' "$calls" 2>/dev/null \
      | grep -qv -- '--auto-scaling-group-name x-classifier --lifecycle-hook-name worker-\(ready\|drained\) --instance-id i-0a1b2c3d4e5f60718 '; then
    order=bad
  fi
  if [ "$rc" = "$want_rc" ] && [ "${result:-none}" = "$want_result" ] && [ "$started" = "$want_start" ] && [ "$order" = ok ]; then
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
# A pool instance terminated while running (gate closed, no job): the terminating hook is completed at once.
check warm-pool-then-terminated    0 "CONTINUE drained:CONTINUE" yes TARGET_STATES="Warmed:Running Warmed:Running Terminated"
# Hibernated pool with reuse on scale-in: back into the pool and out again without a boot. Leaving the pool is held by
# the launch hook, going back (and termination) by the terminating hook (AWS: Warmed:Pending:Wait for
# EC2_INSTANCE_TERMINATING); each is completed once.
check hibernated-returns-leaves-again 0 "CONTINUE CONTINUE drained:CONTINUE CONTINUE drained:CONTINUE" yes \
  TARGET_STATES="Warmed:Hibernated InService InService Warmed:Hibernated Warmed:Hibernated InService Terminated"
check launched-cold-then-pooled    0 "CONTINUE drained:CONTINUE CONTINUE drained:CONTINUE" yes \
  TARGET_STATES="InService InService Warmed:Hibernated InService Terminated"
# Scale-in into a Hibernated pool with jobs in flight: the terminating hook (not the launch hook, which AWS does not
# hold this return for) is completed only once the worker reports none.
check return-to-pool-drains-first  0 "CONTINUE CONTINUE drained:CONTINUE drained:CONTINUE" yes \
  TARGET_STATES="Warmed:Hibernated InService InService Warmed:Hibernated Terminated" BUSY_READS=3
# drained <case> <busy reads> <idle reads> <what>: the case's first terminating completion comes right after exactly
# that many drain reads with a job in flight then that many without (no completion of any hook among them).
drained() {
  local name=$1 busy=$2 idle=$3 what=$4 calls="$work/$1.calls" seen
  cases=$((cases + 1))
  seen=$(awk '/^drain-read/{r = r $2 " "} /complete-lifecycle-action/{if (r != "") {print r; exit} } ' "$calls")
  local want="" i
  for ((i = 0; i < busy; i++)); do want+="jobsInFlight=1 "; done
  for ((i = 0; i < idle; i++)); do want+="jobsInFlight=0 "; done
  if [ "$seen" = "$want" ] && grep -q 'worker-drained' <(awk '/^drain-read/{d=1} d && /complete-lifecycle-action/{print; exit}' "$calls"); then
    echo "launch-test: $name-drain: ok ($what)"
  else
    failed=$((failed + 1)); echo "launch-test: $name-drain: FAILED: drain reads before the completion: '$seen' (want '$want')"
    sed 's/^/    /' "$calls"
  fi
}
drained return-to-pool-drains-first 3 1 "3 reads with a job in flight, the terminating hook's CONTINUE only after one with none"
# Scale-in that terminates a worker: the same drain; bounded by drain_timeout_seconds (60 s here: 12 reads, 5 s apart)
# when a job hangs; never completed while the worker still reports a job within the bound.
check terminated-completes-after-drain 0 "CONTINUE drained:CONTINUE" yes TARGET_STATES="InService InService Terminated" \
  BUSY_READS=3
drained terminated-completes-after-drain 3 1 "CONTINUE after 3 busy reads and 1 idle one"
check terminated-job-hangs           0 "CONTINUE drained:CONTINUE" yes TARGET_STATES="InService Terminated" BUSY_READS=1000
drained terminated-job-hangs 12 0 "CONTINUE at the bound: 12 reads of 5 s with the job still running"
check terminated-busy-till-last-read 0 "CONTINUE drained:CONTINUE" yes TARGET_STATES="InService Terminated" BUSY_READS=11
drained terminated-busy-till-last-read 11 1 "no completion during 11 busy reads; CONTINUE after the idle 12th"
# An idle worker's termination is not delayed: one read, no sleep between the Terminated state and the completion.
check terminated-idle                0 "CONTINUE drained:CONTINUE" yes TARGET_STATES="InService Terminated"
drained terminated-idle 0 1 "one read with no job in flight"
cases=$((cases + 1))
if awk '/^imds autoscaling\/target-lifecycle-state/{s=0} /^sleep/{s++} /worker-drained/{print s; exit}' \
    "$work/terminated-idle.calls" | grep -qx 0; then
  echo "launch-test: terminated-idle-no-wait: ok (no sleep between reading Terminated and completing the hook)"
else
  failed=$((failed + 1)); echo "launch-test: terminated-idle-no-wait: FAILED"; sed 's/^/    /' "$work/terminated-idle.calls"
fi
# A worker that no longer answers holds no job to wait for: 3 reads, not the whole bound.
check terminated-worker-silent       0 "CONTINUE drained:CONTINUE" yes TARGET_STATES="InService Terminated" DRAIN_SILENT=1
cases=$((cases + 1))
if [ "$(grep -c '^drain-read no answer' "$work/terminated-worker-silent.calls")" = 3 ]; then
  echo "launch-test: terminated-worker-silent-reads: ok (3 unanswered reads, then CONTINUE)"
else
  failed=$((failed + 1)); echo "launch-test: terminated-worker-silent-reads: FAILED"; sed 's/^/    /' "$work/terminated-worker-silent.calls"
fi
# Terminated before the worker ever started (e.g. during boot): the terminating hook only.
check terminated-at-boot             0 drained:CONTINUE no TARGET_STATE=Terminated DRAIN_SILENT=1
# An abandoned launch is terminated by the group: its terminating hook is completed at once, not left to time out.
check abandoned-then-terminated      1 "ABANDON drained:CONTINUE" yes TARGET_STATES="InService InService Terminated" \
  HEALTHY_AFTER=0
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
