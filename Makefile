# Elastic image recognition: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

MVN        ?= mvn -B
VERSION    := 0.1.0-SNAPSHOT
PORT       ?= 8080
WORKERS    ?= 1
SHARED_DIR ?= $(CURDIR)/../shared
# DJL unpacks libtorch here on first use (offline: the native jar ships in the classifier jar).
export DJL_CACHE_DIR ?= $(CURDIR)/target/djl-cache

LOCAL_CLOUD_JAR := local-cloud/target/local-cloud-$(VERSION)-all.jar
WEB_JAR         := web-service/target/web-service-$(VERSION).jar
CLASSIFIER_JAR  := classifier-service/target/classifier-service-$(VERSION).jar

.PHONY: help build run test clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

build: ## Build every module (runnable jars, no tests)
	$(MVN) -q -DskipTests install

run: build ## Start the whole system locally (SQS, S3, web on :$(PORT), workers); Ctrl-C stops it
	java -jar $(LOCAL_CLOUD_JAR) --port $(PORT) --workers $(WORKERS) \
	  --web-jar $(WEB_JAR) --classifier-jar $(CLASSIFIER_JAR)

test: ## Run every test (unit, integration on loopback servers, end to end)
	$(MVN) -Dshared.dir=$(SHARED_DIR) install

clean: ## Remove build output and local data
	$(MVN) -q clean
	rm -rf .local-cloud target
