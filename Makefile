# restart-frontend: `make demo` runs the main job end to end on a fresh
# machine, `make test` passes the tests (what CI runs). `make` lists targets.
SHELL := bash
.DEFAULT_GOAL := help

##@ Main

.PHONY: demo
demo: rig image ## Build examples/hello through `# syntax=`, run it, live-update it, watch it restart
	./hack/demo

.PHONY: test
test: rig image ## Unit, integration and end-to-end tests on the rig (what CI runs)
	./hack/test

.PHONY: test-unit
test-unit: ## Unit tests only: no rig, seconds
	go test -short ./...

.PHONY: buildkit-suite
buildkit-suite: rig image ## BuildKit's own Dockerfile suite, builtin frontend and ours (in make test)
	./hack/buildkit-suite

.PHONY: bench
bench: rig image ## Benchmarks beside the alternatives; writes bench/results.json
	./hack/bench

.PHONY: image
image: rig ## Build the frontend image and push it into the rig's registry as tiltdev/restart-frontend
	./hack/image

##@ Rig: buildkitd, a registry (docker.io mirror) and dockerd on loopback, state in .rig/

.PHONY: rig
rig: ## Start the rig (idempotent; installs and builds what is missing)
	./hack/rig up

.PHONY: rig-down
rig-down: ## Stop exactly the processes the rig started
	./hack/rig down

.PHONY: rig-env
rig-env: ## Print the rig's environment: eval "$(make -s rig-env)"
	@./hack/rig env

.PHONY: rig-status
rig-status: ## Show the rig's daemons, pids and addresses
	@./hack/rig status || true

.PHONY: rig-check
rig-check: ## Smoke-test the running rig with throwaway Dockerfiles
	./hack/rig check

##@ Helpers

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*##"} /^##@/ {printf "\n%s\n", substr($$0, 5)} /^[a-z-]+:.*##/ {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
