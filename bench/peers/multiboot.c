/* multiboot.c: the integer workload (guests/bench/workload.c) as a bare 32-bit kernel for v86 and
 * QEMU. Reads "iters=<n>" and "warmup=<n>" (default WORKLOAD_PERIOD) from the multiboot command
 * line (Multiboot 0.6.96 §3.3, info flags bit 2), writes to COM1 (a 16550 at 0x3F8: wait for THR
 * empty, LSR bit 5, then write THR), runs the untimed warm-up passes (so the emulators' JIT and
 * translation caches reach their steady state), then marks the timed region with the lines
 * "@begin" (written just before the workload) and "@end" (just after), which the host
 * timestamps. Then the same result lines as the PV guest, and an exit through QEMU's
 * isa-debug-exit device at port 0x501 (ignored by v86), then hlt forever.
 */
#include <stdint.h>
#include "libc.h"
#include "workload.h"

#define COM1            0x3f8
#define DEBUG_EXIT_PORT 0x501
#define MB_BOOT_MAGIC   0x2BADB002u
#define MBI_CMDLINE     (1u << 2)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper, boot_device;
    uint32_t cmdline;
};

void mb_main(uint32_t magic, const struct multiboot_info *mbi);

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile ("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile ("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* The console of format.c's printf: COM1. A UART that never empties costs a bounded wait. */
void console_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (int spin = 0; spin < 100000 && !(inb(COM1 + 5) & 0x20); spin++)
            ;
        outb(COM1, (uint8_t)s[i]);
    }
}

static __attribute__((noreturn)) void finish(uint32_t ops, uint32_t result, const char *failure)
{
    printf("bench int: ops %u result 0x%08x\n", (unsigned int)ops, (unsigned int)result);
    if (failure)
        printf("Bench result: FAILURE: %s\n", failure);
    else
        printf("Bench result: SUCCESS\n");
    /* QEMU exits with status (value << 1) | 1: 1 on success, 3 on failure. */
    __asm__ volatile ("outw %0, %1" : : "a"((uint16_t)(failure ? 1 : 0)), "Nd"((uint16_t)DEBUG_EXIT_PORT));
    for (;;)
        __asm__ volatile ("cli; hlt");
}

/* The value of "<key>=<n>" anywhere in the command line (QEMU puts the kernel's file name first):
 * 1 with *out set, 0 if malformed; absent keeps *out as it is. */
static int parse_param(const char *cmd, const char *key, uint32_t *out)
{
    size_t klen = strlen(key);
    for (const char *p = cmd; *p; p++) {
        if ((p != cmd && p[-1] != ' ') || strncmp(p, key, klen) != 0 || p[klen] != '=')
            continue;
        uint32_t v = 0;
        int digits = 0;
        for (p += klen + 1; *p >= '0' && *p <= '9'; p++, digits++) {
            uint32_t d = (uint32_t)(*p - '0');
            if (v > (0xffffffffu - d) / 10)
                return 0;
            v = v * 10 + d;
        }
        if (!digits || (*p && *p != ' '))
            return 0;
        *out = v;
        return 1;
    }
    return 1;
}

void mb_main(uint32_t magic, const struct multiboot_info *mbi)
{
    outb(COM1 + 1, 0x00);           /* no UART interrupts */
    outb(COM1 + 3, 0x03);           /* 8N1 */
    printf("xenwasm bench int (multiboot)\n");
    if (magic != MB_BOOT_MAGIC)
        finish(0, 0, "not started by a multiboot loader (EAX is not 0x2BADB002)");
    const char *cmd = mbi->flags & MBI_CMDLINE ? (const char *)(uintptr_t)mbi->cmdline : "";
    uint32_t n = 0, warmup = WORKLOAD_PERIOD;
    if (!parse_param(cmd, "iters", &n) || !parse_param(cmd, "warmup", &warmup))
        finish(0, 0, "bad command line: want iters=<whole number> [warmup=<whole number>]");
    workload_run(warmup, WORKLOAD_SEED);    /* warm-up (JIT, translation cache), untimed */
    console_write("@begin\n", 7);
    uint32_t h = workload_run(n, WORKLOAD_SEED);
    console_write("@end\n", 5);
    finish(n, h, 0);
}
