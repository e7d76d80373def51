# ipvsd — the two set-up commands are `make demo` and `make test`; both install what a fresh
# Debian 12 machine lacks first (`make deps`).

BUILD      ?= build
ASAN_BUILD ?= build-asan
PORTABLE_BUILD ?= build-portable
JOBS       ?= $(shell nproc)
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages the build, the tests and the demo need (README.md says why each is there).
DEPS := build-essential cmake ninja-build pkg-config \
        libgtest-dev libgmock-dev libbenchmark-dev \
        libpopt-dev nlohmann-json3-dev libssl-dev \
        clang llvm libbpf-dev libxdp-dev libmnl-dev libnftables-dev nftables libfuzzer-14-dev \
        libcpp-httplib-dev libsystemd-dev debhelper dpkg-dev lintian systemd \
        iproute2 procps netbase curl ethtool jq keepalived bird2 prometheus chromium hping3 \
        libpcap-dev
# And those only `make bench-compare` needs: the peers it measures ipvsd against and its loads.
BENCH_DEPS := haproxy nginx-light wrk iperf

.PHONY: all deps bench-deps build test asan-test test-portable bench bench-ctl bench-compare demo deb clean

all: build

# Installs the packages of $(1) that are missing; quiet when none is.
define install_missing
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

deps:
	$(call install_missing,$(DEPS))

bench-deps:
	$(call install_missing,$(BENCH_DEPS))

$(BUILD)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

# Every test: unit, golden and end-to-end suites, then the unit tests and the programs in a few
# end-to-end suites again under AddressSanitizer + UndefinedBehaviorSanitizer, then a bounded
# pass of every fuzz harness, then the portable build's tests.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory asan-test
	$(MAKE) --no-print-directory fuzz-test
	$(MAKE) --no-print-directory test-portable

# The portable build (-DIPVSD_PORTABLE=ON, docs/portability.md): nothing Linux-only compiled or
# linked (its check_portable target fails the build otherwise), its unit tests, then ipvsd
# --io pcap end to end (label portable: DR, TUN ipip and gue, NAT; TCP and UDP; IPv4 and IPv6)
# with the Linux build's e2e_peer and ipvs-agent on the clients and real servers.
test-portable: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS) e2e_peer ipvs-agent
	cmake -S . -B $(PORTABLE_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIPVSD_PORTABLE=ON -DIPVSD_BENCH=OFF \
	  -DIPVSD_E2E_HELPERS=$(abspath $(BUILD))/bin >/dev/null
	ninja -C $(PORTABLE_BUILD) -j $(JOBS)
	cd $(PORTABLE_BUILD) && ctest -L unit --output-on-failure -j $(JOBS)
	cd $(PORTABLE_BUILD) && ctest -L portable --output-on-failure

asan-test: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DIPVSD_SANITIZE=ON -DIPVSD_BENCH=OFF >/dev/null
	ninja -C $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ctest -L unit --output-on-failure -j $(JOBS)
	cd $(ASAN_BUILD) && ctest -R '$(ASAN_E2E)' --output-on-failure

# The end-to-end suites run again with the sanitized programs: ipvsadm (goldens, control-socket
# abuse), ipvsd forwarding NAT/DR/TUN with ipvs-agent decapsulating, ipvs-healthd, sync.
ASAN_E2E := ^(cli_golden|cli_ctl_robustness|cli_concurrency|e2e_forwarding_afxdp|e2e_health|e2e_sync)$$

# libFuzzer harnesses (fuzz/, docs/fuzzing.md), built with clang in $(FUZZ_BUILD) under ASan +
# UBSan. `make fuzz` runs each for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600) and fails on any
# finding, printing the saved input's path; `make fuzz-test` is the bounded pass of `make test`.
FUZZ_BUILD        ?= build-fuzz
FUZZ_SECONDS      ?= 60
FUZZ_TEST_SECONDS ?= 8
.PHONY: fuzz fuzz-test
fuzz: deps
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS)

fuzz-test: deps
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TEST_SECONDS) $(JOBS)

bench: build
	$(BUILD)/bin/engine_bench

# ipvsadm -R of 1 000, 3 000 and 10 000 services x 10 real servers end to end, and one command
# afterwards (bench/ctl_restore.sh, docs/performance.md "Control plane at scale").
bench-ctl: build
	$(SUDO) bench/ctl_restore.sh $(BUILD)/bin

# ipvsd against no load balancer, nftables NAT and HAProxy in one namespace topology, then (first)
# on 4-queue veths with 1 and 2 workers, ~14 min (bench/compare.sh, docs/performance.md).
# Quick look: make bench-compare COMPARE_RUNS=1 COMPARE_SECONDS=2; the multi-queue part alone:
# COMPARE_MQ=only (off: the single-queue part alone).
bench-compare: build bench-deps
	$(SUDO) env COMPARE_RUNS=$(COMPARE_RUNS) COMPARE_SECONDS=$(COMPARE_SECONDS) COMPARE_MQ=$(COMPARE_MQ) \
	  COMPARE_MQ_PATHS="$(COMPARE_MQ_PATHS)" bench/compare.sh $(BUILD)/bin

# A live run in network namespaces (tools/demo.sh): METHOD=nat (default), dr or tun.
METHOD ?= nat
demo: build
	$(SUDO) tools/demo.sh $(BUILD)/bin $(METHOD)

# The Debian package (debian/, docs/operations.md): dpkg-buildpackage in a copy of the tree,
# so that the source directory sees no build; ipvsd_<version>_amd64.deb lands in $(DEB_DIR).
DEB_DIR ?= $(BUILD)/deb
deb: deps
	tools/build_deb.sh $(DEB_DIR)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(PORTABLE_BUILD)
