# Task runner (the seed plan's justfile recipes that apply here), with make, which every machine has.
#   make help          list the recipes
# Compose recipes use `docker compose` (v2) when present, else docker-compose (v1.29).

COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
PROFILES := --profile sim --profile ros --profile obs

.DEFAULT_GOAL := help
.PHONY: help test test-e2e run build bench compose-up compose-up-sim compose-up-ros compose-up-obs compose-down \
        compose-logs compose-build check-compose caddy-validate check

help: ## list the recipes
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# ─── Development ─────────────────────────────────────────

test: ## every test (installs missing tools): scripts/test-all.sh, as .ci/run does
	scripts/test-all.sh

test-e2e: build ## only the deployment and browser tests (io.sdr.e2e)
	mvn -B verify -pl tests -Dtest='io.sdr.e2e.**' -Dsurefire.failIfNoSpecifiedTests=false

build: ## the fat jar verticles/target/sdr-transport.jar (and the modules it needs, installed)
	mvn -B -q install -DskipTests

run: ## build, then run the server on conf/conf.json (live test pattern; viewer at http://localhost:8080/)
	scripts/run.sh

bench: ## ring reader JMH benchmarks (builds the bench profile), then the encoder bench
	mvn -B -q -Pbench package -DskipTests
	benchmarks/run.sh
	java -jar verticles/target/sdr-transport.jar encoders --bench

# ─── Docker (needs a Docker engine) ──────────────────────

compose-up: ## core services: nats, transport-server (test pattern), caddy
	$(COMPOSE) up -d --build

compose-up-sim: ## + the simulator side (raw frames into the ring, encoded by the server; demo telemetry)
	SDR_CONF=conf/conf.sim.json $(COMPOSE) --profile sim up -d --build

compose-up-ros: ## + ROS 2 Jazzy rosbridge
	$(COMPOSE) --profile ros up -d --build

compose-up-obs: ## + Prometheus and Grafana (http://localhost:3000, dashboard "SDR transport")
	$(COMPOSE) --profile obs up -d --build

compose-down: ## stop everything, every profile
	$(COMPOSE) $(PROFILES) down

compose-logs: ## follow the logs (ARGS=service...)
	$(COMPOSE) $(PROFILES) logs -f $(ARGS)

compose-build: ## rebuild every image without cache
	$(COMPOSE) $(PROFILES) build --no-cache

# ─── Validation (no Docker engine needed) ────────────────

check-compose: ## docker-compose.yml resolves with every profile
	$(COMPOSE) -f docker-compose.yml $(PROFILES) config -q && echo "docker-compose.yml OK"

caddy-validate: ## the Caddyfile loads in Caddy (plain HTTP, and with DOMAIN set)
	caddy validate --config Caddyfile --adapter caddyfile
	DOMAIN=sdr.example.com caddy validate --config Caddyfile --adapter caddyfile

check: check-compose caddy-validate test ## all of the above
