# SPDX-License-Identifier: GPL-2.0
#
# Entry points of the KHO project. See README.md.

SHELL := /bin/bash
H := harness
ARCHS ?= x86_64 arm64
FUZZ_TIME ?= 60

.PHONY: all demo test test-debug test-ftrace bench bench-blackout fuzz deps prepare capture build initramfs series check-series clean distclean help

all: help

help:
	@echo "make demo          a VM keeps running while its host kexecs (DEMO=ftrace: the trace story)"
	@echo "make test          install dependencies, build, run every test suite"
	@echo "make test-debug    the selftests on a debug kernel (lockdep, KASAN, UBSAN, DEBUG_VM, ...)"
	@echo "make test-ftrace   all of 6.12's ftracetest on the test kernels (make test runs a subset)"
	@echo "make bench         benchmarks: tracker and boot-time walk vs the naive strategy, scratch sizes (out/bench/)"
	@echo "make bench-blackout  the kexec blackout piece by piece, x86_64 and arm64 (out/bench-blackout/)"
	@echo "make fuzz          fuzz the incoming-side validators, FUZZ_TIME=$(FUZZ_TIME) seconds per target"
	@echo "make deps          install build/test dependencies (apt-get)"
	@echo "make prepare       unpack the base kernel under out/linux, apply patches, link overlay"
	@echo "make capture       capture edits of upstream files in out/linux into patches/"
	@echo "make build         build the test kernels (ARCHS=\"$(ARCHS)\")"
	@echo "make initramfs     build the guest initramfs for each arch"
	@echo "make series        export the series with git format-patch into out/series/"
	@echo "make check-series  git am the series on the pristine base; after each patch build x86_64 and arm64 and boot them"

deps:
	@$(H)/deps.sh

prepare: deps
	@$(H)/prepare.sh

capture:
	@$(H)/capture.sh

build: prepare
	@set -e; for a in $(ARCHS); do $(H)/build.sh $$a; done

initramfs: build
	@set -e; for a in $(ARCHS); do $(H)/mkinitramfs.sh $$a; done

test: prepare
	@ARCHS="$(ARCHS)" $(H)/run-tests.sh

# The QEMU selftests on a debug kernel (tools/testing/selftests/kho/config.debug),
# built in out/build/ARCH-debug; not part of make test (see README.md).
test-debug: prepare
	@ARCHS="$(ARCHS)" $(H)/run-tests.sh $(foreach a,$(ARCHS),debug-$(a))

# 6.12's ftracetest, every test case, on the test kernels (make test: a subset).
test-ftrace: prepare
	@set -e; for a in $(ARCHS); do $(H)/build.sh $$a; $(H)/mkinitramfs.sh $$a; done
	@FTRACETEST_FULL=1 ARCHS="$(ARCHS)" $(H)/run-tests.sh $(foreach a,$(ARCHS),ftrace-$(a))

# Benchmarks, not part of make test (which runs a smoke run of them):
# out/bench/table.txt, results.json, cost.png, blackout.png. See
# harness/bench.sh. bench-blackout: the kexec blackout alone
# (out/bench-blackout/).
bench bench-blackout: prepare
	@$(H)/build.sh x86_64
	@$(H)/build.sh arm64
	@$(H)/mkinitramfs.sh x86_64
	@$(H)/mkinitramfs.sh arm64
	@$(H)/bench.sh $(if $(filter bench-blackout,$@),blackout)

# libFuzzer targets of tools/testing/kho/fuzz; corpus, crashes and logs in out/fuzz.
fuzz: prepare
	@$(MAKE) -s -C out/linux/tools/testing/kho/fuzz run FUZZ_TIME=$(FUZZ_TIME) \
		FUZZ_OUT=$(CURDIR)/out/fuzz

demo: prepare
	@DEMO="$(DEMO)" $(H)/demo.sh

series: prepare
	@$(H)/series.sh

check-series: series
	@$(H)/check-series.sh

clean:
	rm -rf out/build out/logs out/series out/initramfs-*

distclean:
	rm -rf out
