# The two commands: `make run` and `make test` (README.md). Both install what is missing first.
SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# System packages Flint builds against, and what the samples (python3; ImageMagick for
# samples/transcode; pip to vendor awslambdaric for samples/python-lambda; curl for the shell
# Lambda runtime flint init writes) and tests run.
APT_PACKAGES := libsqlite3-dev libinotifytools0-dev sqlite3 python3 python3-pip imagemagick bubblewrap curl
# The benchmark's peers and load generator (inotifywait: the bucket benchmark's peer; gcc builds
# the lambda benchmark's C Runtime API handler).
BENCH_PACKAGES := lighttpd wrk curl inotify-tools gcc libc6-dev
PROJECT ?= .
LISTEN ?=

.PHONY: run test build release deps test-deps python-lambda-deps bench clean

run: deps python-lambda-deps release
	.build/release/flint up --project $(PROJECT) $(if $(LISTEN),--listen $(LISTEN))

# Unit tests, then the end-to-end tests, one test at a time: many start real handler processes,
# warm instances and daemons, and run in parallel on a 2-core machine they crowd each other out of
# the CPU and the shared pools of threads until some wait past their deadlines (36 s one at a time,
# against 15 s in parallel, for the unit tests).
test: deps test-deps python-lambda-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip FlintEndToEndTests --no-parallel
	$(SWIFT) test --skip-build --filter FlintEndToEndTests --no-parallel

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product flint

# apt-get only when a package is missing, so a ready machine starts at once.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# The end-to-end tests drive Flint with boto3, as Lambda users do: from PyPI with pip, or
# Debian's package where this python3 has no pip.
test-deps:
	@python3 -c 'import boto3' 2>/dev/null || python3 -m pip install -q boto3 \
	  || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-boto3; }

# samples/python-lambda runs under awslambdaric, vendored into the function's directory like a Lambda
# deployment package, for the python3 its handler finds: the first on the handler's own PATH.
HANDLER_PATH := /usr/local/bin:/usr/bin:/bin
PYTHON_LAMBDA := samples/python-lambda
python-lambda-deps:
	@cd $(PYTHON_LAMBDA) && env -i PATH=$(HANDLER_PATH) PYTHONPATH=vendor python3 -c 'import awslambdaric' 2>/dev/null \
	  || { echo "make: installing awslambdaric into $(PYTHON_LAMBDA)/vendor"; \
	       env -i PATH=$(HANDLER_PATH) python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore \
	         --target vendor awslambdaric==4.2.2; }

bench: deps python-lambda-deps release
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	@python3 -c 'import huey' 2>/dev/null || python3 -m pip install -q huey
	bench/http-bench.sh
	FLINT=$(CURDIR)/.build/release/flint bench/queue-bench.sh
	FLINT=$(CURDIR)/.build/release/flint bench/bucket-bench.sh
	FLINT=$(CURDIR)/.build/release/flint bench/lambda-bench.sh

clean:
	rm -rf .build .flint buckets
