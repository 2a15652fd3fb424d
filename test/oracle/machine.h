/* The oracle's test machine (docs/test-vectors.md, /work/shared/test-vectors.md): the fixed
 * addresses, the selectors a test runs with, and the records the supervisor and its worker process
 * exchange through shared memory. One batch = tests[0..n) written by the supervisor; the worker
 * fills results[i] in order and publishes progress in `next`, so a crash pinpoints its test. */
#ifndef ORACLE_MACHINE_H
#define ORACLE_MACHINE_H
#include <stdint.h>

#define CODE_BASE  0x10000000u   /* code page: code, then 0xCC to the end of the page (RWX) */
#define CODE_SIZE  0x1000u
#define WIN_BASE   0x20000000u   /* data window: zero-filled, then init.mem (RW) */
#define WIN_SIZE   0x2000u
#define RSP_DEFAULT 0x20001000u

/* Selectors (Linux x86-64 GDT; the LDT holds one entry built by the worker with modify_ldt). */
#define SEL_USER32_CS 0x23       /* compatibility-mode code, mode 32 */
#define SEL_USER_DS   0x2b       /* flat data: DS, ES, SS (and FS in mode 32) */
#define SEL_USER64_CS 0x33       /* long-mode code, mode 64 */
#define SEL_LDT_GS    0x07       /* LDT entry 0, RPL 3: base WIN_BASE, limit 0xffff, 32-bit RW data */

#define RFLAGS_TF 0x100u
#define RFLAGS_RF 0x10000u

#define BATCH_MAX   4096
#define ARENA_SIZE  (64u << 20)  /* bytes for test inputs (code, mem runs) per batch */
#define RARENA_SIZE (64u << 20)  /* bytes for memw runs per batch */

enum vstatus { VS_PENDING = 0, VS_DONE, VS_DIED, VS_TIMEOUT };
enum vkind { VK_STOP = 0, VK_EXC, VK_SYSCALL };

struct vtest {
  uint8_t mode, step;
  uint16_t code_len;
  uint32_t code_off;            /* into the test arena */
  uint32_t mem_off, nmem;       /* runs: {u32 addr, u32 len, bytes[len]} padded to 4 */
  uint64_t gpr[16];             /* rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
  uint64_t rflags;
  uint32_t mxcsr;
  uint8_t xmm[16][16];          /* little-endian bytes */
};

struct vresult {
  uint8_t status, kind, vec;
  uint8_t signo;
  uint64_t err, cr2;
  uint64_t gpr[16], rip, rflags;
  uint32_t mxcsr;
  uint8_t xmm[16][16];
  uint32_t memw_off, nmemw;     /* runs in the result arena, same layout as mem runs */
};

struct shared {
  volatile uint32_t next;       /* index of the test the worker is on (or will start) */
  uint32_t end;                 /* one past the last test of the batch */
  volatile uint32_t rused;      /* bytes used in the result arena */
  volatile int32_t setup_error; /* nonzero: the worker could not build the machine */
  char setup_msg[256];
  struct vtest tests[BATCH_MAX];
  struct vresult results[BATCH_MAX];
  uint8_t arena[ARENA_SIZE];
  uint8_t rarena[RARENA_SIZE];
};

/* worker.c: runs sh->tests[sh->next .. sh->end) in this (forked) process; never returns. */
void worker_main(struct shared *sh) __attribute__((noreturn));
#endif
