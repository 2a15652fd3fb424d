/* probe.c: guarded single instructions (probe.h). Each probe stores the addresses of its
 * instruction and of the instruction after it into probe_start / probe_resume, runs it, and
 * disarms; the encodings are fixed in the asm text so the guarded range holds exactly one
 * instruction whatever gcc does around it.
 */
#include "probe.h"
#include "shared.h"

struct probe_fault probe_last;
static volatile unsigned int probe_faulted;
volatile unsigned long probe_start __attribute__((used)), probe_resume __attribute__((used));

#if defined(__x86_64__)
# define PROBE_ARM  "movq $1f, probe_start(%%rip)\n\tmovq $2f, probe_resume(%%rip)\n1:\t"
#else
# define PROBE_ARM  "movl $1f, probe_start\n\tmovl $2f, probe_resume\n1:\t"
#endif
#define PROBE_DONE  "\n2:"

static void disarm(void)
{
    probe_start = 0;
    probe_resume = 0;
}

static void begin(void)
{
    probe_faulted = 0;
}

static int end(void)
{
    disarm();
    return probe_faulted;
}

int probe_read(const volatile void *va, unsigned long *value)
{
    unsigned long v = 0;
    begin();
    __asm__ volatile (PROBE_ARM "mov (%1), %0" PROBE_DONE : "+r"(v) : "r"(va) : "memory");
    *value = v;
    return end();
}

int probe_write(volatile void *va, unsigned long value)
{
    begin();
    __asm__ volatile (PROBE_ARM "mov %1, (%0)" PROBE_DONE : : "r"(va), "r"(value) : "memory");
    return end();
}

int probe_cli(void)
{
    begin();
    __asm__ volatile (PROBE_ARM "cli" PROBE_DONE : : : "memory");
    return end();
}

int probe_read_cr3(unsigned long *value)
{
    unsigned long v = 0;
    begin();
    __asm__ volatile (PROBE_ARM "mov %%cr3, %0" PROBE_DONE : "+r"(v) : : "memory");
    *value = v;
    return end();
}

int probe_fixup(struct trap_regs *r)
{
    if (!probe_start || r->ip != probe_start || TRAP_FROM_USER(r))
        return 0;
    probe_last.vector = (unsigned int)r->vector;
    probe_last.error_code = (unsigned long)r->error_code;
    probe_last.cr2 = r->vector == TRAP_page_fault ? (unsigned long)xen_vcpu->cr2 : 0;
    probe_last.ip = (unsigned long)r->ip;
    probe_faulted = 1;
    r->ip = probe_resume;
    disarm();
    return 1;
}

void probe_trap(struct trap_regs *r)
{
    if (!probe_fixup(r))
        trap_unexpected(r);
}
