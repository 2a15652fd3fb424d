/* The oracle's worker: runs test vectors natively on this CPU, one per signal round trip.
 * A signal handler on an alternate stack loads each test into the saved ucontext (registers,
 * RFLAGS, XMM/MXCSR via the FXSAVE image, CS 0x23 for compatibility mode) and returns with
 * rt_sigreturn; the test ends in the same handler (int3 sentinel, single-step #DB, a fault, a
 * seccomp SIGSYS for a syscall). Intel SDM vol. 3 ch. 6 (exceptions), 17.3 (single-step).
 * Invariants: nothing but the code page and the window is mapped below 1 TiB; every syscall made
 * below 4 GiB traps; the handler never touches TLS before it has restored the FS base. */
#define _GNU_SOURCE
#include "machine.h"
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef UC_STRICT_RESTORE_SS
#define UC_STRICT_RESTORE_SS 0x4
#endif
#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u
#endif
#define HWCAP2_FSGSBASE_BIT (1u << 1)
#define TIMER_TICKS_LIMIT 3          /* a test running for 3 ticks of 20 ms of CPU time is a hang */

/* Our register order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15) to glibc's gregs indices. */
static const int GREG[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
                              REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
                              REG_R14, REG_R15 };

static struct shared *SH;
static int64_t cur = -1;             /* test in progress, -1 before the first */
static unsigned ticks;
/* Every test runs until two runs in a row give the same result (at most MAX_RUNS runs): the kernel
 * can disturb a test. Measured on this AMD EPYC (family 1Ah, a virtual machine) under Linux: when the
 * thread is switched out between x87 instructions, the FPU context comes back with FIP, FOP and
 * FDP/FDS zeroed, which a later FNSAVE in the test records (34 of 36 switches in a loop of FLDT m80;
 * busy loop; FNSAVE, under load). The guest's switch counters miss some of these (switches of the
 * virtual CPU on the host are invisible), so a disturbed run is outvoted rather than detected. */
#define MAX_RUNS 6
static unsigned runs;                /* finished runs of the current test */
static struct vresult prev_result;   /* the previous run's result, and its memw runs */
static uint32_t prev_memw_len;
static uint8_t prev_memw[2 * (CODE_SIZE + WIN_SIZE) * 4];
static uint64_t tls_base;
static int have_fsgsbase;
static uint8_t shadow_code[CODE_SIZE], shadow_win[WIN_SIZE];
static uint8_t *const code_page = (uint8_t *)(uintptr_t)CODE_BASE;
static uint8_t *const window = (uint8_t *)(uintptr_t)WIN_BASE;
static uint8_t altstack[256 << 10] __attribute__((aligned(64)));

/* Tracing: Linux enters a compatibility-mode SYSCALL through its 32-bit fast path, which replaces
 * EIP with the vDSO landing pad (and loads EBP from [ESP]) before seccomp sees it. Such a test is
 * re-run with TF set, keeping the state before each instruction, so the syscall event can be
 * reported with the state the CPU had at the syscall instruction. */
static int tracing;
static greg_t pre_g[NGREG];
static uint8_t pre_xmm[16][16];
static uint32_t pre_mxcsr;
static uint8_t pre_code[CODE_SIZE], pre_win[WIN_SIZE];

static inline long rsys(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return r;
}

static void __attribute__((noreturn)) setup_fail(const char *what) {
  snprintf(SH->setup_msg, sizeof SH->setup_msg, "%s", what);
  SH->setup_error = 1;
  _exit(10);
}

static inline void fs_load(uint16_t sel, uint64_t base, int set_base) {
  __asm__ volatile("movw %w0, %%fs" : : "r"(sel));
  if (!set_base) return;
  if (have_fsgsbase) __asm__ volatile("wrfsbase %0" : : "r"(base));
  else rsys(SYS_arch_prctl, ARCH_SET_FS, (long)base, 0);
}

