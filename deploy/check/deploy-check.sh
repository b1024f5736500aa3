#!/usr/bin/env bash
# make deploy-check: the deploy, images, load-test and destroy flows exactly as users run them (`make deploy` and so
# on, through the Makefile and deploy/deploy.sh), offline, with recording stand-ins for aws, terraform, mvn, java and
# curl first on PATH (deploy/check/standin; canned answers in deploy/check/fixtures). Each flow asserts the calls in
# order with every argument, the variables handed to Terraform, the environment and stdin of the calls, the messages
# and the exit status. The stand-ins answer like the real tools as far as the flows need (Terraform 1.11.4's approval
# prompt and its outputs after a targeted apply were checked on this machine); what AWS itself would answer to a real
# account (quotas, offerings, Jib's push) cannot be checked here.
# Last line: deploy-check: flows=<n> steps=<n> failed=<n>; exit status 1 when failed > 0.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHECK=$ROOT/deploy/check
WORK=$(mktemp -d)
trap '[ -n "${KEEP_WORK:-}" ] && echo "deploy-check: sandboxes kept in $WORK" || rm -rf "$WORK"' EXIT
for tool in jq git make; do
  command -v "$tool" >/dev/null || { echo "deploy-check: needs $tool"; echo "deploy-check: flows=0 steps=0 failed=1"; exit 1; }
done

flows=0 steps=0 failed=0
FLOW='' SB='' RC=0 TAG='' flow_steps=0 flow_failed=0
REGISTRY=123456789012.dkr.ecr.eu-west-3.amazonaws.com
ECR_PASSWORD=$(cat "$CHECK/fixtures/ecr-login-password.txt")
WEB_URL=http://image-recognition-web-1234567890.eu-west-3.elb.amazonaws.com
QUEUE_URL=https://sqs.eu-west-3.amazonaws.com/123456789012/image-recognition-requests
SUBNET_A=subnet-0aaa1111aaaa11111 SUBNET_B=subnet-0bbb2222bbbb22222 SUBNET_C=subnet-0ccc3333cccc33333

# A committed repository stands in for the checkout whose commit tags the images.
TEMPLATE_REPO=$WORK/template-repo
mkdir -p "$TEMPLATE_REPO"
(cd "$TEMPLATE_REPO" && git init -q && echo "stand-in checkout" >README.md && git add README.md &&
  GIT_AUTHOR_DATE=2026-11-30T10:00:00Z GIT_COMMITTER_DATE=2026-11-30T10:00:00Z \
    git -c user.name=deploy-check -c user.email=deploy-check@example.invalid commit -q -m "stand-in commit")
GIT_TAG=$(git -C "$TEMPLATE_REPO" rev-parse --short=12 HEAD)

# ---- flows and assertions ----------------------------------------------------------------------------------------

# flow NAME: a fresh sandbox (checkout, Terraform folder, stand-in state, the flow's own rules).
flow() {
  end_flow
  FLOW=$1 SB=$WORK/flow-$((flows + 1))
  flows=$((flows + 1)) flow_steps=0 flow_failed=0
  mkdir -p "$SB/tf" "$SB/state" "$SB/home"
  cp -a "$TEMPLATE_REPO" "$SB/repo"
  : >"$SB/rules" && : >"$SB/calls.jsonl"
  touch "$SB/load-test-all.jar"
  TAG=$GIT_TAG STANDIN_PLAN=''
}

end_flow() {
  [ -n "$FLOW" ] || return 0
  if [ "$flow_failed" -eq 0 ]; then
    echo "ok   flow $flows: $FLOW ($flow_steps steps)"
  else
    echo "FAIL flow $flows: $FLOW ($flow_failed of $flow_steps steps failed); its output:"
    sed 's/^/       | /' "$SB/out"
  fi
  FLOW=''
}

