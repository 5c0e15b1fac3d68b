# natter: two commands on a fresh Debian 12 machine (as root):
#   make run    install what is missing, build, start on 127.0.0.1:8000 with SQLite under ./data
#   make test   install what is missing, build, run every test
PRESET ?= release
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: run test build deps deps-build unit e2e fuzz layering format clean

run: deps-build build
	./build/$(PRESET)/natter --data-dir ./data $(ARGS)

build:
	cmake --preset $(PRESET) >/dev/null
	cmake --build build/$(PRESET) -j $(JOBS)

deps-build:
	bash scripts/install-deps.sh build

deps:
	bash scripts/install-deps.sh test

test: deps
	bash scripts/test.sh

unit: build
	ctest --test-dir build/$(PRESET) --output-on-failure -j $(JOBS)

layering:
	bash scripts/check-layering.sh

fuzz:
	bash fuzz/run.sh 20

format:
	find src tests bench examples fuzz -name '*.[ch]pp' | xargs clang-format -i

clean:
	rm -rf build