/* The segment registers a test starts with (64-bit handler code ignores DS/ES/GS). */
static inline void load_test_segments(int mode) {
  uint16_t ds = SEL_USER_DS;
  __asm__ volatile("movw %w0, %%ds; movw %w0, %%es" : : "r"(ds));
  if (mode == 32) {
    uint16_t gs = SEL_LDT_GS;
    __asm__ volatile("movw %w0, %%gs" : : "r"(gs));
    fs_load(SEL_USER_DS, 0, 0);                  /* flat: base 0 from the descriptor */
  } else {
    uint16_t z = 0;
    __asm__ volatile("movw %w0, %%gs" : : "r"(z));
    if (have_fsgsbase) __asm__ volatile("wrgsbase %0" : : "r"((uint64_t)0));
    else rsys(SYS_arch_prctl, ARCH_SET_GS, 0, 0);
    fs_load(0, 0, 1);
  }
}

static struct _libc_fpstate *fp_of(ucontext_t *uc) { return uc->uc_mcontext.fpregs; }

/* Records the changed byte runs of one region into the result arena. */
static void diff_region(const uint8_t *now, const uint8_t *was, uint32_t size, uint32_t base,
                        struct vresult *r) {
  uint32_t i = 0;
  while (i < size) {
    uint64_t a, b;
    if (i + 8 <= size) {
      memcpy(&a, now + i, 8); memcpy(&b, was + i, 8);
      if (a == b) { i += 8; continue; }
    }
    if (now[i] == was[i]) { i++; continue; }
    uint32_t start = i;
    while (i < size && now[i] != was[i]) i++;
    uint32_t len = i - start, off = SH->rused;
    uint8_t *dst = SH->rarena + off;
    uint32_t addr = base + start;
    memcpy(dst, &addr, 4); memcpy(dst + 4, &len, 4);
    memcpy(dst + 8, now + start, len);
    SH->rused = off + ((8 + len + 3) & ~3u);
    r->nmemw++;
  }
}

static uint32_t prefix_len(const uint8_t *c, uint32_t avail) {
  uint32_t i = 0;
  while (i < avail && i < 14) {
    switch (c[i]) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3: i++; continue;
    }
    break;
  }
  return i;
}

/* The syscall event from the state kept before the syscall instruction (tracing). RIP is
 * reported after the instruction (prefixes + 2 opcode bytes), as for int 0x80. */
static void record_syscall_from_pre(int sig) {
  struct vresult *r = &SH->results[cur];
  memset(r, 0, sizeof *r);
  for (int i = 0; i < 16; i++) r->gpr[i] = (uint64_t)pre_g[GREG[i]];
  uint64_t rip = (uint64_t)pre_g[REG_RIP];
  uint32_t off = (uint32_t)(rip - CODE_BASE);
  r->rip = rip + prefix_len(pre_code + off, CODE_SIZE - off) + 2;
  r->rflags = (uint64_t)pre_g[REG_EFL] & ~(uint64_t)(RFLAGS_TF | RFLAGS_RF);
  r->signo = (uint8_t)sig;
  r->mxcsr = pre_mxcsr;
  memcpy(r->xmm, pre_xmm, sizeof r->xmm);
  r->memw_off = SH->rused;
  diff_region(pre_code, shadow_code, CODE_SIZE, CODE_BASE, r);
  diff_region(pre_win, shadow_win, WIN_SIZE, WIN_BASE, r);
  r->status = VS_DONE;
  r->kind = VK_SYSCALL;
}

static void keep_pre(ucontext_t *uc) {
  memcpy(pre_g, uc->uc_mcontext.gregs, sizeof pre_g);
  struct _libc_fpstate *fp = fp_of(uc);
  if (fp) { pre_mxcsr = fp->mxcsr; memcpy(pre_xmm, fp->_xmm, sizeof pre_xmm); }
  memcpy(pre_code, code_page, CODE_SIZE);
  memcpy(pre_win, window, WIN_SIZE);
}

