# The two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
export LEPTOS_OUTPUT_NAME := portal

.PHONY: run build test setup

## Set up what is missing, build the release, and serve http://127.0.0.1:3000 (SQLite in ./data).
run: build
	./target/release/server serve

## Set up what is missing and build the release binary (target/release/server) and the site (target/site).
build:
	scripts/setup.sh build
	cargo leptos build --release

## Set up what is missing and run every test.
test:
	scripts/test.sh

## Install the build and test tools only.
setup:
	scripts/setup.sh test