rule() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$SB/rules"; }   # rule EXIT FIXTURE GLOB (this flow only)
deployed() {                                                     # a state after a full apply in eu-west-3
  echo full >"$SB/state/terraform"
  jq -n --arg a "$SUBNET_A" --arg b "$SUBNET_B" '{region: "eu-west-3", subnet_ids: [$a, $b],
    web_allowed_cidrs: ["203.0.113.7/32"], image_tag: "v1.2.0"}' >"$SB/tf/deploy.tfvars.json"
  (umask 077 && echo "$DEPLOYED_KEY" >"$SB/tf/api-keys.txt")
}
DEPLOYED_KEY=0123456789abcdef0123456789abcdef

# run STDIN TARGET [MAKE_VAR=value...]: make TARGET as a user would, with nothing of this shell's environment;
# STDIN is "closed" (</dev/null) or "yes" (a pipe answering yes to each confirmation).
run() {
  local stdin=$1 target=$2
  shift 2
  local command=(env -i PATH="$CHECK/bin:/usr/bin:/bin" HOME="$SB/home" LANG=C.UTF-8
    STANDIN_LOG="$SB/calls.jsonl" STANDIN_RULES="$SB/rules:$CHECK/fixtures/default.rules"
    STANDIN_FIXTURES="$CHECK/fixtures" STANDIN_STATE="$SB/state" STANDIN_PLAN="$STANDIN_PLAN" REPO_ROOT="$SB/repo"
    make -s --no-print-directory -C "$ROOT" "$target" TF_DIR="$SB/tf" LOAD_TEST_JAR="$SB/load-test-all.jar" "$@")
  case "$stdin" in
    closed) "${command[@]}" </dev/null >"$SB/out" 2>&1 ;;
    yes) printf 'yes\n%.0s' 1 2 3 4 5 | "${command[@]}" >"$SB/out" 2>&1 ;;
  esac
  RC=$?
}

pass() { steps=$((steps + 1)) flow_steps=$((flow_steps + 1)); }
fail() {
  steps=$((steps + 1)) flow_steps=$((flow_steps + 1)) failed=$((failed + 1)) flow_failed=$((flow_failed + 1))
  echo "  FAIL [$FLOW] $1"
  shift
  local line
  for line in "$@"; do echo "       $line"; done
}
check() { # check DESCRIPTION COMMAND...: one step
  local description=$1
  shift
  if "$@"; then pass; else fail "$description"; fi
}

# The recorded calls, one line each: tool and arguments, the sandbox path shown as <sb>.
calls() {
  jq -r --arg sb "$SB" '[.tool] + .args | map(split($sb) | join("<sb>")
    | if test("^[A-Za-z0-9_@%+=:,./<>-]+$") then . else @sh end) | join(" ")' "$SB/calls.jsonl"
}

# expect_calls <<EOF: the calls in this order with exactly these arguments (<tag> = TAG, <sb> = the sandbox).
expect_calls() {
  local expected actual i
  mapfile -t expected < <(sed -e "s|<tag>|$TAG|g" -e '/^$/d')
  mapfile -t actual < <(calls)
  for i in "${!expected[@]}"; do
    if [ "${actual[i]-<no call>}" = "${expected[i]}" ]; then pass; else
      fail "call $((i + 1))" "expected: ${expected[i]}" "got:      ${actual[i]-<no call>}"
    fi
  done
  if [ "${#actual[@]}" -eq "${#expected[@]}" ]; then pass; else
    fail "${#actual[@]} calls, expected ${#expected[@]}; the extra ones:" "${actual[@]:${#expected[@]}}"
  fi
}