static void record(int sig, siginfo_t *si, ucontext_t *uc, int timeout) {
  const struct vtest *t = &SH->tests[cur];
  struct vresult *r = &SH->results[cur];
  greg_t *g = uc->uc_mcontext.gregs;
  memset(r, 0, sizeof *r);
  for (int i = 0; i < 16; i++) r->gpr[i] = (uint64_t)g[GREG[i]];
  r->rip = (uint64_t)g[REG_RIP];
  r->rflags = (uint64_t)g[REG_EFL] & ~(uint64_t)(RFLAGS_TF | RFLAGS_RF);
  r->signo = (uint8_t)sig;
  struct _libc_fpstate *fp = fp_of(uc);
  if (fp) { r->mxcsr = fp->mxcsr; memcpy(r->xmm, fp->_xmm, sizeof r->xmm); }
  r->memw_off = SH->rused;
  diff_region(code_page, shadow_code, CODE_SIZE, CODE_BASE, r);
  diff_region(window, shadow_win, WIN_SIZE, WIN_BASE, r);
  r->status = timeout ? VS_TIMEOUT : VS_DONE;
  if (timeout) return;
  uint64_t trapno = (uint64_t)g[REG_TRAPNO];
  if (sig == SIGSYS) {
    r->kind = si->si_code == 1 /* SYS_SECCOMP */ ? VK_SYSCALL : VK_EXC;
    return;
  }
  /* The sentinel: an int3 reached at an instruction boundary past the code. Single-stepped, the one
   * instruction starts at CODE_BASE, so an int3 trap there is that instruction (e.g. "66" + the
   * first 0xCC = a prefixed int3), unless there is no code at all. */
  if (sig == SIGTRAP && trapno == 3 && (!t->step || t->code_len == 0)) {
    uint64_t at = r->rip - 1;
    if (at >= CODE_BASE + t->code_len && at < CODE_BASE + CODE_SIZE &&
        code_page[at - CODE_BASE] == 0xcc) {
      r->kind = VK_STOP; r->rip = at;
      return;
    }
  }
  if (sig == SIGTRAP && trapno == 1 && t->step) {
    const uint8_t *c = SH->arena + t->code_off;
    uint32_t p = prefix_len(c, t->code_len);
    if (!(p < t->code_len && c[p] == 0xf1)) { r->kind = VK_STOP; return; }   /* else INT1 */
  }
  r->kind = VK_EXC;
  r->vec = (uint8_t)trapno;
  switch (trapno) {
  case 8: case 10: case 11: case 12: case 13: case 14: case 17: case 21:
    r->err = (uint64_t)g[REG_ERR]; break;
  default: r->err = 0;
  }
  r->cr2 = trapno == 14 ? (uint64_t)g[REG_CR2] : 0;
}

/* True when this run's result equals the previous run's (or the runs are used up); otherwise keeps
 * it as the new previous run and drops its memw runs from the result arena. */
static int confirmed(const struct vresult *r) {
  const uint8_t *memw = SH->rarena + r->memw_off;
  uint32_t len = SH->rused - r->memw_off;
  if (runs > 0 && len == prev_memw_len && memcmp(r, &prev_result, sizeof *r) == 0 &&
      memcmp(memw, prev_memw, len) == 0)
    return 1;
  if (++runs >= MAX_RUNS) return 1;
  prev_result = *r;
  prev_memw_len = len;
  memcpy(prev_memw, memw, len);
  SH->rused = r->memw_off;
  return 0;
}

