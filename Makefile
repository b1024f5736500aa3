# Elastic image recognition: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

MVN        ?= mvn -B
VERSION    := 0.1.0-SNAPSHOT
PORT       ?= 8080
MANAGEMENT_PORT ?= 8085
WORKERS    ?= 1
SHARED_DIR ?= $(CURDIR)/../shared
# DJL unpacks libtorch here on first use (offline: the native jar ships in the classifier jar).
export DJL_CACHE_DIR ?= $(CURDIR)/target/djl-cache

LOCAL_CLOUD_JAR := local-cloud/target/local-cloud-$(VERSION)-all.jar
WEB_JAR         := web-service/target/web-service-$(VERSION).jar
CLASSIFIER_JAR  := classifier-service/target/classifier-service-$(VERSION).jar
# The raw benches (benchmarks/) run on the benchmarks jar and the classpath Maven writes beside it at package time.
BENCH_CP         = benchmarks/target/benchmarks-$(VERSION).jar:$$(cat benchmarks/target/classpath.txt)
# A worker's JVM options, one source: a java argument file that the image's entrypoint and local runs (LocalSystem)
# read too; image-check asserts that the image runs java with it. Local runs and the benches add a heap bound
# (local-worker-jvm.options); the image has none (it sizes its heap by the host), which image-check asserts too.
WORKER_JVM_OPTIONS       := classifier-service/src/main/jib/app/worker-jvm.options
LOCAL_WORKER_JVM_OPTIONS := local-cloud/src/main/resources/io/github/elasticimage/local/local-worker-jvm.options
WORKER_JVM_ARGFILES      := @$(LOCAL_WORKER_JVM_OPTIONS) @$(WORKER_JVM_OPTIONS)

.PHONY: help build run redrive test clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

build: ## Build every module (runnable jars, no tests)
	$(MVN) -q -DskipTests package

# The jars `make run` needs, rebuilt only when a source of theirs changed (the first run builds them once).
RUN_SOURCES := pom.xml scaling-policy.json $(shell find common local-cloud web-service classifier-service \
	-path '*/target' -prune -o -type f -print 2>/dev/null)
$(LOCAL_CLOUD_JAR) $(WEB_JAR) $(CLASSIFIER_JAR) &: $(RUN_SOURCES)
	$(MVN) -q -DskipTests package -pl local-cloud,web-service,classifier-service -am
	@touch $(LOCAL_CLOUD_JAR) $(WEB_JAR) $(CLASSIFIER_JAR)

# More options of the local system (RUN_ARGS="--help" lists them), e.g. RUN_ARGS='--worker-command "taskset -c 1"'.
RUN_ARGS ?=
run: $(LOCAL_CLOUD_JAR) $(WEB_JAR) $(CLASSIFIER_JAR) ## Start the whole system locally (SQS, S3, web on :$(PORT), operations on :$(MANAGEMENT_PORT), autoscaled workers); Ctrl-C stops it
	java -jar $(LOCAL_CLOUD_JAR) --port $(PORT) --management-port $(MANAGEMENT_PORT) --workers $(WORKERS) \
	  --web-jar $(WEB_JAR) --classifier-jar $(CLASSIFIER_JAR) $(RUN_ARGS)

redrive: $(LOCAL_CLOUD_JAR) ## Move the requests in make run's dead-letter queue back to its request queue (while make run is up; AWS: docs/reliability.md)
	java -cp $(LOCAL_CLOUD_JAR) io.github.elasticimage.local.RedriveCommand $(REDRIVE_ARGS)

test: ## Run every test (unit, integration on loopback servers, end to end)
	$(MVN) -Dshared.dir=$(SHARED_DIR) verify

clean: ## Remove build output and local data
	$(MVN) -q clean
	rm -rf .local-cloud target

# ---- Benchmark ---------------------------------------------------------------------------------------------------
BENCH_CONFIGS ?= 1x2 2x1
BENCH_ROUNDS  ?= 15
FIXTURES      ?= $(SHARED_DIR)/fixtures/imagenet-sample