# jq_calls FILTER: true when FILTER holds on the array of recorded calls.
jq_calls() { jq -se "$@" "$SB/calls.jsonl" >/dev/null; }   # [--arg NAME VALUE...] FILTER
status_is() { check "exit status $1 (got $RC)" [ "$RC" -eq "$1" ]; }
fails() { check "exit status not 0" [ "$RC" -ne 0 ]; }
says() { check "says: $1" grep -qF -- "$1" "$SB/out"; }
says_not() { check "does not say: $1" bash -c '! grep -qF -- "$1" "$2"' _ "$1" "$SB/out"; }
line_is() { # line_is TEXT: the output has exactly this line
  check "prints the line: $1" grep -qxF -- "$1" "$SB/out"
}
before() { # before FIRST SECOND: FIRST appears in the output before SECOND
  local a b
  a=$(grep -nF -- "$1" "$SB/out" | head -1 | cut -d: -f1)
  b=$(grep -nF -- "$2" "$SB/out" | head -1 | cut -d: -f1)
  check "'$1' is printed before '$2'" [ "${a:-0}" -gt 0 -a "${b:-0}" -gt "${a:-0}" ]
}
tfvars_is() { # tfvars_is JSON: the variables deploy.tfvars.json hands to Terraform
  check "deploy.tfvars.json is $1" jq -e --argjson want "$1" '. == $want' "$SB/tf/deploy.tfvars.json" >/dev/null
}
aws_calls_ok() { # every aws call names the region and cannot open a pager
  check "every aws call passes --region $1" jq_calls \
    "map(select(.tool == \"aws\")) | all(.args | index(\"--region\") as \$i | \$i != null and .[\$i + 1] == \"$1\")"
  check "every aws call runs with AWS_PAGER set and empty" jq_calls \
    'map(select(.tool == "aws")) | all(.env.AWS_PAGER == "")'
}
no_prompt() { # AUTO_APPROVE=1: nothing asked, stdin closed for apply/destroy, -auto-approve on each
  check "no call waited for an answer" jq_calls 'all(.prompted | not)'
  check "terraform apply/destroy run with stdin closed and -auto-approve" jq_calls \
    'map(select(.tool == "terraform" and (.args[1] == "apply" or .args[1] == "destroy")))
     | length > 0 and all(.stdin == "null" and (.args | index("-auto-approve") != null))'
}
pushes_ok() { # mvn: package + jib:build in the checkout, never install, logged in to the deployment's registry
  check "mvn never runs install or deploy" jq_calls 'map(select(.tool == "mvn")) | all(.args | index("install") == null and index("deploy") == null)'
  check "mvn runs in the checkout" jq_calls 'map(select(.tool == "mvn")) | all(.cwd == "'"$SB/repo"'")'
  check "Jib's Docker config logs in to $REGISTRY with the ECR password" jq_calls \
    "map(select(.tool == \"mvn\")) | length > 0 and all(.docker_auths == {\"$REGISTRY\": \"AWS:$ECR_PASSWORD\"})"
}
no_tool() { check "no $1 call" jq_calls "all(.tool != \"$1\")"; }
no_apply() { check "nothing applied (no terraform apply)" jq_calls 'all(.tool != "terraform" or .args[1] != "apply")'; }
no_file() { check "no $1 left" [ ! -e "$SB/tf/$1" ]; }