static void load(ucontext_t *uc, const struct vtest *t, int trace) {
  /* memory: code then sentinel bytes; window was left zeroed by the previous test */
  memcpy(code_page, SH->arena + t->code_off, t->code_len);
  memset(code_page + t->code_len, 0xcc, CODE_SIZE - t->code_len);
  memcpy(shadow_code, code_page, CODE_SIZE);
  const uint8_t *m = SH->arena + t->mem_off;
  for (uint32_t k = 0; k < t->nmem; k++) {
    uint32_t addr, len;
    memcpy(&addr, m, 4); memcpy(&len, m + 4, 4);
    memcpy(window + (addr - WIN_BASE), m + 8, len);
    memcpy(shadow_win + (addr - WIN_BASE), m + 8, len);
    m += (8 + len + 3) & ~3u;
  }
  greg_t *g = uc->uc_mcontext.gregs;
  for (int i = 0; i < 16; i++) g[GREG[i]] = (greg_t)t->gpr[i];
  g[REG_RIP] = CODE_BASE;
  g[REG_EFL] = (greg_t)((t->rflags | 0x202) | (t->step ? RFLAGS_TF : 0));
  uint64_t cs = t->mode == 32 ? SEL_USER32_CS : SEL_USER64_CS;
  g[REG_CSGSFS] = (greg_t)(cs | ((uint64_t)SEL_USER_DS << 48));
  uc->uc_flags |= UC_STRICT_RESTORE_SS;
  struct _libc_fpstate *fp = fp_of(uc);
  if (fp) {
    uint32_t mask = fp->mxcr_mask;
    memset(fp, 0, offsetof(struct _libc_fpstate, _xmm));
    fp->mxcr_mask = mask;
    fp->cwd = 0x37f;                                 /* FNINIT state */
    fp->mxcsr = t->mxcsr;
    memcpy(fp->_xmm, t->xmm, sizeof fp->_xmm);
    const uint32_t *sw = (const uint32_t *)((const uint8_t *)fp + 464);
    if (sw[0] == FP_XSTATE_MAGIC1) {                 /* XSAVE frame: header at 512 */
      uint64_t *xstate_bv = (uint64_t *)((uint8_t *)fp + 512);
      *xstate_bv = (*xstate_bv & ~(uint64_t)0xe4) | 3;   /* x87+SSE loaded; AVX/AVX-512 to init */
    }
  }
  if (trace) {
    g[REG_EFL] |= RFLAGS_TF;
    keep_pre(uc);
  }
}

__attribute__((used, visibility("hidden"))) void handler_c(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  uint16_t test_fs;
  __asm__ volatile("movw %%fs, %w0" : "=r"(test_fs));
  fs_load(0, tls_base, 1);
  if (cur < 0 && sig != SIGUSR1) goto resume;        /* a timer tick before the first test */
  if (cur >= 0) {
    const struct vtest *t = &SH->tests[cur];
    uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
    /* Only the kernel's 32-bit syscall landing pad puts a mode-32 test above 4 GiB. */
    int landed = t->mode == 32 && (rip >> 32) != 0;
    if (sig == SIGSYS && si->si_code == 1 && (rip < CODE_BASE || rip > CODE_BASE + CODE_SIZE)) landed = 1;
    if (sig == SIGVTALRM) {
      if (tracing || ++ticks < TIMER_TICKS_LIMIT) goto resume;
      record(sig, si, uc, 1);
    } else if (landed && !tracing) {
      tracing = 1;
      memset(window, 0, WIN_SIZE);
      memset(shadow_win, 0, WIN_SIZE);
      load(uc, t, 1);
      load_test_segments(t->mode);
      return;
    } else if (landed) {
      record_syscall_from_pre(sig);
    } else if (tracing && sig == SIGTRAP && uc->uc_mcontext.gregs[REG_TRAPNO] == 1 && !t->step) {
      keep_pre(uc);
      goto resume;
    } else {
      record(sig, si, uc, 0);
      if (!tracing && !confirmed(&SH->results[cur])) {   /* run it again from the start */
        memset(window, 0, WIN_SIZE);
        memset(shadow_win, 0, WIN_SIZE);
        ticks = 0;
        load(uc, t, 0);
        load_test_segments(t->mode);
        return;
      }
    }
    __atomic_store_n(&SH->next, (uint32_t)cur + 1, __ATOMIC_RELEASE);
    memset(window, 0, WIN_SIZE);
    memset(shadow_win, 0, WIN_SIZE);
  }
  cur = SH->next;
  if ((uint32_t)cur >= SH->end) rsys(SYS_exit_group, 0, 0, 0);
  if (SH->rused > RARENA_SIZE - 2 * (CODE_SIZE + WIN_SIZE) * 4) rsys(SYS_exit_group, 3, 0, 0);
  ticks = 0;
  tracing = 0;
  runs = 0;
  load(uc, &SH->tests[cur], 0);
  load_test_segments(SH->tests[cur].mode);
  return;
resume:
  if (cur >= 0 && SH->tests[cur].mode == 64 && test_fs == 0) fs_load(0, 0, 1);
  else fs_load(test_fs, 0, 0);
}

