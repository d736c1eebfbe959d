# exitvisor — build, boot and test.
#
#   make run     build, make a disk, boot it (QEMU/KVM if it can, else Bochs)
#   make test    host unit tests, fuzzing, the Bochs and QEMU TCG boots and a
#                2-vCPU Linux boot (LINUX=0 leaves Linux out)
#
# Both install missing Debian packages first (as root) via tools/deps.sh.

BUILD   ?= build
CPUS    ?= 2
ENGINE  ?= auto
TIMEOUT ?= 300
NEXT    ?=
OPTIONS ?= --poweroff
GUEST   ?=
LINUX   ?= 1
# Linux boots take longer: 600 s unless TIMEOUT is given on the command line or in the environment.
LINUX_TIMEOUT = $(if $(filter command line environment environment override,$(origin TIMEOUT)),$(TIMEOUT),600)

EFI_INC  := /usr/include/efi
EFI_LIB  := /usr/lib
CC       := gcc
LD       := ld
NASM     := nasm
OBJCOPY  := objcopy

# Freestanding UEFI code. -mgeneral-regs-only: root mode must never touch
# the guest's FPU/SSE/AVX state, which it does not save.
EFI_CFLAGS := -I$(EFI_INC) -I$(EFI_INC)/x86_64 -fpic -ffreestanding -fno-stack-protector \
	-fno-stack-check -fshort-wchar -mno-red-zone -maccumulate-outgoing-args \
	-mgeneral-regs-only -DGNU_EFI_USE_MS_ABI -DEFI_FUNCTION_WRAPPER \
	-std=gnu11 -O2 -g0 -Wall -Wextra -Werror -fno-strict-aliasing $(EXTRA_CFLAGS)
EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc -T linker.ld $(EFI_LIB)/crt0-efi-x86_64.o
EFI_LIBS := -L$(EFI_LIB) -lgnuefi -lefi
EFI_SECTIONS := -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel \
	-j .rela -j .rel.* -j .rela.* -j .reloc