PREFLIGHT_DEFAULT_VPC=$(cat <<'EOF'
aws sts get-caller-identity --region eu-west-3 --output json
aws ec2 describe-subnets --region eu-west-3 --filters Name=default-for-az,Values=true --output json
curl -fsS --max-time 10 https://checkip.amazonaws.com
terraform -chdir=<sb>/tf init -input=false
terraform -chdir=<sb>/tf plan -input=false -var-file=preflight.tfvars.json -out=preflight.tfplan
terraform -chdir=<sb>/tf show -json preflight.tfplan
aws ec2 describe-instance-types --region eu-west-3 --instance-types c6i.large t3.small --output json
aws service-quotas get-service-quota --region eu-west-3 --service-code ec2 --quota-code L-1216C47A --output json
aws ec2 describe-instance-type-offerings --region eu-west-3 --location-type availability-zone --filters Name=instance-type,Values=c6i.large,t3.small --output json
EOF
)
TARGETED_APPLY='-var-file=deploy.tfvars.json -var image_tag=<tag> -target=aws_ecr_repository.web -target=aws_ecr_repository.classifier -target=aws_ecr_lifecycle_policy.keep_recent'
PUSH_BOTH=$(cat <<EOF
terraform -chdir=<sb>/tf output -raw web_repository_url
terraform -chdir=<sb>/tf output -raw classifier_repository_url
aws ecr get-login-password --region eu-west-3
aws ecr describe-images --region eu-west-3 --repository-name image-recognition-web --image-ids imageTag=<tag> --output json
mvn -B -q -DskipTests -pl web-service -am package jib:build -Djib.to.image=$REGISTRY/image-recognition-web:<tag>
aws ecr describe-images --region eu-west-3 --repository-name image-recognition-classifier --image-ids imageTag=<tag> --output json
mvn -B -q -DskipTests -pl classifier-service -am package jib:build -Djib.to.image=$REGISTRY/image-recognition-classifier:<tag>
EOF
)
LOAD_TEST_LINE="java -jar <sb>/load-test-all.jar --url $WEB_URL --requests 100 --queue-url $QUEUE_URL --asg-name image-recognition-classifier --region eu-west-3 --timeout 330s --api-key-file <sb>/tf/api-keys.txt"

# ---- the flows ---------------------------------------------------------------------------------------------------

flow "deploy with AUTO_APPROVE=1: default VPC, IP from checkip, tag = git commit"
# stdin is a pipe with answers in it, as a terminal would be: with AUTO_APPROVE=1 nothing may read it.
run yes deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1
status_is 0
expect_calls <<EOF
$PREFLIGHT_DEFAULT_VPC
terraform -chdir=<sb>/tf apply -input=false -auto-approve $TARGETED_APPLY
$PUSH_BOTH
terraform -chdir=<sb>/tf apply -input=false -auto-approve -var-file=deploy.tfvars.json -var image_tag=<tag>
terraform -chdir=<sb>/tf output -json
EOF
tfvars_is "{\"region\":\"eu-west-3\",\"subnet_ids\":[\"$SUBNET_A\",\"$SUBNET_B\"],\"web_allowed_cidrs\":[\"203.0.113.7/32\"],\"image_tag\":\"$TAG\"}"
says "not using $SUBNET_C: its zone eu-west-3c does not offer all of c6i.large t3.small"
says "vCPUs at most 44 (20 x c6i.large (2 vCPUs) workers + 2 x t3.small (2 vCPUs) web hosts) <= quota 64 (L-1216C47A)"
aws_calls_ok eu-west-3
no_prompt
pushes_ok
before "COST WARNING" "Apply complete"
before "Apply complete! Resources: 38 added" "curl -fsS $WEB_URL/health"
line_is "  curl -fsS $WEB_URL/health"
line_is "  ${LOAD_TEST_LINE//<sb>/$SB}"
line_is "  make load-test-aws"
says "dashboard: https://eu-west-3.console.aws.amazon.com/cloudwatch/home?region=eu-west-3#dashboards:name=image-recognition"
check "the last line points to make destroy" bash -c 'tail -1 "$1" | grep -q "make destroy"' _ "$SB/out"
no_file preflight.tfvars.json
no_file preflight.tfplan
# API keys (docs/security.md): one random key made, readable only by its owner, handed to the full apply alone as
# TF_VAR_api_keys (never in deploy.tfvars.json, never printed), and the printed commands use the file.
check "api-keys.txt holds one 64-hex-digit key" grep -qxE '[0-9a-f]{64}' "$SB/tf/api-keys.txt"
check "api-keys.txt is readable by its owner only" [ "$(stat -c %a "$SB/tf/api-keys.txt")" = 600 ]
check "the full apply gets the key as TF_VAR_api_keys" jq_calls --arg key "$(cat "$SB/tf/api-keys.txt")" \
  'map(select(.tool == "terraform" and .args[1] == "apply")) | last | .env.TF_VAR_api_keys == ([$key] | tojson)'