/* Entry from the kernel: clear AC, NT and ID (a test may have set them; the kernel keeps them
 * for the handler) before any C code runs, then continue in C. */
extern void handler_entry(int, siginfo_t *, void *);
__asm__(".text\n"
        ".type handler_entry,@function\n"
        "handler_entry:\n"
        "  pushfq\n"
        "  andq $~0x244000, (%rsp)\n"
        "  popfq\n"
        "  jmp handler_c\n"
        ".size handler_entry, .-handler_entry\n");

/* Checks that nothing but our two regions lies below 1 TiB (a PIE binary, its libraries and the stack
 * are near 2^47): mode-64 vectors form addresses below 1 TiB, in the kernel half or non-canonical. */
static void check_low_memory(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  if (!f) setup_fail("cannot read /proc/self/maps");
  char line[512];
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
    if (lo >= 1ul << 40) continue;
    int ours = (lo == CODE_BASE && hi == CODE_BASE + CODE_SIZE) ||
               (lo == WIN_BASE && hi == WIN_BASE + WIN_SIZE);
    if (!ours) {
      char msg[600];
      snprintf(msg, sizeof msg, "something else is mapped below 1 TiB: %.200s", line);
      setup_fail(msg);
    }
  }
  fclose(f);
}

static void install_seccomp(void) {
  /* Trap (SIGSYS) every 32-bit syscall (int 0x80, compat SYSCALL: the worker makes none) and every
   * syscall whose instruction pointer is below 4 GiB: only test code runs there. */
  struct sock_filter prog[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = { sizeof prog / sizeof prog[0], prog };
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) setup_fail("prctl(PR_SET_NO_NEW_PRIVS) refused");
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0)) setup_fail("seccomp filter refused");
}

void worker_main(struct shared *sh) {
  SH = sh;
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  struct rlimit nocore = { 0, 0 };
  setrlimit(RLIMIT_CORE, &nocore);
  void *c = mmap((void *)(uintptr_t)CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  void *w = mmap((void *)(uintptr_t)WIN_BASE, WIN_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (c != (void *)(uintptr_t)CODE_BASE || w != (void *)(uintptr_t)WIN_BASE)
    setup_fail("cannot map the code page at 0x10000000 and the window at 0x20000000");
  check_low_memory();
  struct user_desc ud = {
    .entry_number = SEL_LDT_GS >> 3, .base_addr = WIN_BASE, .limit = 0xffff, .seg_32bit = 1,
    .contents = 0, .read_exec_only = 0, .limit_in_pages = 0, .seg_not_present = 0, .useable = 1,
  };
  if (syscall(SYS_modify_ldt, 0x11, &ud, sizeof ud) != 0)
    setup_fail("modify_ldt refused: the kernel lacks CONFIG_MODIFY_LDT_SYSCALL or forbids it");
  if (syscall(SYS_arch_prctl, ARCH_GET_FS, &tls_base) != 0) setup_fail("arch_prctl(ARCH_GET_FS) failed");
  have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE_BIT) != 0;
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
  if (sigaltstack(&ss, NULL)) setup_fail("sigaltstack failed");
  static const int sigs[] = { SIGTRAP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGVTALRM, SIGUSR1 };
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler_entry;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaddset(&sa.sa_mask, sigs[i]);
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (sigaction(sigs[i], &sa, NULL)) setup_fail("sigaction failed");
  struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
  if (setitimer(ITIMER_VIRTUAL, &it, NULL)) setup_fail("setitimer failed");
  install_seccomp();
  kill(getpid(), SIGUSR1);
  setup_fail("the first test did not start");   /* not reached: the handler exits the process */
}
