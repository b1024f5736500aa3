#!/usr/bin/env bash
# Checks the config and the layers of an image tar written by `jib:buildTar` (make image-check).
#
# usage: check-image-tar.sh IMAGE.tar --main CLASS --port PORT [--env NAME=VALUE]... [--jvm-flag FLAG]...
#          [--argfile /IMAGE/PATH=LOCAL_FILE]... [--no-jvm-flag PREFIX]... [--file REGEX]...
#   --main  the entrypoint must run java with this main class
#   --port  the image must expose PORT/tcp (repeatable)
#   --env   the image environment must hold NAME=VALUE
#   --jvm-flag  the entrypoint must pass this option to java (e.g. -Duser.home=/tmp)
#   --argfile  the entrypoint must pass @/IMAGE/PATH to java (a java argument file) and a layer must hold that file
#              with the content of LOCAL_FILE, so java runs with the options listed there
#   --no-jvm-flag  neither the entrypoint nor an --argfile may pass an option starting with PREFIX (e.g. -Xmx)
#   --file  some layer must hold a path matching the extended regex (anchored at the start, e.g. app/libs/x-.*\.jar)
# The user must be set and not root. Prints one line per check; exits 1 on the first failure.
set -euo pipefail

tar_file=$1; shift
main='' ports=(); envs=() files=() flags=() argfiles=() forbidden=()
while [ $# -gt 0 ]; do
  case $1 in
    --main) main=$2; shift 2 ;;
    --port) ports+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --jvm-flag) flags+=("$2"); shift 2 ;;
    --argfile) argfiles+=("$2"); shift 2 ;;
    --no-jvm-flag) forbidden+=("$2"); shift 2 ;;
    --file) files+=("$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

name=$(basename "$(dirname "$(dirname "$tar_file")")")
fail() { echo "image-check: $name: FAIL: $*" >&2; exit 1; }
ok() { echo "image-check: $name: ok: $*"; }

[ -f "$tar_file" ] || fail "no image tar at $tar_file (run make image-tars)"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tar -xf "$tar_file" -C "$work" manifest.json config.json
config=$(tr -d '\n' <"$work/config.json")
layers=$(grep -o '"[^"]*\.tar\.gz"' "$work/manifest.json" | tr -d '"')

entrypoint=$(grep -o '"Entrypoint":\[[^]]*\]' <<<"$config" || true)
[[ $entrypoint == '"Entrypoint":["java",'* ]] || fail "entrypoint does not start with java: $entrypoint"
[[ $entrypoint == *"\"$main\"]" ]] || fail "entrypoint does not end with the main class $main: $entrypoint"
ok "entrypoint $entrypoint"
for f in ${flags[@]+"${flags[@]}"}; do
  [[ $entrypoint == *"\"$f\""* ]] || fail "entrypoint does not pass $f to java: $entrypoint"
  ok "java runs with $f"
done

: >"$work/argfiles"
for a in ${argfiles[@]+"${argfiles[@]}"}; do
  image_path=${a%%=*} local_file=${a#*=}
  [[ $entrypoint == *"\"@$image_path\""* ]] || fail "entrypoint does not pass @$image_path to java: $entrypoint"
  [ -f "$local_file" ] || fail "no $local_file to compare $image_path with"
  : >"$work/argfile"
  for layer in $layers; do
    tar -xOf "$tar_file" "$layer" | tar --warning=no-unknown-keyword -xzOf - "${image_path#/}" >>"$work/argfile" \
      2>/dev/null || true
  done
  [ -s "$work/argfile" ] || fail "no layer holds $image_path"
  cmp -s "$work/argfile" "$local_file" || fail "$image_path in the image differs from $local_file"
  ok "java runs with @$image_path, as $local_file lists: $(sed 's/#.*//' "$local_file" | xargs)"
  cat "$work/argfile" >>"$work/argfiles"
done
for p in ${forbidden[@]+"${forbidden[@]}"}; do
  [[ $entrypoint != *"\"$p"* ]] || fail "entrypoint passes $p...: $entrypoint"
  for option in $(sed 's/#.*//' "$work/argfiles"); do
    [[ $option != "$p"* ]] || fail "an argument file passes $option"
  done
  ok "java runs without $p..."
done

exposed=$(grep -oE '"ExposedPorts":\{("[0-9]+/(tcp|udp)":\{\},?)*\}' <<<"$config" || true)
for port in "${ports[@]}"; do
  grep -q "\"$port/tcp\"" <<<"$exposed" || fail "port $port/tcp not exposed"
  ok "exposes $port/tcp"
done

user=$(grep -o '"User":"[^"]*"' <<<"$config" | cut -d'"' -f4 || true)
[ -n "$user" ] || fail "no user set: the container would run as root"
case ${user%%:*} in 0|root) fail "runs as root ($user)" ;; esac
ok "runs as non-root user $user"

for e in ${envs[@]+"${envs[@]}"}; do
  grep -q "\"$e\"" <<<"$config" || fail "environment lacks $e"
  ok "environment has $e"
done

if [ ${#files[@]} -gt 0 ]; then
  : >"$work/paths"
  for layer in $layers; do
    tar -xOf "$tar_file" "$layer" | tar --warning=no-unknown-keyword -tzf - >>"$work/paths"
  done
  for f in "${files[@]}"; do
    hit=$(grep -E -m1 "^$f\$" "$work/paths" || true)
    [ -n "$hit" ] || fail "no layer holds a path matching $f"
    ok "layer holds $hit"
  done
fi