check "no call before the full apply sees the key" jq_calls \
  '(map(.tool == "terraform" and .args[1] == "apply") | rindex(true)) as $full
   | .[:$full] | all(.env.TF_VAR_api_keys == "<unset>")'
check "the key is never printed" bash -c '! grep -qF -- "$(cat "$1")" "$2"' _ "$SB/tf/api-keys.txt" "$SB/out"
line_is "  curl -fsS -H \"Authorization: Bearer \$(head -n1 $SB/tf/api-keys.txt)\" -F myfile=@samples/coffee.png $WEB_URL/classify"

flow "deploy with confirmations: given subnets, CIDR and IMAGE_TAG on a dirty tree, MAX_WORKERS=6 fits a 16 vCPU quota"
rule 0 service-quotas-ec2-standard-16.json 'aws service-quotas get-service-quota *'
echo "local edit" >>"$SB/repo/README.md"
TAG=v1.2.0
run yes deploy AWS_REGION=eu-west-3 SUBNET_IDS="$SUBNET_A,$SUBNET_B" ALLOWED_CIDR=198.51.100.0/24 IMAGE_TAG=v1.2.0 \
  MAX_WORKERS=6
status_is 0
expect_calls <<EOF
aws sts get-caller-identity --region eu-west-3 --output json
aws ec2 describe-subnets --region eu-west-3 --subnet-ids $SUBNET_A $SUBNET_B --output json
$(sed -n '4,$p' <<<"$PREFLIGHT_DEFAULT_VPC")
terraform -chdir=<sb>/tf apply -input=false $TARGETED_APPLY
$PUSH_BOTH
terraform -chdir=<sb>/tf apply -input=false -var-file=deploy.tfvars.json -var image_tag=<tag>
terraform -chdir=<sb>/tf output -json
EOF
tfvars_is "{\"region\":\"eu-west-3\",\"subnet_ids\":[\"$SUBNET_A\",\"$SUBNET_B\"],\"web_allowed_cidrs\":[\"198.51.100.0/24\"],\"image_tag\":\"v1.2.0\",\"classifier_max_size\":6}"
check "both applies asked for confirmation on stdin, without -auto-approve" jq_calls \
  'map(select(.tool == "terraform" and .args[1] == "apply")) | length == 2
   and all(.prompted and .stdin == "pipe" and (.args | index("-auto-approve") == null))'
check "nothing else waited for an answer" jq_calls 'map(select(.prompted)) | length == 2'
says "vCPUs at most 16 (6 x c6i.large (2 vCPUs) workers + 2 x t3.small (2 vCPUs) web hosts) <= quota 16"
no_tool curl
aws_calls_ok eu-west-3
pushes_ok

flow "preflight alone: checks, writes the variables, creates nothing"
run closed preflight AWS_REGION=eu-west-3
status_is 0
expect_calls <<<"$PREFLIGHT_DEFAULT_VPC"
tfvars_is "{\"region\":\"eu-west-3\",\"subnet_ids\":[\"$SUBNET_A\",\"$SUBNET_B\"],\"web_allowed_cidrs\":[\"203.0.113.7/32\"],\"image_tag\":\"$TAG\"}"
says "preflight: OK"
no_apply
no_tool mvn

flow "preflight stops when fewer than two zones offer the instance types (the load balancer needs two)"
rule 0 ec2-describe-instance-type-offerings-one-zone.json 'aws ec2 describe-instance-type-offerings *'
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1
fails
says "not using $SUBNET_B: its zone eu-west-3b does not offer all of c6i.large t3.small"
says "only 1 zone(s) among the subnets offer c6i.large t3.small; the load balancer needs two."
says "aws ec2 describe-instance-type-offerings --location-type availability-zone --region eu-west-3"
no_apply
no_file deploy.tfvars.json

