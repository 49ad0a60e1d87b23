# vtok: build and install.   make install PREFIX=/usr/local   (DESTDIR= for staging, e.g. packaging)
#   PREFIX/bin/vtok                          the release binary
#   PREFIX/share/vtok/models/*.safetensors   the released weights (found by vtok without --model)
#   PREFIX/lib/systemd/system/               vtok.socket, vtok.service, vtok-camera@.service
#   PREFIX/share/doc/vtok/                   README and docs
# The units name /usr/local in the repository; installing rewrites it to PREFIX.

PREFIX  ?= /usr/local
DESTDIR ?=
SWIFT   ?= swift
SCRATCH ?= .build
# The binary to install; `make install-files BIN=...` installs one built elsewhere, skipping the build.
BIN     ?= $(SCRATCH)/release/vtok

BINDIR   = $(DESTDIR)$(PREFIX)/bin
MODELDIR = $(DESTDIR)$(PREFIX)/share/vtok/models
UNITDIR  = $(DESTDIR)$(PREFIX)/lib/systemd/system
DOCDIR   = $(DESTDIR)$(PREFIX)/share/doc/vtok
UNITS    = systemd/vtok.socket systemd/vtok.service systemd/vtok-camera@.service

.PHONY: all build install install-files uninstall verify-units

all: build

build:
	$(SWIFT) build -c release --product vtok --scratch-path $(SCRATCH)

install: build install-files

install-files:
	install -d $(BINDIR) $(MODELDIR) $(UNITDIR) $(DOCDIR)
	install -m 0755 $(BIN) $(BINDIR)/vtok
	for f in models/*.safetensors; do [ -e "$$f" ] && install -m 0644 "$$f" $(MODELDIR)/ || true; done
	for u in $(UNITS); do \
		sed 's#/usr/local/#$(PREFIX)/#g' "$$u" > $(UNITDIR)/$$(basename "$$u") && chmod 0644 $(UNITDIR)/$$(basename "$$u"); \
	done
	for d in README.md docs/*.md models/*.md; do [ -e "$$d" ] && install -m 0644 "$$d" $(DOCDIR)/ || true; done

uninstall:
	rm -f $(BINDIR)/vtok $(MODELDIR)/*.safetensors
	for u in $(UNITS); do rm -f $(UNITDIR)/$$(basename "$$u"); done
	rm -rf $(DOCDIR)

# Installs the units (with a stub binary) to a temporary prefix and runs systemd-analyze verify on them.
verify-units:
	@tmp=$$(mktemp -d) && printf '#!/bin/sh\n' > $$tmp/stub && chmod +x $$tmp/stub && \
	$(MAKE) -s install-files PREFIX=$$tmp BIN=$$tmp/stub >/dev/null && \
	cd $$tmp/lib/systemd/system && out=$$(systemd-analyze verify vtok.socket vtok.service vtok-camera@video0.service 2>&1); \
	rc=$$?; rm -rf $$tmp; [ -z "$$out" ] && [ $$rc -eq 0 ] || { echo "$$out"; exit 1; }; \
	echo "units verify cleanly"
