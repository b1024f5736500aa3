#!/usr/bin/env bash
# Deploys the system to AWS with Terraform and Jib, and tears it down. The Makefile's deploy targets call this script;
# `make deploy-check` runs it against recording stand-ins for aws, terraform, mvn, java and curl (deploy/check/).
#
#   deploy/deploy.sh preflight   checks only, creates nothing: credentials and region, subnets whose zone offers the
#                                instance types, x86_64 instance types, the EC2 vCPU quota against the maximum sizes
#   deploy/deploy.sh deploy      preflight, terraform init, ECR repositories (targeted apply), images, full apply,
#                                then prints the health-check and load-test commands
#   deploy/deploy.sh images      builds both images and pushes them to the deployment's ECR repositories (Jib)
#   deploy/deploy.sh outputs     prints the health-check and load-test commands of the current deployment
#   deploy/deploy.sh load-test   runs the load test against the current deployment
#   deploy/deploy.sh destroy     deletes everything deploy created; needs only the Terraform state and deploy.tfvars.json
#   deploy/deploy.sh cleanup-queues
#                                deletes the response queues of web instances that no longer run (one that dies without
#                                stopping leaves its queue behind; the others delete their own)
#
# Settings (environment): AWS_REGION (required for preflight/deploy), SUBNET_IDS (comma-separated; default: the
# default VPC's), ALLOWED_CIDR (default: this machine's public IP /32), AUTO_APPROVE=1 (no confirmation prompts),
# IMAGE_TAG (default: the git commit; a dirty tree is refused without it), MAX_WORKERS (lower the workers' maximum,
# e.g. to fit the vCPU quota), TF (terraform), TF_DIR (terraform), MVN (mvn -B), JAVA (java), LOAD_TEST_JAR,
# REQUESTS (100), LOAD_TEST_ARGS, REPO_ROOT (this script's repository), API_KEYS_FILE (the API keys the deployment
# accepts, one per line; default $TF_DIR/api-keys.txt, created with one random key when missing: docs/security.md).
#
# The variables passed to Terraform are written once, by preflight, to $TF_DIR/deploy.tfvars.json beside the state;
# every later step (apply, images, destroy) reads them from there, so destroy needs nothing but the state.
set -euo pipefail

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
TF=${TF:-terraform}
TF_DIR=${TF_DIR:-$REPO_ROOT/terraform}
MVN=${MVN:-mvn -B}
JAVA=${JAVA:-java}
LOAD_TEST_JAR=${LOAD_TEST_JAR:-load-test/target/load-test-0.1.0-SNAPSHOT-all.jar}
REQUESTS=${REQUESTS:-100}
LOAD_TEST_ARGS=${LOAD_TEST_ARGS:-}
TFVARS=deploy.tfvars.json            # in TF_DIR: the variables of this deployment
PREFLIGHT_TFVARS=preflight.tfvars.json
PREFLIGHT_PLAN=preflight.tfplan
# EC2 quota "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", counted in vCPUs.
VCPU_QUOTA_CODE=L-1216C47A
VCPU_QUOTA_NAME="Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"
# What the targeted apply creates before the images exist; terraform/tests plans exactly these targets.
ECR_TARGETS=(-target=aws_ecr_repository.web -target=aws_ecr_repository.classifier
  -target=aws_ecr_lifecycle_policy.keep_recent)
# The AWS CLI v2 pages output through `less` on a terminal; never wait for a key press.
export AWS_PAGER=""

say() { echo "deploy: $*"; }
die() {
  echo "deploy: ERROR: $1" >&2
  shift
  local line
  for line in "$@"; do echo "  $line" >&2; done
  exit 1
}
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed (needed for this step)" "$2"; }

tf() { "$TF" -chdir="$TF_DIR" "$@"; }

auto_approve() {
  case "${AUTO_APPROVE:-}" in
    1 | true | yes) return 0 ;;
    '' | 0 | false | no) return 1 ;;
    *) die "AUTO_APPROVE must be 1 (or empty), not '$AUTO_APPROVE'" ;;
  esac
}

# terraform apply/destroy: asks for confirmation on the terminal unless AUTO_APPROVE=1 (then stdin is closed, so
# nothing can wait for an answer).
tf_change() {
  local command=$1
  shift
  if auto_approve; then
    tf "$command" -input=false -auto-approve "$@" </dev/null
  else
    tf "$command" -input=false "$@"
  fi
}