flow "preflight stops when the plan lacks a name it reads (terraform/ and the script disagree)"
STANDIN_PLAN=terraform-show-plan-no-web-max.json
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1
fails
says "the plan lacks classifier_instance_type, web_instance_type, web_max_size or the classifier group's max_size"
check "no AWS check runs on missing numbers" jq_calls 'all(.tool != "aws" or .args[0] == "sts" or .args[1] == "describe-subnets")'
no_apply

flow "deploy refuses a dirty tree without IMAGE_TAG"
echo "local edit" >>"$SB/repo/README.md"
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1 ALLOWED_CIDR=203.0.113.7/32
fails
expect_calls </dev/null
says "uncommitted changes"
says "Commit or stash them, or set IMAGE_TAG=<tag>"

flow "deploy stops at preflight when the vCPU quota is too small, naming the quota and the ways out"
rule 0 service-quotas-ec2-standard-16.json 'aws service-quotas get-service-quota *'
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1
fails
expect_calls <<<"$(sed -n '1,8p' <<<"$PREFLIGHT_DEFAULT_VPC")"
says "the EC2 quota 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances' (L-1216C47A) in eu-west-3 is 16 vCPUs"
says "but this deployment may run 44: 20 x c6i.large (2 vCPUs) workers + 2 x t3.small (2 vCPUs) web hosts"
says "aws service-quotas request-service-quota-increase --region eu-west-3 --service-code ec2 --quota-code L-1216C47A --desired-value 44"
says "make deploy MAX_WORKERS=6"
no_apply
no_file deploy.tfvars.json

flow "deploy stops when the quota cannot be read (a failing call)"
rule 254 service-quotas-access-denied.txt 'aws service-quotas get-service-quota *'
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1
fails
says "AccessDeniedException"
says "could not read the EC2 vCPU quota L-1216C47A"
says "Allow servicequotas:GetServiceQuota"
no_apply

flow "deploy stops when no credentials resolve"
rule 255 sts-no-credentials.txt 'aws sts get-caller-identity *'
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1 ALLOWED_CIDR=203.0.113.7/32
fails
expect_calls <<<"aws sts get-caller-identity --region eu-west-3 --output json"
says 'Unable to locate credentials'
says "Configure them (aws configure, aws sso login, or AWS_PROFILE / AWS_ACCESS_KEY_ID) and check AWS_REGION."

flow "deploy stops at preflight for an instance type that is not x86_64"
STANDIN_PLAN=terraform-show-plan-arm.json
rule 0 ec2-describe-instance-types-arm.json 'aws ec2 describe-instance-types *'
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1
fails
check "the types come from the plan (c7g.large)" jq_calls \
  'any(.tool == "aws" and .args[1] == "describe-instance-types" and (.args | index("c7g.large") != null))'
says "instance type c7g.large runs arm64, but the images are linux/amd64 (x86_64)"
no_apply

flow "deploy stops when the classifier image push fails (ECR repositories exist, nothing else)"
rule 1 mvn-jib-push-denied.txt 'mvn *-pl classifier-service*'
run closed deploy AWS_REGION=eu-west-3 AUTO_APPROVE=1
fails
expect_calls <<EOF
$PREFLIGHT_DEFAULT_VPC
terraform -chdir=<sb>/tf apply -input=false -auto-approve $TARGETED_APPLY
$PUSH_BOTH
EOF
says "403 Forbidden"
says "pushing $REGISTRY/image-recognition-classifier:$TAG failed"
says "rerun 'make deploy'"
says "or 'make destroy' to delete them"
says_not "Health check"

