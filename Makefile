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
bench: rig image ## Benchmarks beside the alternatives; writes bench/results.json and docs/benchmarks.md
	./hack/bench

.PHONY: image
image: rig ## Build the frontend image (linux/amd64, linux/arm64) into the rig's registry as tiltdev/restart-frontend
	./hack/image

.PHONY: release
release: rig ## Release VERSION=x.y.z for all 8 platforms as :x.y.z :x.y :x :latest (RELEASE_REGISTRY, default the rig's)
	VERSION="$(VERSION)" ./hack/release

##@ Rig: the daemons of hack/rig.d/ on loopback (registry, buildkitd, dockerd, Kubernetes), state in .rig/

.PHONY: rig
rig: ## Start the rig (idempotent; installs and builds what is missing; RIG_K8S=0 skips Kubernetes)
	./hack/rig up

.PHONY: rig-down
rig-down: ## Stop exactly the processes the rig started; remove its bridges, mounts and cgroups
	./hack/rig down

.PHONY: rig-env
rig-env: ## Print the rig's environment (DOCKER_HOST, BUILDKIT_HOST, KUBECONFIG...): eval "$(make -s rig-env)"
	@./hack/rig env

.PHONY: rig-status
rig-status: ## Show the rig's daemons, pids and addresses
	@./hack/rig status || true

.PHONY: rig-check
rig-check: ## Smoke-test the running rig: throwaway Dockerfiles, and examples/hello on Kubernetes
	./hack/rig check

##@ Helpers

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*##"} /^##@/ {printf "\n%s\n", substr($$0, 5)} /^[a-z-]+:.*##/ {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