print_cost_warning() {
  cat <<EOF
================================================================================================
 COST WARNING: this creates billable AWS resources in ${AWS_REGION:-the chosen region}: EC2 instances and EBS volumes
 (web hosts always, workers while there is work), a load balancer, SQS, S3, ECR storage, CloudWatch logs and alarms.
 The cost table is in docs/deploy-aws.md. Run 'make destroy' when you are done.
================================================================================================
EOF
}

# ---- image tag -------------------------------------------------------------------------------------------------

# The immutable tag of both images: IMAGE_TAG, or the short commit of a clean work tree.
resolve_tag() {
  if [ -n "${IMAGE_TAG:-}" ]; then
    [[ $IMAGE_TAG =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "IMAGE_TAG '$IMAGE_TAG' is not a valid image tag"
    echo "$IMAGE_TAG"
    return
  fi
  need git "The image tag is the git commit; without git set IMAGE_TAG=<tag>."
  local dirty
  dirty=$(git -C "$REPO_ROOT" status --porcelain) || die "$REPO_ROOT is not a git work tree" "Set IMAGE_TAG=<tag>."
  if [ -n "$dirty" ]; then
    die "the work tree has uncommitted changes, so the git commit does not name what would be built:" \
      "$(echo "$dirty" | head -5 | tr '\n' ' ')" \
      "Commit or stash them, or set IMAGE_TAG=<tag> (a new tag: tags are never overwritten)."
  fi
  git -C "$REPO_ROOT" rev-parse --short=12 HEAD
}

# ---- preflight (reads only; creates nothing) ------------------------------------------------------------------

check_identity() {
  local identity
  identity=$(aws sts get-caller-identity --region "$AWS_REGION" --output json) \
    || die "no AWS credentials resolve for region $AWS_REGION (aws sts get-caller-identity failed, see above)." \
      "Configure them (aws configure, aws sso login, or AWS_PROFILE / AWS_ACCESS_KEY_ID) and check AWS_REGION."
  say "preflight: account $(jq -r .Account <<<"$identity") as $(jq -r .Arn <<<"$identity"), region $AWS_REGION"
}

# Prints "subnet-id zone" lines: SUBNET_IDS, or the default VPC's subnets; all in one VPC.
candidate_subnets() {
  local subnets
  if [ -n "${SUBNET_IDS:-}" ]; then
    local ids
    IFS=', ' read -ra ids <<<"$SUBNET_IDS"
    subnets=$(aws ec2 describe-subnets --region "$AWS_REGION" --subnet-ids "${ids[@]}" --output json) \
      || die "could not describe the subnets $SUBNET_IDS in $AWS_REGION (see above)." \
        "Check SUBNET_IDS (comma-separated subnet ids of one VPC in $AWS_REGION)."
  else
    subnets=$(aws ec2 describe-subnets --region "$AWS_REGION" --filters Name=default-for-az,Values=true \
      --output json) || die "could not list the default VPC's subnets in $AWS_REGION (see above)."
    [ "$(jq '.Subnets | length' <<<"$subnets")" -gt 0 ] \
      || die "$AWS_REGION has no default VPC." "Set SUBNET_IDS=subnet-a,subnet-b (public subnets of one VPC, two zones)."
  fi
  [ "$(jq '[.Subnets[].VpcId] | unique | length' <<<"$subnets")" -eq 1 ] \
    || die "the subnets are in more than one VPC: $(jq -r '[.Subnets[] | .SubnetId + " (" + .VpcId + ")"] | join(", ")' <<<"$subnets")" \
      "Set SUBNET_IDS to subnets of one VPC."
  jq -r '.Subnets | sort_by(.AvailabilityZone, .SubnetId)[] | .SubnetId + " " + .AvailabilityZone' <<<"$subnets"
}

resolve_cidr() {
  local cidr=${ALLOWED_CIDR:-}
  if [ -z "$cidr" ]; then
    local ip
    ip=$(curl -fsS --max-time 10 https://checkip.amazonaws.com | tr -d '[:space:]') \
      || die "could not find this machine's public IP (curl https://checkip.amazonaws.com failed)." \
        "Set ALLOWED_CIDR=<your IP>/32 (the only addresses that may reach the load balancer)."
    cidr="$ip/32"
  fi
  [[ $cidr =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] \
    || die "ALLOWED_CIDR '$cidr' is not an IPv4 CIDR block such as 203.0.113.7/32."
  echo "$cidr"
}

# write_tfvars FILE TAG CIDR SUBNET...: the variables every Terraform call of this deployment gets.
write_tfvars() {
  local file=$1 tag=$2 cidr=$3
  shift 3
  jq -n --arg region "$AWS_REGION" --arg tag "$tag" --arg cidr "$cidr" --arg max "${MAX_WORKERS:-}" \
    '{region: $region, subnet_ids: $ARGS.positional, web_allowed_cidrs: [$cidr], image_tag: $tag}
     + (if $max == "" then {} else {classifier_max_size: ($max | tonumber)} end)' \
    --args "$@" >"$TF_DIR/$file"
}

# A deployment whose state still holds resources stays in its region: a plan in another region would not see them.
check_same_region() {
  [ -f "$TF_DIR/$TFVARS" ] || return 0
  local deployed
  deployed=$(jq -r .region "$TF_DIR/$TFVARS")
  if [ "$deployed" != "$AWS_REGION" ] && [ -n "$(tf state list 2>/dev/null)" ]; then
    die "this checkout's Terraform state holds a deployment in $deployed, not $AWS_REGION." \
      "Run 'make destroy' first (it uses $deployed), or deploy with AWS_REGION=$deployed."
  fi
}

preflight() {
  need aws "Install the AWS CLI v2 and configure credentials."
  need "$TF" "Install Terraform >= 1.7."
  [ -n "${AWS_REGION:-}" ] || die "AWS_REGION is not set."
  if [ -n "${MAX_WORKERS:-}" ]; then
    [[ $MAX_WORKERS =~ ^[1-9][0-9]*$ ]] || die "MAX_WORKERS must be a positive whole number, not '$MAX_WORKERS'."
  fi
  auto_approve || true
  TAG=$(resolve_tag)
  check_same_region
  check_identity

  local subnet_lines lines candidates
  subnet_lines=$(candidate_subnets)
  mapfile -t lines <<<"$subnet_lines"
  candidates=("${lines[@]%% *}")
  CIDR=$(resolve_cidr)

  # The instance types and maximum sizes as Terraform will create them (variables.tf, scaling-policy.json and
  # MAX_WORKERS): read from a plan, never copied here.
  say "preflight: terraform init and plan (reads only) to learn the instance types and maximum sizes"
  tf init -input=false >/dev/null || die "terraform init failed (see above)."
  write_tfvars "$PREFLIGHT_TFVARS" "$TAG" "$CIDR" "${candidates[@]}"
  tf plan -input=false -var-file="$PREFLIGHT_TFVARS" -out="$PREFLIGHT_PLAN" >/dev/null \
    || die "terraform plan failed (see above); nothing was created." "Fix the variables or the configuration and rerun."
  local plan
  plan=$(tf show -json "$PREFLIGHT_PLAN")
  rm -f "$TF_DIR/$PREFLIGHT_PLAN"
  local classifier_type web_type classifier_max web_max
  classifier_type=$(jq -r '.variables.classifier_instance_type.value // empty' <<<"$plan")
  web_type=$(jq -r '.variables.web_instance_type.value // empty' <<<"$plan")
  web_max=$(jq -r '.variables.web_max_size.value // empty' <<<"$plan")
  classifier_max=$(jq -r '.planned_values.root_module.resources[]?
    | select(.address == "aws_autoscaling_group.classifier") | .values.max_size' <<<"$plan")
  [ -n "$classifier_type" ] && [ -n "$web_type" ] && [ -n "$web_max" ] && [ -n "$classifier_max" ] \
    || die "the plan lacks classifier_instance_type, web_instance_type, web_max_size or the classifier group's max_size." \
      "terraform/ and deploy/deploy.sh (preflight) disagree on these names."

  check_instance_types "$classifier_type" "$web_type"
  check_vcpu_quota "$classifier_type" "$classifier_max" "$web_type" "$web_max"
  SUBNETS=()
  filter_subnets "$classifier_type,$web_type" "${lines[@]}"

  write_tfvars "$TFVARS" "$TAG" "$CIDR" "${SUBNETS[@]}"
  rm -f "$TF_DIR/$PREFLIGHT_TFVARS"
  say "preflight: OK: subnets ${SUBNETS[*]}; load balancer open to $CIDR; image tag $TAG; variables in $TF_DIR/$TFVARS"
}

# Sets VCPUS[type]; stops unless every type exists here and runs x86_64 (the images are linux/amd64).
declare -A VCPUS
check_instance_types() {
  local types info type
  mapfile -t types < <(printf '%s\n' "$@" | sort -u)
  info=$(aws ec2 describe-instance-types --region "$AWS_REGION" --instance-types "${types[@]}" --output json) \
    || die "could not describe the instance types ${types[*]} in $AWS_REGION (see above)." \
      "Choose types offered there (classifier_instance_type / web_instance_type in terraform/variables.tf)."
  for type in "${types[@]}"; do
    local vcpus arch
    vcpus=$(jq -r --arg t "$type" '.InstanceTypes[] | select(.InstanceType == $t) | .VCpuInfo.DefaultVCpus' <<<"$info")
    arch=$(jq -r --arg t "$type" '.InstanceTypes[] | select(.InstanceType == $t)
      | .ProcessorInfo.SupportedArchitectures | join(",")' <<<"$info")
    [ -n "$vcpus" ] || die "instance type $type is not offered in $AWS_REGION."
    [[ ,$arch, == *,x86_64,* ]] \
      || die "instance type $type runs $arch, but the images are linux/amd64 (x86_64)." \
        "Choose an x86_64 type (e.g. c6i, c7i, m6i, t3) for classifier_instance_type / web_instance_type."
    VCPUS[$type]=$vcpus
  done
}

check_vcpu_quota() {
  local classifier_type=$1 classifier_max=$2 web_type=$3 web_max=$4
  local family type
  for type in "$classifier_type" "$web_type"; do
    family=${type:0:1}
    [[ $family == [acdhimrtz] ]] \
      || die "instance type $type is not in the standard families that quota $VCPU_QUOTA_CODE covers." \
        "Check its family's On-Demand quota in the Service Quotas console, or choose a standard type."
  done
  local need=$((classifier_max * VCPUS[$classifier_type] + web_max * VCPUS[$web_type]))
  local answer quota
  answer=$(aws service-quotas get-service-quota --region "$AWS_REGION" --service-code ec2 \
    --quota-code "$VCPU_QUOTA_CODE" --output json) \
    || die "could not read the EC2 vCPU quota $VCPU_QUOTA_CODE (see above)." \
      "Allow servicequotas:GetServiceQuota for this identity, or check '$VCPU_QUOTA_NAME' in the Service Quotas console."
  quota=$(jq -r '.Quota.Value | floor' <<<"$answer")
  local sizes="$classifier_max x $classifier_type (${VCPUS[$classifier_type]} vCPUs) workers + $web_max x $web_type (${VCPUS[$web_type]} vCPUs) web hosts"
  if [ "$need" -gt "$quota" ]; then
    local room=$(((quota - web_max * VCPUS[$web_type]) / VCPUS[$classifier_type]))
    local lower="deploy with fewer workers: make deploy MAX_WORKERS=$room (the group then scales to $room at most)."
    [ "$room" -ge 1 ] || lower="the quota does not fit even one worker beside the web tier."
    die "the EC2 quota '$VCPU_QUOTA_NAME' ($VCPU_QUOTA_CODE) in $AWS_REGION is $quota vCPUs," \
      "but this deployment may run $need: $sizes." \
      "Request a raise (approval can take a while): aws service-quotas request-service-quota-increase --region $AWS_REGION --service-code ec2 --quota-code $VCPU_QUOTA_CODE --desired-value $need" \
      "(or in the Service Quotas console), or $lower" \
      "Instances already running in the account count against the same quota."
  fi
  say "preflight: vCPUs at most $need ($sizes) <= quota $quota ($VCPU_QUOTA_CODE)"
}

# filter_subnets TYPE,TYPE "subnet zone"...: sets SUBNETS to the subnets whose zone offers every type.
filter_subnets() {
  local types line offers zones
  mapfile -t types < <(tr ',' '\n' <<<"$1" | sort -u)
  shift
  offers=$(aws ec2 describe-instance-type-offerings --region "$AWS_REGION" --location-type availability-zone \
    --filters "Name=instance-type,Values=$(IFS=,; echo "${types[*]}")" --output json) \
    || die "could not list the zones offering ${types[*]} in $AWS_REGION (see above)."
  zones=$(jq -r --argjson n "${#types[@]}" '.InstanceTypeOfferings
    | group_by(.Location)[] | select(([.[].InstanceType] | unique | length) == $n) | .[0].Location' <<<"$offers")
  local kept_zones=()
  for line in "$@"; do
    local subnet=${line%% *} zone=${line##* }
    if grep -qxF "$zone" <<<"$zones"; then
      SUBNETS+=("$subnet")
      [[ " ${kept_zones[*]} " == *" $zone "* ]] || kept_zones+=("$zone")
    else
      say "preflight: not using $subnet: its zone $zone does not offer all of ${types[*]}"
    fi
  done
  [ "${#kept_zones[@]}" -ge 2 ] \
    || die "only ${#kept_zones[@]} zone(s) among the subnets offer ${types[*]}; the load balancer needs two." \
      "Set SUBNET_IDS to subnets in two zones that offer them (aws ec2 describe-instance-type-offerings --location-type availability-zone --region $AWS_REGION)."
}

# ---- steps ---------------------------------------------------------------------------------------------------------

api_keys_file() { echo "${API_KEYS_FILE:-$TF_DIR/api-keys.txt}"; }

# The API keys (docs/security.md) reach Terraform only as TF_VAR_api_keys: an ephemeral variable written to the SSM
# parameter through a write-only value, so no file Terraform keeps (state, plan, deploy.tfvars.json) holds them.
export_api_keys() {
  local file
  file=$(api_keys_file)
  if [ ! -s "$file" ]; then
    [ -z "${API_KEYS_FILE:-}" ] || die "API_KEYS_FILE=$API_KEYS_FILE is missing or empty." \
      "Put the API keys there, one per line (openssl rand -hex 32), or leave API_KEYS_FILE unset to get one made."
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$file" && echo >>"$file")
    say "created an API key in $file (mode 600): clients send it as 'Authorization: Bearer <key>'"
  fi
  TF_VAR_api_keys=$(jq -Rsc '[split("\n")[] | split(",")[] | gsub("^\\s+|\\s+$"; "")
    | select(length > 0 and (startswith("#") | not))]' "$file")
  [ "$TF_VAR_api_keys" != "[]" ] || die "$file holds no API key." "Put at least one key in it (openssl rand -hex 32)."
  export TF_VAR_api_keys
}

deployed_region() {
  [ -f "$TF_DIR/$TFVARS" ] || die "no $TF_DIR/$TFVARS: nothing was deployed from this checkout with 'make deploy'." \
    "Run 'make deploy' (it writes the file beside the Terraform state)."
  jq -r .region "$TF_DIR/$TFVARS"
}

images() {
  need aws "Install the AWS CLI v2 and configure credentials."
  local tag region web_repo classifier_repo
  tag=${TAG:-$(resolve_tag)}
  region=$(deployed_region)
  # Only the repositories' outputs exist after the targeted apply; the region is the one this deployment was given.
  web_repo=$(tf output -raw web_repository_url) || die "no ECR repository in the Terraform state." \
    "Run 'make deploy' (it creates the repositories first)."
  classifier_repo=$(tf output -raw classifier_repository_url) || die "no ECR repository in the Terraform state." \
    "Run 'make deploy' (it creates the repositories first)."

  # Jib reads the registry login from $DOCKER_CONFIG/config.json: a private folder, removed afterwards.
  DOCKER_CONFIG=$(mktemp -d)
  export DOCKER_CONFIG
  trap 'rm -rf "${DOCKER_CONFIG:-}"' EXIT
  local password
  password=$(aws ecr get-login-password --region "$region") \
    || die "could not log in to ECR in $region (see above)." "Check the credentials (aws sts get-caller-identity) and ecr:GetAuthorizationToken."
  (umask 077 && printf '{"auths":{"%s":{"auth":"%s"}}}\n' "${web_repo%%/*}" \
    "$(printf 'AWS:%s' "$password" | base64 -w0)" >"$DOCKER_CONFIG/config.json")

  push_image web-service "$web_repo" "$tag" "$region"
  push_image classifier-service "$classifier_repo" "$tag" "$region"
  rm -rf "$DOCKER_CONFIG"
  unset DOCKER_CONFIG
  say "images: $web_repo:$tag and $classifier_repo:$tag are in ECR"
}

# push_image MODULE REPOSITORY_URL TAG REGION: Jib build and push, unless the (immutable) tag is already there.
push_image() {
  local module=$1 repo=$2 tag=$3 region=$4 found
  if found=$(aws ecr describe-images --region "$region" --repository-name "${repo#*/}" --image-ids "imageTag=$tag" \
    --output json 2>&1); then
    say "images: $repo:$tag exists already (tags are immutable): not pushed again"
    return
  fi
  [[ $found == *ImageNotFoundException* ]] || die "could not look up $repo:$tag in ECR:" "$found"
  local mvn
  read -ra mvn <<<"$MVN"
  say "images: building $module and pushing $repo:$tag"
  (cd "$REPO_ROOT" && "${mvn[@]}" -q -DskipTests -pl "$module" -am package jib:build -Djib.to.image="$repo:$tag") \
    || die "pushing $repo:$tag failed (see the Maven output above)." \
      "Check Docker Hub access for the base image and ECR access (ecr:InitiateLayerUpload...), then rerun 'make deploy'" \
      "(the ECR repositories exist; nothing else was created), or 'make destroy' to delete them."
}

# Shell words, quoted only where needed, for commands users copy and paste.
shell_words() {
  local words=() word
  for word in "$@"; do words+=("$(printf '%q' "$word")"); done
  echo "${words[*]}"
}

# Sets HEALTH_CMD, LOAD_TEST_CMD and DASHBOARD from the outputs of the full apply.
outputs() {
  local out url queue asg region timeout
  out=$(tf output -json) || die "no Terraform outputs: nothing is deployed from this checkout." "Run 'make deploy'."
  url=$(output_value "$out" web_url)
  queue=$(output_value "$out" request_queue_url)
  asg=$(output_value "$out" classifier_asg_name)
  region=$(output_value "$out" region)
  timeout=$(output_value "$out" client_timeout_seconds)
  DASHBOARD=$(jq -r '.dashboard_url.value // empty' <<<"$out")
  LOAD_TEST_CMD=("$JAVA" -jar "$LOAD_TEST_JAR" --url "$url" --requests "$REQUESTS" --queue-url "$queue"
    --asg-name "$asg" --region "$region" --timeout "${timeout}s")
  HEALTH_CMD=(curl -fsS "$url/health")
  CLASSIFY_CMD=''
  local keys
  keys=$(api_keys_file)
  if [ -s "$keys" ]; then
    LOAD_TEST_CMD+=(--api-key-file "$keys")
    CLASSIFY_CMD="curl -fsS -H \"Authorization: Bearer \$(head -n1 $(printf '%q' "$keys"))\" -F myfile=@samples/coffee.png $url/classify"
  fi
}

output_value() {
  jq -er --arg k "$2" '.[$k].value' <<<"$1" || die "Terraform output '$2' is missing." "Run 'make deploy' again."
}

print_commands() {
  outputs
  say "the hosts pull the images and start; /health answers after 2-4 minutes. Health check:"
  echo "  $(shell_words "${HEALTH_CMD[@]}")"
  [ -z "$CLASSIFY_CMD" ] || { say "classify one image (the API needs the key):"; echo "  $CLASSIFY_CMD"; }
  say "load test against this deployment ('make load-test-aws' builds the jar and runs the same):"
  echo "  make load-test-aws"
  echo "  $(shell_words "${LOAD_TEST_CMD[@]}")"
  [ -z "$DASHBOARD" ] || say "dashboard: $DASHBOARD"
}

run_load_test() {
  outputs
  local extra=()
  [ -z "$LOAD_TEST_ARGS" ] || read -ra extra <<<"$LOAD_TEST_ARGS"
  say "load test: $(shell_words "${LOAD_TEST_CMD[@]}" "${extra[@]}")"
  local rc=0
  "${LOAD_TEST_CMD[@]}" "${extra[@]}" || rc=$?
  [ "$rc" -eq 0 ] || die "the load test failed (exit $rc, see its report above)." \
    "Right after a deploy the group starts at 0 workers: the first burst waits for instances (see docs/deploy-aws.md)." \
    "Check /health, the dashboard and the dead-letter queue."
}

# Each web instance creates <prefix>-<its instance id> and deletes it when its container stops; an instance that dies
# without stopping (hardware failure, kill -9 of the host) leaves its queue. Deletes the queues whose instance is gone.
cleanup_queues() {
  need aws "Install the AWS CLI v2 and configure credentials."
  local region prefix listed url id answer state kept=0 deleted=0
  region=$(deployed_region)
  prefix=$(tf output -raw response_queue_prefix) || die "no response_queue_prefix in the Terraform outputs." \
    "Run 'make deploy' again (it adds the output), then 'make cleanup-queues'."
  listed=$(aws sqs list-queues --region "$region" --queue-name-prefix "$prefix-" --output json) \
    || die "could not list the SQS queues in $region (see above)." "Check the credentials (aws sts get-caller-identity)."
  for url in $(jq -r '.QueueUrls[]?' <<<"$listed"); do
    id=${url##*/"$prefix"-}
    if answer=$(aws ec2 describe-instances --region "$region" --instance-ids "$id" --output json 2>&1); then
      state=$(jq -r '[.Reservations[].Instances[].State.Name] | first // "gone"' <<<"$answer")
    elif [[ $answer == *InvalidInstanceID.NotFound* ]]; then
      state=gone
    else
      die "could not look up instance $id (see below); nothing more deleted." "$answer"
    fi
    case "$state" in
      pending | running | stopping | stopped | shutting-down)
        kept=$((kept + 1)) ;;
      *)
        aws sqs delete-queue --region "$region" --queue-url "$url" \
          || die "could not delete $url (see above)." "Rerun 'make cleanup-queues'."
        say "cleanup: deleted $url (instance $id is $state)"
        deleted=$((deleted + 1)) ;;
    esac
  done
  say "cleanup: deleted=$deleted kept=$kept (queues of running instances)"
}

deploy() {
  print_cost_warning
  preflight
  say "step 1/3: ECR repositories (targeted apply)"
  tf_change apply -var-file="$TFVARS" -var "image_tag=$TAG" "${ECR_TARGETS[@]}" \
    || die "terraform apply of the ECR repositories failed or was not approved (see above)." \
      "Answer 'yes' when asked (or AUTO_APPROVE=1), fix the cause and rerun 'make deploy'."
  say "step 2/3: images tagged $TAG"
  images
  say "step 3/3: everything else (full apply)"
  export_api_keys
  tf_change apply -var-file="$TFVARS" -var "image_tag=$TAG" \
    || die "terraform apply failed or was not approved (see above); what was created so far stays and costs money." \
      "Fix the cause and rerun 'make deploy' (it continues from the state), or 'make destroy'."
  print_commands
  say "Run 'make destroy' when you are done: the deployment costs money while it exists."
}

destroy() {
  need "$TF" "Install Terraform >= 1.7."
  local region
  region=$(deployed_region)
  say "destroying the deployment in $region (variables from $TF_DIR/$TFVARS)"
  tf init -input=false >/dev/null || die "terraform init failed (see above)."
  tf_change destroy -var-file="$TFVARS" \
    || die "terraform destroy failed or was not approved (see above): resources may remain and cost money." \
      "Rerun 'make destroy'; if it keeps failing, check the EC2, ECR and S3 consoles in $region."
  rm -f "$TF_DIR/$TFVARS"
  [ -n "${API_KEYS_FILE:-}" ] || rm -f "$TF_DIR/api-keys.txt"   # the key made for this deployment, now useless
  say "destroy: done in $region"
}

main() {
  local command=${1:-}
  need jq "Install jq (apt-get install jq)."
  case "$command" in
    preflight) preflight ;;
    deploy) deploy ;;
    images) images ;;
    outputs) print_commands ;;
    load-test) run_load_test ;;
    destroy) destroy ;;
    cleanup-queues) cleanup_queues ;;
    *)
      echo "usage: $0 preflight|deploy|images|outputs|load-test|destroy|cleanup-queues (settings: see the top of this file)" >&2
      exit 2
      ;;
  esac
}

main "$@"