flow "images alone: the deployment's region (not AWS_REGION), an existing immutable tag is not pushed again"
deployed
rule 0 ecr-describe-images-found.json 'aws ecr describe-images *--repository-name image-recognition-web *'
TAG=v1.2.0
run closed images AWS_REGION=us-east-1 IMAGE_TAG=v1.2.0
status_is 0
expect_calls <<EOF
terraform -chdir=<sb>/tf output -raw web_repository_url
terraform -chdir=<sb>/tf output -raw classifier_repository_url
aws ecr get-login-password --region eu-west-3
aws ecr describe-images --region eu-west-3 --repository-name image-recognition-web --image-ids imageTag=v1.2.0 --output json
aws ecr describe-images --region eu-west-3 --repository-name image-recognition-classifier --image-ids imageTag=v1.2.0 --output json
mvn -B -q -DskipTests -pl classifier-service -am package jib:build -Djib.to.image=$REGISTRY/image-recognition-classifier:v1.2.0
EOF
says "$REGISTRY/image-recognition-web:v1.2.0 exists already"
pushes_ok

flow "load test against AWS: every argument from the outputs, the deployment's region, REQUESTS and LOAD_TEST_ARGS"
deployed
run closed load-test-aws AWS_REGION=us-east-1 REQUESTS=500 LOAD_TEST_ARGS="--wait-scale-in 5m --report target/aws-report"
status_is 0
expect_calls <<EOF
terraform -chdir=<sb>/tf output -json
${LOAD_TEST_LINE/--requests 100/--requests 500} --wait-scale-in 5m --report target/aws-report
EOF
says "load-test: requests=100 ok=100 failed=0"

flow "load test against AWS that times out: the failure is reported with what to check"
deployed
rule 1 load-test-timeouts.txt 'java -jar *'
run closed load-test-aws REQUESTS=100
fails
says "load-test: requests=100 ok=40 failed=60"
says "the load test failed (exit 1"
says "the first burst waits for instances"

flow "destroy with AUTO_APPROVE=1 needs only the state: no aws, no images, the deployment's region"
deployed
run closed destroy AWS_REGION=us-east-1 AUTO_APPROVE=1
status_is 0
expect_calls <<EOF
terraform -chdir=<sb>/tf init -input=false
terraform -chdir=<sb>/tf destroy -input=false -auto-approve -var-file=deploy.tfvars.json
EOF
no_prompt
says "destroying the deployment in eu-west-3"
no_file deploy.tfvars.json
no_file api-keys.txt

flow "destroy without AUTO_APPROVE asks; with stdin closed it stops and keeps the variables"
deployed
run closed destroy
fails
expect_calls <<EOF
terraform -chdir=<sb>/tf init -input=false
terraform -chdir=<sb>/tf destroy -input=false -var-file=deploy.tfvars.json
EOF
check "destroy asked for confirmation" jq_calls 'map(select(.args[1] == "destroy")) | all(.prompted)'
says "error asking for approval: EOF"
says "terraform destroy failed or was not approved"
check "deploy.tfvars.json kept for the next try" [ -f "$SB/tf/deploy.tfvars.json" ]

flow "destroy with nothing deployed from this checkout"
run closed destroy AUTO_APPROVE=1
fails
expect_calls </dev/null
says "nothing was deployed from this checkout"

