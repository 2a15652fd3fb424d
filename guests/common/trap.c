/* trap.c: the C side of trap.h: the handler table, set_trap_table and callback_op registration
 * (xen-pv-abi.md §2.3), stack_switch, and the default handler that turns an unexpected trap into
 * a FAILURE result with the frame printed. trap_dispatch is called by the assembly stubs with
 * events in whatever state the trap_info / callback flags asked Xen to leave them.
 */
#include "hypercall.h"
#include "libc.h"
#include "shared.h"
#include "test.h"
#include "trap.h"

/* Stubs from trap-pv32.S / trap-pv64.S. */
#define STUB(n) extern char trap_stub_##n[];
STUB(0) STUB(1) STUB(2) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7) STUB(8) STUB(9)
STUB(10) STUB(11) STUB(12) STUB(13) STUB(14) STUB(15) STUB(16) STUB(17) STUB(18) STUB(19)
STUB(0x80) STUB(0x81) STUB(0x82) STUB(event)
#if defined(__x86_64__)
STUB(syscall)
#endif
#undef STUB

static char *const exception_stubs[TRAP_NR_EXCEPTIONS] = {
    trap_stub_0, trap_stub_1, trap_stub_2, trap_stub_3, trap_stub_4, trap_stub_5, trap_stub_6,
    trap_stub_7, trap_stub_8, trap_stub_9, trap_stub_10, trap_stub_11, trap_stub_12,
    trap_stub_13, trap_stub_14, trap_stub_15, trap_stub_16, trap_stub_17, trap_stub_18,
    trap_stub_19,
};

static trap_handler_t handlers[TRAP_VEC_COUNT];

static const char *const names[TRAP_NR_EXCEPTIONS] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM",
};

const char *trap_name(unsigned int vector)
{
    if (vector < TRAP_NR_EXCEPTIONS)
        return names[vector];
    switch (vector) {
    case 0x80: return "int $0x80";
    case 0x81: return "int $0x81";
    case 0x82: return "int $0x82";
    case TRAP_VEC_EVENT: return "event upcall";
    case TRAP_VEC_SYSCALL: return "syscall callback";
    default: return "vector ?";
    }
}

static char *stub_for(unsigned int vector)
{
    if (vector < TRAP_NR_EXCEPTIONS)
        return exception_stubs[vector];
    switch (vector) {
    case 0x80: return trap_stub_0x80;
    case 0x81: return trap_stub_0x81;
    case 0x82: return trap_stub_0x82;
    default: return 0;
    }
}

void trap_dump(const struct trap_regs *r)
{
    printf("trap: %s (vector 0x%lx) error 0x%lx\n", trap_name((unsigned int)r->vector),
           (unsigned long)r->vector, (unsigned long)r->error_code);
    printf("  ip 0x%lx cs 0x%x (saved mask %u) flags 0x%lx\n", (unsigned long)r->ip,
           TRAP_SAVED_CS(r), TRAP_SAVED_MASK(r), (unsigned long)r->flags);
    if (TRAP_FROM_USER(r) || sizeof(long) == 8)
        printf("  sp 0x%lx ss 0x%lx\n", (unsigned long)r->sp, (unsigned long)r->ss);
    printf("  ax 0x%lx bx 0x%lx cx 0x%lx dx 0x%lx si 0x%lx di 0x%lx bp 0x%lx\n",
           (unsigned long)r->ax, (unsigned long)r->bx, (unsigned long)r->cx,
           (unsigned long)r->dx, (unsigned long)r->si, (unsigned long)r->di,
           (unsigned long)r->bp);
    if (r->vector == TRAP_page_fault && xen_vcpu)
        printf("  cr2 0x%lx\n", (unsigned long)xen_vcpu->cr2);
}

void trap_unexpected(struct trap_regs *r)
{
    trap_dump(r);
    if (r->vector == TRAP_page_fault && xen_vcpu)
        test_abort("unexpected %s at ip 0x%lx (error 0x%lx, cr2 0x%lx)",
                   trap_name((unsigned int)r->vector), (unsigned long)r->ip,
                   (unsigned long)r->error_code, (unsigned long)xen_vcpu->cr2);
    test_abort("unexpected %s at ip 0x%lx (error 0x%lx)", trap_name((unsigned int)r->vector),
               (unsigned long)r->ip, (unsigned long)r->error_code);
}

/* Called by trap_common with the saved registers. */
void trap_dispatch(struct trap_regs *r);
void trap_dispatch(struct trap_regs *r)
{
    trap_handler_t h = r->vector < TRAP_VEC_COUNT ? handlers[r->vector] : 0;
    if (!h)
        trap_unexpected(r);
    h(r);
}

long trap_init(void)
{
    trap_info_t table[TRAP_NR_EXCEPTIONS + 1];
    memset(table, 0, sizeof table);
    for (unsigned int v = 0; v < TRAP_NR_EXCEPTIONS; v++) {
        handlers[v] = trap_unexpected;
        table[v].vector = (uint8_t)v;
        /* int3/into from any ring, as on native x86; the rest only as exceptions. */
        table[v].flags = (v == TRAP_int3 || v == TRAP_overflow) ? 3 : 0;
        table[v].cs = GUEST_KERNEL_CS;
        table[v].address = (unsigned long)exception_stubs[v];
    }
    /* table[TRAP_NR_EXCEPTIONS].address == 0 ends the list. */
    return HYPERVISOR_set_trap_table(table);
}

long trap_register(unsigned int vector, unsigned int ti_flags, trap_handler_t h)
{
    char *stub = stub_for(vector);
    if (!stub)
        return -XEN_EINVAL;
    handlers[vector] = h;
    trap_info_t table[2];
    memset(table, 0, sizeof table);
    table[0].vector = (uint8_t)vector;
    table[0].flags = (uint8_t)ti_flags;
    table[0].cs = GUEST_KERNEL_CS;
    table[0].address = (unsigned long)stub;
    return HYPERVISOR_set_trap_table(table);
}

static long register_callback(unsigned int type, unsigned int flags, const char *stub)
{
    struct callback_register cb;
    memset(&cb, 0, sizeof cb);
    cb.type = (uint16_t)type;
    cb.flags = (uint16_t)flags;
#if defined(__x86_64__)
    cb.address = (unsigned long)stub;
#else
    cb.cs = GUEST_KERNEL_CS;
    cb.eip = (unsigned long)stub;
#endif
    return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

long trap_set_event_callback(trap_handler_t h)
{
    handlers[TRAP_VEC_EVENT] = h;
    /* Xen masks events for every event delivery; the flag is passed as Linux does. */
    return register_callback(CALLBACKTYPE_event, CALLBACKF_mask_events, trap_stub_event);
}

#if defined(__x86_64__)
long trap_set_syscall_callback(trap_handler_t h, int mask_events)
{
    handlers[TRAP_VEC_SYSCALL] = h;
    return register_callback(CALLBACKTYPE_syscall, mask_events ? CALLBACKF_mask_events : 0,
                             trap_stub_syscall);
}
#endif

long trap_set_kernel_stack(void *top)
{
    return HYPERVISOR_stack_switch(GUEST_KERNEL_SS, (unsigned long)top);
}