.PHONY: bench
bench: ## Raw classifier vs end to end through the local system: throughput, CPU per image, cold start, first burst; last line: bench: ...
	@set -e; $(MVN) -q -DskipTests package; rm -f target/bench-raw.txt; mkdir -p target; \
	for cfg in $(BENCH_CONFIGS); do t=$${cfg%x*}; i=$${cfg#*x}; \
	  java $(WORKER_JVM_ARGFILES) -cp $(BENCH_CP) io.github.elasticimage.classifier.bench.RawThroughputBench \
	    $(FIXTURES) $$t $$i $(BENCH_ROUNDS) 2>/dev/null | grep '^raw:' | tee -a target/bench-raw.txt; done; \
	best=$$(sort -k1,1 -g -r <(sed 's/.*img_per_s=\([0-9.]*\).*/\1 &/' target/bench-raw.txt) | head -1); \
	raw=$$(echo "$$best" | cut -d' ' -f1); t=$$(echo "$$best" | sed 's/.*threads=\([0-9]*\).*/\1/'); \
	i=$$(echo "$$best" | sed 's/.*intra_op=\([0-9]*\).*/\1/'); \
	echo "best raw: $$raw img/s with WORKER_THREADS=$$t INTRA_OP_THREADS=$$i"; \
	if command -v taskset >/dev/null; then \
	  taskset -c 1 java $(WORKER_JVM_ARGFILES) -cp $(BENCH_CP) io.github.elasticimage.classifier.bench.RawThroughputBench \
	    $(FIXTURES) 1 1 $(BENCH_ROUNDS) 2>/dev/null | grep '^raw:' | tee target/bench-raw-one-core.txt; \
	else echo "raw on one core: not measured (no taskset; it comes with util-linux)"; : > target/bench-raw-one-core.txt; fi; \
	one=$$(sed -n 's/.*img_per_s=\([0-9.]*\).*/\1/p' target/bench-raw-one-core.txt); \
	one_cpu=$$(sed -n 's/.*cpu_ms_per_img=\([0-9.]*\).*/\1/p' target/bench-raw-one-core.txt); \
	$(MVN) -q -pl system-tests -am test -Dshared.dir=$(SHARED_DIR) -Dsurefire.excludedGroups=none -Dgroups=bench \
	  -Dsurefire.failIfNoSpecifiedTests=false -Dtest=EndToEndBench -Dbench.raw=$$raw -Dbench.rawOneCore=$${one:-0} \
	  -Dbench.rawOneCoreCpuMs=$${one_cpu:-0} -Dbench.workerThreads=$$t -Dbench.intraOp=$$i \
	  > target/bench-e2e.log 2>&1 || { tail -50 target/bench-e2e.log; exit 1; }; \
	cat system-tests/target/bench-e2e.txt

DECODE_ROUNDS ?= 20
DECODE_ARGS   ?=

.PHONY: bench-decode
bench-decode: ## The worker's decode + preprocess (and whole classify) per image on one thread: KB allocated and CPU ms; usable on a busy machine
	@$(MVN) -q -DskipTests package -pl benchmarks -am
	@java $(WORKER_JVM_ARGFILES) -cp $(BENCH_CP) io.github.elasticimage.classifier.bench.DecodeBench \
	  $(FIXTURES) $(DECODE_ROUNDS) 50 $(DECODE_ARGS) 2>/dev/null | grep -E '^(decode|classify):'

LOCAL_SCALING_REQUESTS ?= 100,1000

.PHONY: bench-local-scaling
bench-local-scaling: $(LOCAL_CLOUD_JAR) $(WEB_JAR) $(CLASSIFIER_JAR) ## Bursts of LOCAL_SCALING_REQUESTS (100,1000) on fresh `make run` systems, autoscaler on and off; lines local-scaling: ...
	@mkdir -p target; $(MVN) -q -pl system-tests -am test -Dshared.dir=$(SHARED_DIR) -Dsurefire.excludedGroups=none \
	  -Dgroups=bench -Dsurefire.failIfNoSpecifiedTests=false -Dtest=LocalScalingBench \
	  -Dlocal-scaling.requests=$(LOCAL_SCALING_REQUESTS) > target/bench-local-scaling.log 2>&1 \
	  || { tail -50 target/bench-local-scaling.log; exit 1; }; \
	cat system-tests/target/local-scaling.txt

COLD_START_ARGS ?=
.PHONY: cold-start
cold-start: $(LOCAL_CLOUD_JAR) $(WEB_JAR) $(CLASSIFIER_JAR) ## A new worker's start to its first answer, system running (3 starts; COLD_START_ARGS="--help")
	java -cp $(LOCAL_CLOUD_JAR) io.github.elasticimage.local.ColdStartCommand --web-jar $(WEB_JAR) \
	  --classifier-jar $(CLASSIFIER_JAR) $(COLD_START_ARGS)

BATCH_SIZES ?= 1 2 4 8
BATCH_MODELS ?= classpath:model/mobilenet_v2_int8.pt $(SHARED_DIR)/models/mobilenet_v2_fp32/mobilenet_v2_fp32.pt

.PHONY: bench-batching
bench-batching: ## Does micro-batching help? Raw img/s per batch size ($(BATCH_SIZES)), shipped int8 model and fp32
	@$(MVN) -q -DskipTests package -pl benchmarks -am
	@for model in $(BATCH_MODELS); do for cfg in 2x1 1x2; do t=$${cfg%x*}; i=$${cfg#*x}; \
	  timeout 600 java $(WORKER_JVM_ARGFILES) -Dbench.model=$$model -cp $(BENCH_CP) \
	    io.github.elasticimage.classifier.bench.BatchingBench $(FIXTURES) $$t $$i 5 $(BATCH_SIZES) 2>/dev/null \
	    | grep '^batch:'; done; done

# ---- Load test (load-test/) -------------------------------------------------------------------------------------
URL            ?= http://localhost:$(PORT)
REQUESTS       ?= 100
LOAD_TEST_ARGS ?=
LOAD_TEST_JAR  := load-test/target/load-test-$(VERSION)-all.jar

$(LOAD_TEST_JAR): load-test/pom.xml $(shell find load-test/src/main samples -type f 2>/dev/null)
	$(MVN) -q -Dmaven.test.skip=true -pl load-test -am package

.PHONY: load-test
load-test: $(LOAD_TEST_JAR) ## Fire REQUESTS (100) requests at once at URL (make run's) with the bundled samples; LOAD_TEST_ARGS="--help"
	java -jar $(LOAD_TEST_JAR) --url $(URL) --requests $(REQUESTS) $(LOAD_TEST_ARGS)

# ---- Cloud deployment (terraform/, Jib images) -------------------------------------------------------------------
TF_DIR        ?= terraform
TF_PLUGIN_DIR ?= /opt/tf-plugins
TF            ?= terraform

.PHONY: tf-check
tf-check: ## Terraform offline checks: fmt, init (local plugins), validate, test (mocked AWS), user-data names vs docs/configuration.md
	@if ! command -v $(TF) >/dev/null 2>&1; then \
	  echo "SKIPPED: tf-check: '$(TF)' is not installed (needs Terraform >= 1.7)"; exit 0; fi; \
	if [ ! -d "$(TF_PLUGIN_DIR)/registry.terraform.io/hashicorp/aws" ]; then \
	  echo "SKIPPED: tf-check: no AWS provider under $(TF_PLUGIN_DIR) (the registry is unreachable offline)"; exit 0; fi; \
	set -e; cd $(TF_DIR); \
	echo "tf-check: terraform fmt -check -recursive"; $(TF) fmt -check -recursive; \
	echo "tf-check: terraform init -backend=false -plugin-dir=$(TF_PLUGIN_DIR)"; \
	  $(TF) init -input=false -backend=false -plugin-dir=$(TF_PLUGIN_DIR) >/dev/null; \
	echo "tf-check: terraform validate"; $(TF) validate -no-color; \
	echo "tf-check: terraform test"; $(TF) test -no-color; \
	echo "tf-check: worker launch script against stand-ins (tests/user-data)"; tests/user-data/classifier-launch-test.sh; \
	echo "tf-check: user-data settings are named as in docs/configuration.md"; \
	for name in $$(grep -ohE '^[A-Z][A-Z0-9_]+=' templates/*.tftpl | tr -d = | sort -u); do \
	  grep -q "\`$$name\`" ../docs/configuration.md || { echo "tf-check: $$name is not in docs/configuration.md"; exit 1; }; \
	done; \
	echo "tf-check: OK"

# Images (Jib). JIB_FROM overrides the base image: empty = the digest-pinned eclipse-temurin:17-jre in the poms
# (needs Docker Hub), `scratch` = config and layers only (offline), tar:///abs/base.tar = a local base image.
IMAGE_SERVICES := web-service,classifier-service
IMAGE_TAG      ?=
JIB_FROM       ?= scratch
JIB_FROM_ARG    = $(if $(JIB_FROM),-Djib.from.image=$(JIB_FROM))

.PHONY: image-tars image-check images
image-tars: ## Build both images as tars offline (jib:buildTar) into <service>/target/jib-image.tar; base: JIB_FROM (scratch)
	$(MVN) -q -DskipTests -pl $(IMAGE_SERVICES) -am package jib:buildTar $(JIB_FROM_ARG)

image-check: ## Build the image tars on a scratch base and check entrypoint, port, non-root user, model and libtorch (unpacked) layers
	$(MAKE) --no-print-directory image-tars JIB_FROM=scratch
	image-smoke/check-image-tar.sh web-service/target/jib-image.tar \
	  --main io.github.elasticimage.web.Application --port 8080 --port 8085 --jvm-flag -XX:+ExitOnOutOfMemoryError \
	  --file 'app/classes/io/github/elasticimage/web/Application\.class' \
	  --file 'app/resources/application\.yml'
	image-smoke/check-image-tar.sh classifier-service/target/jib-image.tar \
	  --main io.github.elasticimage.classifier.Application --port 8081 \
	  --env DJL_OFFLINE=true --env DJL_CACHE_DIR=/opt/djl-cache \
	  --jvm-flag -Duser.home=/tmp --jvm-flag -Dai.djl.offline=true --jvm-flag -Djava.awt.headless=true \
	  --argfile /app/worker-jvm.options=$(WORKER_JVM_OPTIONS) --no-jvm-flag -Xmx \
	  --file 'app/jib-classpath-file' \
	  --file 'app/resources/model/mobilenet_v2_int8\.pt' --file 'app/resources/model/synset\.txt' \
	  --file 'app/libs/pytorch-native-cpu-.*-linux-x86_64\.jar' --file 'app/libs/pytorch-jni-.*\.jar' \
	  --file 'opt/djl-cache/pytorch/[^/]+-cpu-linux-x86_64/libtorch_cpu\.so' \
	  --file 'opt/djl-cache/pytorch/[^/]+-cpu-linux-x86_64/[0-9.]+-libdjl_torch\.so'
	@echo "image-check: OK"

images: ## Build both images (tag: IMAGE_TAG or the git commit) and push them to this deployment's ECR repositories (Jib)
	@$(DEPLOY_SH) images

SIMULATE_ARGS ?=
.PHONY: simulate
simulate: ## Replay scaling-policy.json on AWS-like timing: bursts of 1/7/20/100/500 and scenarios, beside the throughput-aware rule; goals (SIMULATE_ARGS="--high-resolution --pool-state Stopped", "--help")
	$(MVN) -q -DskipTests package -pl local-cloud -am
	java -cp $(LOCAL_CLOUD_JAR) io.github.elasticimage.local.scaling.SimulateCommand $(SIMULATE_ARGS)

# Deploy to AWS: deploy/deploy.sh does the steps (preflight, ECR repositories, images, full apply, the commands to
# check it); the variables below are its settings. Region, subnets (default: the default VPC's, those whose zone
# offers the instance types), the CIDR allowed to reach the load balancer (default: your current public IP /32), the
# image tag (default: the git commit; a dirty tree is refused), MAX_WORKERS (lower the workers' maximum, e.g. to fit
# the vCPU quota). `make deploy AUTO_APPROVE=1` skips Terraform's confirmations.
AWS_REGION   ?= us-east-1
SUBNET_IDS   ?=
ALLOWED_CIDR ?=
AUTO_APPROVE ?=
MAX_WORKERS  ?=
API_KEYS_FILE ?=
DEPLOY_SH = AWS_REGION='$(AWS_REGION)' SUBNET_IDS='$(SUBNET_IDS)' ALLOWED_CIDR='$(ALLOWED_CIDR)' \
  AUTO_APPROVE='$(AUTO_APPROVE)' IMAGE_TAG='$(IMAGE_TAG)' MAX_WORKERS='$(MAX_WORKERS)' TF='$(TF)' TF_DIR='$(TF_DIR)' \
  MVN='$(MVN)' LOAD_TEST_JAR='$(LOAD_TEST_JAR)' REQUESTS='$(REQUESTS)' LOAD_TEST_ARGS='$(LOAD_TEST_ARGS)' \
  API_KEYS_FILE='$(API_KEYS_FILE)' \
  deploy/deploy.sh

.PHONY: preflight deploy destroy load-test-aws deploy-outputs deploy-check cleanup-queues
preflight: ## Check the AWS account before deploying (credentials, region, vCPU quota, subnets, x86_64 types); creates nothing
	@$(DEPLOY_SH) preflight

deploy: ## Create everything on AWS (COSTS MONEY): preflight, ECR repositories, images, then the rest; prints the test commands
	@$(DEPLOY_SH) deploy

deploy-outputs: ## Print the health-check and load-test commands of the current deployment
	@$(DEPLOY_SH) outputs

load-test-aws: $(LOAD_TEST_JAR) ## Load test the deployment: REQUESTS (100) requests, sampling its queue and worker group
	@$(DEPLOY_SH) load-test

destroy: ## Delete everything `make deploy` created on AWS (buckets and images included); needs only the Terraform state
	@$(DEPLOY_SH) destroy

cleanup-queues: ## Delete the response queues of web instances that no longer run (those that died without stopping)
	@$(DEPLOY_SH) cleanup-queues

deploy-check: ## Rehearse deploy, images, load-test and destroy offline against recording stand-ins for aws, terraform, mvn
	@deploy/check/deploy-check.sh

# Image smoke test: a JRE base image built from Debian packages (mmdebstrap), both images built on it and loaded into
# a private dockerd, then ImageSmokeTest (Testcontainers) runs them against the local SQS/S3 servers.
SMOKE_DIR := $(CURDIR)/target/image-smoke

.PHONY: image-smoke
image-smoke: ## Run both images in a local Docker engine against local SQS/S3 and classify samples/coffee.png (root; apt installs mmdebstrap, docker.io)
	@set -euo pipefail; started=$$(date +%s); \
	missing=(); command -v mmdebstrap >/dev/null || missing+=(mmdebstrap); command -v dockerd >/dev/null || missing+=(docker.io); \
	if [ $${#missing[@]} -gt 0 ]; then echo "image-smoke: installing $${missing[*]}"; \
	  apt-get install -y -q "$${missing[@]}" || { apt-get update -q && apt-get install -y -q "$${missing[@]}"; }; fi; \
	image-smoke/build-base-image.sh $(SMOKE_DIR)/base; \
	$(MAKE) --no-print-directory image-tars JIB_FROM=tar://$(SMOKE_DIR)/base/debian-jre17.tar; \
	rc=0; image-smoke/run-smoke.sh $(SMOKE_DIR)/docker $(MVN) -Dshared.dir=$(SHARED_DIR) || rc=$$?; \
	echo "image-smoke: total $$(( $$(date +%s) - started )) s"; exit $$rc