flow "cleanup-queues deletes the response queues of instances that are gone, keeps those of running ones"
deployed
rule 0 sqs-list-queues-responses.json 'aws sqs list-queues *'
rule 0 ec2-describe-instances-running.json 'aws ec2 describe-instances *i-0aaaaaaaaaaaaaaa1*'
rule 0 ec2-describe-instances-terminated.json 'aws ec2 describe-instances *i-0bbbbbbbbbbbbbbb2*'
rule 254 ec2-describe-instances-not-found.txt 'aws ec2 describe-instances *i-0ccccccccccccccc3*'
rule 0 - 'aws sqs delete-queue *'
run closed cleanup-queues AWS_REGION=us-east-1
status_is 0
RESPONSES=https://sqs.eu-west-3.amazonaws.com/123456789012/image-recognition-responses
expect_calls <<EOF
terraform -chdir=<sb>/tf output -raw response_queue_prefix
aws sqs list-queues --region eu-west-3 --queue-name-prefix image-recognition-responses- --output json
aws ec2 describe-instances --region eu-west-3 --instance-ids i-0aaaaaaaaaaaaaaa1 --output json
aws ec2 describe-instances --region eu-west-3 --instance-ids i-0bbbbbbbbbbbbbbb2 --output json
aws sqs delete-queue --region eu-west-3 --queue-url $RESPONSES-i-0bbbbbbbbbbbbbbb2
aws ec2 describe-instances --region eu-west-3 --instance-ids i-0ccccccccccccccc3 --output json
aws sqs delete-queue --region eu-west-3 --queue-url $RESPONSES-i-0ccccccccccccccc3
EOF
says "cleanup: deleted $RESPONSES-i-0bbbbbbbbbbbbbbb2 (instance i-0bbbbbbbbbbbbbbb2 is terminated)"
says "cleanup: deleted $RESPONSES-i-0ccccccccccccccc3 (instance i-0ccccccccccccccc3 is gone)"
says "cleanup: deleted=2 kept=1"
aws_calls_ok eu-west-3

flow "cleanup-queues stops when an instance cannot be looked up, deleting nothing more"
deployed
rule 0 sqs-list-queues-responses.json 'aws sqs list-queues *'
rule 254 service-quotas-access-denied.txt 'aws ec2 describe-instances *'
run closed cleanup-queues
fails
check "no queue deleted" jq_calls 'all(.args[1] != "delete-queue")'
says "could not look up instance i-0aaaaaaaaaaaaaaa1"

flow "deploy to another region while the state holds a deployment: refused before any AWS call"
deployed
run closed deploy AWS_REGION=us-east-1 AUTO_APPROVE=1 ALLOWED_CIDR=203.0.113.7/32
fails
expect_calls <<<"terraform -chdir=<sb>/tf state list"
says "holds a deployment in eu-west-3, not us-east-1"

flow "the stand-ins answer like the real tools where the flows rely on it"
echo ecr >"$SB/state/terraform"
printf '{}' >"$SB/tf/v.json"
standin() { env -i PATH="$CHECK/bin:/usr/bin:/bin" STANDIN_LOG="$SB/calls.jsonl" STANDIN_STATE="$SB/state" \
  STANDIN_RULES="$SB/rules:$CHECK/fixtures/default.rules" STANDIN_FIXTURES="$CHECK/fixtures" "$@" </dev/null 2>&1; }
fails_saying() { local out; out=$("${@:2}") && return 1; grep -qF -- "$1" <<<"$out"; }
check "terraform: after a targeted apply, output region is not found (Terraform 1.11.4 does the same)" \
  fails_saying 'Output "region" not found' standin terraform -chdir="$SB/tf" output -raw region
check "terraform: apply without -auto-approve and stdin closed fails asking for approval (as 1.11.4 does)" \
  fails_saying "error asking for approval: EOF" standin terraform -chdir="$SB/tf" apply -input=false -var-file=v.json
check "terraform: destroy without variables fails (No value for required variable)" \
  fails_saying "No value for required variable" standin terraform destroy -input=false -auto-approve
check "aws: a call without a canned answer fails and is recorded" fails_saying "no canned answer" standin aws s3 ls
check "  ... recorded with its status" jq_calls 'any(.tool == "aws" and .args == ["s3", "ls"] and .status == 97)'
: >"$SB/out"
check "the stand-ins, not real tools, are first on the flows' PATH" \
  env -i PATH="$CHECK/bin:/usr/bin:/bin" bash -c 'for t in aws terraform mvn java curl; do [ "$(command -v $t)" = "$0/$t" ] || exit 1; done' "$CHECK/bin"
end_flow

echo "deploy-check: flows=$flows steps=$steps failed=$failed"
[ "$failed" -eq 0 ]