# hv/ by layer: vmx/ (VMX plumbing), mem/ (EPT, page tables, guest memory),
# stats/ (counters, leaves, the ABI), guest/ (what the guest does: events,
# INIT/SIPI, MTRRs, microcode, xAPIC), platform/ (serial, log, root-mode
# exceptions), exits/ (the handlers); the dispatcher and launch at the top.
HV_LAYERS := vmx mem stats guest platform exits
HV_C   := $(wildcard hv/*.c $(HV_LAYERS:%=hv/%/*.c))
HV_ASM := $(wildcard hv/*.asm $(HV_LAYERS:%=hv/%/*.asm) boot/*.asm)
HV_H   := $(wildcard hv/*.h hv/arch/*.h $(HV_LAYERS:%=hv/%/*.h))
BOOT_C := $(wildcard boot/*.c)
HV_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(HV_C) $(BOOT_C)) $(patsubst %.asm,$(BUILD)/obj/%.o,$(HV_ASM))
PROBE_OBJ := $(BUILD)/obj/guest/probe.o $(BUILD)/obj/guest/uefi_guest.o $(BUILD)/obj/hv/stats/exit_names.o
BENCH_OBJ := $(BUILD)/obj/guest/bench.o $(BUILD)/obj/guest/uefi_guest.o
CONFORM_OBJ := $(BUILD)/obj/guest/conform.o $(BUILD)/obj/guest/uefi_guest.o $(BUILD)/obj/hv/stats/exit_names.o
CRASH_OBJ := $(BUILD)/obj/guest/crash.o

# Host-testable logic, compiled natively for the unit tests.
HOST_SRC := hv/mem/page_walk.c hv/stats/exit_stats.c hv/stats/leaves.c hv/stats/exit_names.c hv/stats/exit_possible.c hv/platform/fmt.c hv/guest/insn_decode.c boot/acpi_tables.c \
	hv/stats/stats_report.c hv/stats/timeline.c hv/stats/log_ring.c \
	hv/mem/mtrr.c hv/mem/ept_edit.c hv/mem/arena.c hv/guest/microcode.c hv/mem/identity_map.c hv/guest/apic_id.c hv/guest/machine_check.c hv/vmx/vmx_errors.c boot/next_stage.c hv/vmx/vmx_caps.c hv/tests/data/vmx_caps_models.c
HOST_TESTS := $(wildcard hv/tests/*.c)
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -pthread -I.

.PHONY: all deps run run-linux test unit-test bench report clean disk install
all: $(BUILD)/exitvisor.efi $(BUILD)/probe.efi $(BUILD)/conform.efi $(BUILD)/crash.efi

deps:
	@bash tools/deps.sh

# V=1 shows full command lines.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c $(HV_H) $(wildcard boot/*.h guest/*.h)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.asm hv/gpr.inc
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  NASM    $<")
	$(Q)$(NASM) -f elf64 -Ihv/ $< -o $@

$(BUILD)/%.so: linker.ld
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(LD) $(EFI_LDFLAGS) $(filter %.o,$^) -o $@ $(EFI_LIBS)

$(BUILD)/exitvisor.so: $(HV_OBJ)
$(BUILD)/probe.so: $(PROBE_OBJ)
$(BUILD)/bench.so: $(BENCH_OBJ)
$(BUILD)/conform.so: $(CONFORM_OBJ)
$(BUILD)/crash.so: $(CRASH_OBJ)

$(BUILD)/%.efi: $(BUILD)/%.so
	@$(if $(Q),echo "  EFI     $@")
	$(Q)$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

# ---- bad input: one line and a non-zero exit, before anything is built ----
# NEXT= must be an EFI application and OPTIONS= fit exitvisor
# (tools/check_input.py); CPUS= (and ENGINE=, TIMEOUT=) must suit exitvisor
# and the engine (tools/run.sh --check). Checked while make reads this file,
# so a bad value stops make run, make disk and make run-linux at once.
shell_quote = '$(subst ','\'',$(1))'
INPUT_GOALS := $(filter run disk run-linux $(BUILD)/disk.img,$(MAKECMDGOALS))
INPUT_WHO := $(if $(filter run,$(INPUT_GOALS)),run,$(if $(filter run-linux,$(INPUT_GOALS)),run-linux,disk))
INPUT_ERROR :=
ifneq ($(INPUT_GOALS),)
# NEXT= and OPTIONS= go on the disk: make disk, and make run unless GUEST=linux.
ifneq ($(strip $(filter disk $(BUILD)/disk.img,$(INPUT_GOALS)) $(if $(filter linux,$(GUEST)),,$(filter run,$(INPUT_GOALS)))),)
# (Without python3 yet, on a machine deps has not set up, the file checks
# are left to the boot: exitvisor names a next stage it cannot start.)
INPUT_ERROR := $(if $(shell command -v python3 2>/dev/null),$(shell python3 tools/check_input.py --who $(INPUT_WHO) --next=$(call shell_quote,$(NEXT)) \
	--options=$(call shell_quote,$(OPTIONS)) 2>&1 >/dev/null))
endif
ifneq ($(filter run run-linux,$(INPUT_GOALS)),)
INPUT_ERROR += $(if $(INPUT_ERROR),,$(shell RUN_NAMES=make bash tools/run.sh --check --engine $(call shell_quote,$(ENGINE)) \
	--cpus $(call shell_quote,$(CPUS)) --timeout $(call shell_quote,$(if $(filter run-linux,$(INPUT_GOALS))$(filter linux,$(GUEST)),$(LINUX_TIMEOUT),$(TIMEOUT))) 2>&1 >/dev/null))
endif
ifneq ($(strip $(INPUT_ERROR)),)
$(error $(strip $(INPUT_ERROR)))
endif
endif

# ---- disk image: the ESP that make run and the tests boot ----
$(BUILD)/esp/EFI/exitvisor/exitvisor.cfg: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' "# written by make: what exitvisor starts after virtualizing the machine" \
	   $(call shell_quote,next=\EFI\exitvisor\$(if $(NEXT),$(notdir $(NEXT)),probe.efi)) \
	   $(call shell_quote,options=$(OPTIONS)) > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

disk: $(BUILD)/disk.img
$(BUILD)/disk.img: $(BUILD)/exitvisor.efi $(BUILD)/probe.efi $(BUILD)/esp/EFI/exitvisor/exitvisor.cfg $(NEXT)
	@mkdir -p $(BUILD)/esp/EFI/BOOT
	cp $(BUILD)/exitvisor.efi $(BUILD)/esp/EFI/BOOT/BOOTX64.EFI
	cp $(BUILD)/probe.efi $(BUILD)/esp/EFI/exitvisor/probe.efi
	$(if $(NEXT),cp $(NEXT) $(BUILD)/esp/EFI/exitvisor/)
	bash tools/mkdisk.sh $@ $(BUILD)/esp

run: deps
	$(MAKE) --no-print-directory all
ifeq ($(GUEST),linux)
	BUILD=$(BUILD) bash tools/linux/run-linux.sh --engine $(ENGINE) --cpus $(CPUS) \
		--timeout $(LINUX_TIMEOUT) --out $(BUILD)/linux/run
else
	$(MAKE) --no-print-directory $(BUILD)/disk.img
	bash tools/run.sh --engine $(ENGINE) --cpus $(CPUS) --timeout $(TIMEOUT) \
		--disk $(BUILD)/disk.img --out $(BUILD)/run
endif

# Linux as the guest: Debian's cloud kernel (apt-get download) with a busybox
# initramfs whose /init prints guest/linux/exvprobe's exit table; logs in
# $(BUILD)/linux/run. With 2 vCPUs Linux brings both CPUs up, but the
# probe's live view does not return yet (see README.md).
run-linux: deps
	$(MAKE) --no-print-directory all
	BUILD=$(BUILD) bash tools/linux/run-linux.sh --engine $(ENGINE) --cpus $(CPUS) \
		--timeout $(LINUX_TIMEOUT) --out $(BUILD)/linux/run

# ---- tests ----
$(BUILD)/host/unit_tests: $(HOST_SRC) $(HOST_TESTS) $(HV_H) $(wildcard hv/tests/*.h boot/*.h) guest/exv_ratio.h
	@mkdir -p $(dir $@)
	gcc $(HOST_CFLAGS) $(HOST_SRC) $(HOST_TESTS) -o $@

unit-test: $(BUILD)/host/unit_tests
	$(BUILD)/host/unit_tests

test: deps
	BUILD=$(BUILD) LINUX=$(LINUX) bash tools/tests/run_all.sh

bench: deps
	BUILD=$(BUILD) bash tools/bench/run.sh

# ---- report: any run's exit table, summary and boot timeline as text, CSV, JSON and charts ----
# LOG= a serial log or a run directory holding serial.log (default: the last make run;
# e.g. LOG=$(BUILD)/linux/run, LOG=$(BUILD)/test/bochs-2cpu). Writes $(BUILD)/report/exits.{csv,json,png}
# and, when the log has a timeline, $(BUILD)/report/timeline.{png,csv} (stale ones are removed first).
LOG ?= $(BUILD)/run/serial.log
# ---- install: exitvisor in front of this machine's OS (tools/install.sh) ----
# make install ESP=/boot/efi: the next boot only goes through exitvisor
# (BootNext); PERMANENT=1 puts it first in BootOrder; UNINSTALL=1 removes it.
ESP ?= /boot/efi
install: $(BUILD)/exitvisor.efi
	sh tools/install.sh --esp "$(ESP)" --from "$(BUILD)" $(if $(filter 1,$(PERMANENT)),--permanent) $(if $(filter 1,$(UNINSTALL)),--uninstall)

report: deps
	@test -e "$(LOG)" || { echo "report: no $(LOG): boot first with make run, or name a log: make report LOG=serial.log or LOG=run-directory" >&2; exit 2; }
	@rm -f $(BUILD)/report/timeline.png $(BUILD)/report/timeline.csv
	python3 tools/report.py "$(LOG)" --csv $(BUILD)/report/exits.csv \
		--json $(BUILD)/report/exits.json --png $(BUILD)/report/exits.png \
		--timeline-png $(BUILD)/report/timeline.png --timeline-csv $(BUILD)/report/timeline.csv

clean:
	rm -rf $(BUILD)

FORCE:
.DELETE_ON_ERROR:
