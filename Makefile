# sitrep - GNU make, no recursion (tig, redis).
#
#   make                 build ./sitrep
#   make check           install missing Debian packages, build, run every test
#   make check SAN=1     the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make check VALGRIND=1   the same with every test binary and sitrep run under memcheck
#   make demo            install, build, open the console on the simulated world
#   make bench           the benchmarks in bench/ (see bench/README.md)
#   make bench-sync      the sync throughput benchmark (bench/sync.sh)
#   make bench-tui       the console beside htop and btop (bench/tui.sh)
#   make bench-graph     the branch graph beside git and tig (bench/graph.sh; BENCH_REPO=)
#   make install PREFIX=/usr/local DESTDIR=
#   DEVELOPER=1          warnings are errors (CI);  V=1  show commands

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/sitrep
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g

ifeq ($(SAN),1)
BUILD ?= build-san
CFLAGS = -O1 -g
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
override LDFLAGS += -fsanitize=address,undefined
else
BUILD ?= build
endif

CURSES_PC := $(shell $(PKG_CONFIG) --exists ncursesw 2>/dev/null && echo ncursesw || echo ncurses)
LIBS_PC := $(CURSES_PC) libcurl jansson sqlite3 libgit2 zlib

override CFLAGS += -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wpointer-arith -Wformat=2 -Wundef \
	-Wcast-qual -Wvla -fno-common
ifeq ($(DEVELOPER),1)
override CFLAGS += -Werror
endif
override CPPFLAGS += -Iinclude -I$(BUILD) -MMD -MP -DDATADIR='"$(DATADIR)"' \
	$(shell $(PKG_CONFIG) --cflags libmicrohttpd cmocka 2>/dev/null) \
	$(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
# --as-needed: a command loads only the libraries it uses, which is most of its
# start-up time when it runs for milliseconds.
override LDFLAGS += -Wl,--as-needed
LDLIBS += $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null) -lm -lpthread
TEST_LDLIBS = $(shell $(PKG_CONFIG) --libs cmocka libmicrohttpd 2>/dev/null)
SIM_LDLIBS = $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)

ifneq ($(V),1)
Q = @
QUIET_CC = @echo '  CC      ' $@;
QUIET_LINK = @echo '  LINK    ' $@;
QUIET_GEN = @echo '  GEN     ' $@;
endif

