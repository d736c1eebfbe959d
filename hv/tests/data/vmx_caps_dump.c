/*
 * vmx_caps_dump.efi: prints this CPU's VMX capability MSRs on COM1, one
 * "vmxcap <msr> <value>" line each, then ends Bochs. It is how the values in
 * hv/tests/data/vmx_caps_bochs.h were captured (not part of any build):
 *
 *   gcc -I/usr/include/efi -I/usr/include/efi/x86_64 -fpic -ffreestanding \
 *       -fno-stack-protector -fshort-wchar -mno-red-zone -mgeneral-regs-only \
 *       -DGNU_EFI_USE_MS_ABI -O2 -c hv/tests/data/vmx_caps_dump.c -o d.o
 *   ld -nostdlib -shared -Bsymbolic -znocombreloc -T linker.ld \
 *       /usr/lib/crt0-efi-x86_64.o d.o -o d.so -L/usr/lib -lgnuefi -lefi
 *   objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
 *       -j .rel -j .rela -j .reloc --target efi-app-x86_64 --subsystem=10 d.so d.efi
 *   mkdir -p esp/EFI/BOOT && cp d.efi esp/EFI/BOOT/BOOTX64.EFI && \
 *       bash tools/mkdisk.sh d.img esp
 *   tools/run.sh --engine bochs --cpus 1 --cpu-model MODEL --disk d.img \
 *       --stop-on 'vmxcap end'
 *
 * Only MSRs the SDM says exist are read (Appendix A): the TRUE_* ones when
 * IA32_VMX_BASIC[55] is 1, PROCBASED_CTLS2 when secondary controls may be 1,
 * EPT_VPID_CAP when EPT or VPID may be 1, VMFUNC when VM functions may be 1;
 * the others are printed as 0, which is what the tests assume for them.
 */
#include <efi.h>
#include <efilib.h>

static void outb(unsigned short port, unsigned char v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static unsigned char inb(unsigned short port)
{
    unsigned char v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc_com1(char c)
{
    while (!(inb(0x3FD) & 0x20)) /* transmit holding register empty */
        ;
    outb(0x3F8, (unsigned char)c);
}

static void puts_com1(const char *s)
{
    while (*s)
        putc_com1(*s++);
}

static void put_hex(UINT64 v)
{
    puts_com1("0x");
    for (int shift = 60; shift >= 0; shift -= 4)
        putc_com1("0123456789abcdef"[(v >> shift) & 0xF]);
}

static UINT64 rdmsr(UINT32 msr)
{
    UINT32 lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((UINT64)hi << 32) | lo;
}

static void line(UINT32 msr, UINT64 value)
{
    puts_com1("vmxcap ");
    put_hex(msr);
    puts_com1(" ");
    put_hex(value);
    puts_com1("\r\n");
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
    UINT32 a = 1, b, c, d;
    (void)image;
    (void)st;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d) : "c"(0));
    if (!(c & (1u << 5))) {
        puts_com1("vmxcap none (CPUID.1:ECX.VMX is 0)\r\n");
    } else {
        UINT64 basic = rdmsr(0x480), proc = rdmsr(0x482), proc2 = 0;
        for (UINT32 msr = 0x480; msr <= 0x48A; msr++)
            line(msr, rdmsr(msr));
        if (proc >> 63)
            proc2 = rdmsr(0x48B);
        line(0x48B, proc2);
        line(0x48C, (proc2 >> 32) & ((1u << 1) | (1u << 5)) ? rdmsr(0x48C) : 0);
        for (UINT32 msr = 0x48D; msr <= 0x490; msr++)
            line(msr, (basic >> 55) & 1 ? rdmsr(msr) : 0);
        line(0x491, (proc2 >> 32) & (1u << 13) ? rdmsr(0x491) : 0);
    }
    puts_com1("vmxcap end\r\n");
    for (const char *p = "Shutdown"; *p; p++) /* Bochs' shutdown port */
        outb(0x8900, (unsigned char)*p);
    for (;;)
        __asm__ volatile("hlt");
}
