# vtok: build and install.   make install PREFIX=/usr/local   (DESTDIR= for staging, e.g. packaging)
#   PREFIX/bin/vtok                          the release binary
#   PREFIX/share/vtok/models/*.safetensors   the released weights (found by vtok without --model)
#   PREFIX/lib/systemd/system/               vtok.socket, vtok.service, vtok-camera@.service
#   PREFIX/share/doc/vtok/                   README and docs
#   PREFIX/share/man/man1/vtok.1             the man page, generated from the --help text (scripts/manpage.py)
#   PREFIX/share/bash-completion/completions/vtok, share/zsh/site-functions/_vtok,
#   PREFIX/share/fish/vendor_completions.d/vtok.fish   shell completions (swift-argument-parser's generator)
# The units name /usr/local in the repository; installing rewrites it to PREFIX.

PREFIX  ?= /usr/local
DESTDIR ?=
SWIFT   ?= swift
SCRATCH ?= .build
# The binary to install; `make install-files BIN=...` installs one built elsewhere, skipping the build.
BIN     ?= $(SCRATCH)/release/vtok
# Compiled for this CPU's vector unit (scripts/swift-cpu-flags.sh); a package for other machines:
# make install VTOK_TARGET_CPU=generic
CPU_FLAGS ?= $(shell VTOK_TARGET_CPU=$(VTOK_TARGET_CPU) scripts/swift-cpu-flags.sh)

BINDIR   = $(DESTDIR)$(PREFIX)/bin
MODELDIR = $(DESTDIR)$(PREFIX)/share/vtok/models
UNITDIR  = $(DESTDIR)$(PREFIX)/lib/systemd/system
DOCDIR   = $(DESTDIR)$(PREFIX)/share/doc/vtok
MANDIR   = $(DESTDIR)$(PREFIX)/share/man/man1
BASHDIR  = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR   = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR  = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
UNITS    = systemd/vtok.socket systemd/vtok.service systemd/vtok-camera@.service

.PHONY: all build install install-files uninstall verify-units

all: build

build:
	$(SWIFT) build -c release $(CPU_FLAGS) --product vtok --scratch-path $(SCRATCH)

install: build install-files

install-files:
	install -d $(BINDIR) $(MODELDIR) $(UNITDIR) $(DOCDIR) $(MANDIR) $(BASHDIR) $(ZSHDIR) $(FISHDIR)
	install -m 0755 $(BIN) $(BINDIR)/vtok
	for f in models/*.safetensors; do [ -e "$$f" ] && install -m 0644 "$$f" $(MODELDIR)/ || true; done
	for u in $(UNITS); do \
		sed 's#/usr/local/#$(PREFIX)/#g' "$$u" > $(UNITDIR)/$$(basename "$$u") && chmod 0644 $(UNITDIR)/$$(basename "$$u"); \
	done
	for d in README.md docs/*.md models/*.md; do [ -e "$$d" ] && install -m 0644 "$$d" $(DOCDIR)/ || true; done
	$(BIN) --experimental-dump-help | python3 scripts/manpage.py > $(MANDIR)/vtok.1 && chmod 0644 $(MANDIR)/vtok.1
	$(BIN) --generate-completion-script bash > $(BASHDIR)/vtok
	$(BIN) --generate-completion-script zsh > $(ZSHDIR)/_vtok
	$(BIN) --generate-completion-script fish > $(FISHDIR)/vtok.fish
	chmod 0644 $(BASHDIR)/vtok $(ZSHDIR)/_vtok $(FISHDIR)/vtok.fish

uninstall:
	rm -f $(BINDIR)/vtok $(MODELDIR)/*.safetensors
	for u in $(UNITS); do rm -f $(UNITDIR)/$$(basename "$$u"); done
	rm -rf $(DOCDIR)
	rm -f $(MANDIR)/vtok.1 $(BASHDIR)/vtok $(ZSHDIR)/_vtok $(FISHDIR)/vtok.fish

# Installs the units (with a stub binary) to a temporary prefix and runs systemd-analyze verify on them.
verify-units:
	@tmp=$$(mktemp -d) && printf '#!/bin/sh\n' > $$tmp/stub && chmod +x $$tmp/stub && \
	$(MAKE) -s install-files PREFIX=$$tmp BIN=$$tmp/stub >/dev/null && \
	cd $$tmp/lib/systemd/system && out=$$(systemd-analyze verify vtok.socket vtok.service vtok-camera@video0.service 2>&1); \
	rc=$$?; rm -rf $$tmp; [ -z "$$out" ] && [ $$rc -eq 0 ] || { echo "$$out"; exit 1; }; \
	echo "units verify cleanly"