LIB_SRC := $(sort $(wildcard src/core/*.c src/net/*.c src/store/*.c src/metrics/*.c \
	src/sources/*.c src/sync/*.c src/git/*.c src/deploy/*.c src/cli/*.c src/tui/*.c))
SIM_SRC := $(sort $(wildcard src/sim/*.c))
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o) $(BUILD)/sim_week.o
# The simulator without its main(), for unit tests of its world (test_sim_*).
SIM_LIB := $(BUILD)/libsim.a
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/schema.o
LIB := $(BUILD)/libsitrep.a
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
INTEGRATION := $(sort $(wildcard tests/integration/*.sh)) $(sort $(wildcard tests/tui/*.sh))

all: sitrep sitrep-sim

sitrep: $(BUILD)/sitrep
	$(Q)cp $< $@

sitrep-sim: $(BUILD)/sitrep-sim
	$(Q)cp $< $@

# sitrep-sim: a simulated ops world over HTTP for the demo and the tests.
$(BUILD)/sitrep-sim: $(SIM_OBJ) $(LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(SIM_LDLIBS) $(LDLIBS)

$(BUILD)/sitrep: $(BUILD)/src/main.o $(LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(SIM_LIB): $(filter-out $(BUILD)/src/sim/main.o,$(SIM_OBJ))
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The schema is compiled in, so a binary always knows the schema it migrates to.
$(BUILD)/schema.c: data/schema.sql tools/embed.sh
	@mkdir -p $(dir $@)
	$(QUIET_GEN)sh tools/embed.sh store_schema_sql $< > $@

$(BUILD)/schema.o: $(BUILD)/schema.c
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# So is the simulator's built-in scenario.
$(BUILD)/sim_week.c: data/sim/week.json tools/embed.sh
	@mkdir -p $(dir $@)
	$(QUIET_GEN)sh tools/embed.sh sim_week_json $< > $@

$(BUILD)/sim_week.o: $(BUILD)/sim_week.c
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

$(BUILD)/tests/test_sim_%: $(BUILD)/tests/test_sim_%.o $(SIM_LIB) $(LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

# Programs the integration tests run beside sitrep (tests/tools/).
TOOL_BIN := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))

$(BUILD)/tests/tools/%: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

deps:
	$(Q)sh tools/install-deps.sh

tests: $(BUILD)/sitrep $(BUILD)/sitrep-sim $(UNIT_BIN) $(TOOL_BIN)

# Everything after deps runs in a sub-make so that pkg-config flags are computed
# once the packages exist.
check: deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)SITREP=$(BUILD)/sitrep SITREP_SIM=$(BUILD)/sitrep-sim BUILD=$(BUILD) VALGRIND=$(VALGRIND) \
		sh tests/run.sh $(UNIT_BIN) $(INTEGRATION)

# `sitrep demo` finds sitrep-sim beside itself.
demo: deps
	$(Q)$(MAKE) --no-print-directory sitrep sitrep-sim
	./sitrep demo

bench: deps
	$(Q)$(MAKE) --no-print-directory sitrep
	sh bench/run.sh

bench-sync: deps
	$(Q)$(MAKE) --no-print-directory sitrep sitrep-sim
	SITREP=$(BUILD)/sitrep SITREP_SIM=$(BUILD)/sitrep-sim CC="$(CC)" sh bench/sync.sh

bench-tui: deps
	$(Q)sh tools/install-deps.sh --bench
	$(Q)$(MAKE) --no-print-directory sitrep
	SITREP=$(BUILD)/sitrep CC="$(CC)" bash bench/tui.sh

# The man page's KEYS section, from the console's table of actions.
keys-doc: $(BUILD)/sitrep
	sh tools/keys-doc.sh $(BUILD)/sitrep docs/sitrep.1

bench-graph: deps
	$(Q)sh tools/install-deps.sh --bench
	$(Q)$(MAKE) --no-print-directory sitrep
	SITREP=$(BUILD)/sitrep bash bench/graph.sh

install: sitrep sitrep-sim
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/themes $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 sitrep $(DESTDIR)$(BINDIR)/sitrep
	install -m 755 sitrep-sim $(DESTDIR)$(BINDIR)/sitrep-sim
	install -m 644 data/schema.sql data/sitrep.conf.sample $(DESTDIR)$(DATADIR)/
	for t in themes/*.theme; do [ -f "$$t" ] && install -m 644 "$$t" $(DESTDIR)$(DATADIR)/themes/ || true; done
	install -m 644 docs/sitrep.1 $(DESTDIR)$(MANDIR)/man1/sitrep.1
	install -m 644 docs/sitrep.conf.5 $(DESTDIR)$(MANDIR)/man5/sitrep.conf.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/sitrep $(DESTDIR)$(MANDIR)/man1/sitrep.1 $(DESTDIR)$(MANDIR)/man5/sitrep.conf.5
	rm -rf $(DESTDIR)$(DATADIR)

checkstyle: deps
	$(Q)clang-format --dry-run -Werror $(wildcard src/*/*.c src/*/*.h src/main.c \
		include/sitrep/*.h tests/unit/*.c tests/tools/*.c bench/*.c)

clean:
	rm -rf build build-san sitrep sitrep-sim

.PHONY: all deps tests check demo bench bench-sync bench-tui bench-graph keys-doc install uninstall checkstyle clean
# Keep the test objects (made by a pattern chain, so intermediate otherwise).
.SECONDARY: $(UNIT_BIN:%=%.o)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
