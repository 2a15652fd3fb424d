/* The hardware oracle: reads input test vectors (JSON lines: id, mode, code, init, fmask, step) on
 * stdin and writes them back completed with what this CPU did (exc, out, memw) on stdout, in order.
 * Format: docs/test-vectors.md. A supervising process parses and prints; a forked worker
 * (worker.c) runs the tests. If the worker dies or hangs, the test it was on is written with
 * "x_skipped" and no result, and a fresh worker continues with the next one.
 * Invariants: every input line yields exactly one output line; bad input stops with one line on
 * stderr naming the input line and the cause (exit status 2). */
#define _GNU_SOURCE
#include "json.h"
#include "machine.h"
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODE_CAP 65536
#define WATCHDOG_SECONDS 2

static const char *const GPR_NAME[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                          "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
static const char *const XMM_NAME[16] = { "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                                          "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
                                          "xmm13", "xmm14", "xmm15" };
/* RFLAGS bits a test may start with: CF PF AF ZF SF DF OF AC, plus the fixed bit 1 and IF. */
#define RFLAGS_LOADABLE 0x40ed7u
#define RFLAGS_FIXED    0x202u

static struct shared *sh;
static struct jval *pool;
static char **lines;
static unsigned long *line_no;
static unsigned long input_line;
static FILE *out;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "oracle: ");
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

/* ---- input ---------------------------------------------------------------------------------- */

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "0x..." with 1..2*nbytes digits into a little-endian byte array of nbytes. */
static int parse_hexnum(const struct jval *v, uint8_t *le, unsigned nbytes) {
  const char *s; size_t n;
  if (!json_str_plain(v, &s, &n) || n < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return 0;
  s += 2; n -= 2;
  if (n > 2 * nbytes) return 0;
  memset(le, 0, nbytes);
  for (size_t i = 0; i < n; i++) {
    int d = hexval(s[n - 1 - i]);
    if (d < 0) return 0;
    le[i / 2] |= (uint8_t)(d << (4 * (i % 2)));
  }
  return 1;
}

static uint64_t need_u64(const struct jval *v, const char *what) {
  uint8_t b[8];
  if (!parse_hexnum(v, b, 8)) die("input line %lu: %s must be a hex string \"0x...\" of at most 64 bits", input_line, what);
  uint64_t x; memcpy(&x, b, 8);
  return x;
}

/* A string of hex digit pairs (no 0x) appended to the arena; returns its length in bytes. */
static uint32_t put_bytes(const struct jval *v, const char *what, uint32_t *off, uint32_t max) {
  const char *s; size_t n;
  if (!json_str_plain(v, &s, &n) || n % 2) die("input line %lu: %s must be a string of hex byte pairs", input_line, what);
  if (n / 2 > max) die("input line %lu: %s is %zu bytes, more than %u", input_line, what, n / 2, max);
  if (*off + n / 2 + 16 > ARENA_SIZE) die("input line %lu: batch arena overflow", input_line);
  uint8_t *d = sh->arena + *off;
  for (size_t i = 0; i < n; i += 2) {
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) die("input line %lu: %s holds a non-hex character", input_line, what);
    d[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  *off += (uint32_t)(n / 2);
  return (uint32_t)(n / 2);
}

static long need_int(const struct jval *v, const char *what) {
  if (!v || v->type != J_NUM) die("input line %lu: %s must be a number", input_line, what);
  char buf[32];
  size_t n = v->len < sizeof buf - 1 ? v->len : sizeof buf - 1;
  memcpy(buf, v->text, n); buf[n] = 0;
  char *end;
  long x = strtol(buf, &end, 10);
  if (*end) die("input line %lu: %s must be an integer", input_line, what);
  return x;
}

/* Fills sh->tests[i] from one input line; *off is the arena cursor. */
static void load_vector(const char *line, struct vtest *t, uint32_t *off) {
  char err[160];
  struct jval *root = json_parse(line, pool, NODE_CAP, err, sizeof err);
  if (!root) die("input line %lu: not valid JSON: %s", input_line, err);
  if (root->type != J_OBJ) die("input line %lu: a vector must be a JSON object", input_line);
  memset(t, 0, sizeof *t);
  const struct jval *id = json_get(root, "id");
  if (!id || id->type != J_STR) die("input line %lu: missing \"id\" string", input_line);
  long mode = need_int(json_get(root, "mode"), "\"mode\"");
  if (mode != 32 && mode != 64) die("input line %lu: \"mode\" must be 32 or 64, not %ld", input_line, mode);
  t->mode = (uint8_t)mode;
  const struct jval *step = json_get(root, "step");
  long st = step ? need_int(step, "\"step\"") : 0;
  if (st != 0 && st != 1) die("input line %lu: \"step\" must be 0 or 1", input_line);
  t->step = (uint8_t)st;
  const struct jval *code = json_get(root, "code");
  if (!code) die("input line %lu: missing \"code\"", input_line);
  t->code_off = *off;
  t->code_len = (uint16_t)put_bytes(code, "\"code\"", off, CODE_SIZE - 1);
  *off = (*off + 3) & ~3u;
  t->gpr[4] = RSP_DEFAULT;
  t->rflags = RFLAGS_FIXED;
  t->mxcsr = 0x1f80;
  const struct jval *init = json_get(root, "init");
  if (init && init->type != J_OBJ) die("input line %lu: \"init\" must be an object", input_line);
  for (int i = 0; i < 16; i++) {
    const struct jval *r = json_get(init, GPR_NAME[i]);
    if (r) t->gpr[i] = need_u64(r, GPR_NAME[i]);
  }
  const struct jval *fl = json_get(init, "rflags");
  if (fl) {
    uint64_t f = need_u64(fl, "init.rflags");
    if (f & ~(uint64_t)(RFLAGS_LOADABLE | RFLAGS_FIXED))
      die("input line %lu: init.rflags 0x%llx sets bits a user-mode test cannot start with "
          "(only CF PF AF ZF SF DF OF AC, bit 1 and IF)", input_line, (unsigned long long)f);
    if (!(f & 0x200)) die("input line %lu: init.rflags must have IF (0x200) set: user code runs with interrupts on", input_line);
    t->rflags = f | RFLAGS_FIXED;
  }
  const struct jval *mx = json_get(init, "mxcsr");
  if (mx) {
    uint64_t m = need_u64(mx, "init.mxcsr");
    if (m > 0xffff) die("input line %lu: init.mxcsr 0x%llx sets reserved bits", input_line, (unsigned long long)m);
    t->mxcsr = (uint32_t)m;
  }
  for (int i = 0; i < 16; i++) {
    const struct jval *x = json_get(init, XMM_NAME[i]);
    if (x && !parse_hexnum(x, t->xmm[i], 16))
      die("input line %lu: init.%s must be a hex string of at most 128 bits", input_line, XMM_NAME[i]);
  }
  const struct jval *mem = json_get(init, "mem");
  t->mem_off = *off;
  if (mem) {
    if (mem->type != J_OBJ) die("input line %lu: init.mem must be an object", input_line);
    for (const struct jval *m = mem->child; m; m = m->next) {
      char key[40];
      if (m->keylen + 3 > sizeof key) die("input line %lu: init.mem address too long", input_line);
      snprintf(key, sizeof key, "\"%.*s\"", (int)m->keylen, m->key);
      struct jval kv = { .type = J_STR, .text = key, .len = m->keylen + 2 };
      uint64_t addr = need_u64(&kv, "an init.mem address");
      uint32_t hdr = *off;
      *off += 8;
      uint32_t len = put_bytes(m, "an init.mem run", off, WIN_SIZE);
      if (addr < WIN_BASE || addr + len > WIN_BASE + WIN_SIZE)
        die("input line %lu: init.mem run at 0x%llx (%u bytes) lies outside the data window "
            "0x20000000..0x20001fff", input_line, (unsigned long long)addr, len);
      uint32_t a32 = (uint32_t)addr;
      memcpy(sh->arena + hdr, &a32, 4); memcpy(sh->arena + hdr + 4, &len, 4);
      *off = (*off + 3) & ~3u;
      t->nmem++;
    }
  }
}

/* ---- output --------------------------------------------------------------------------------- */

static void put_hex128(const uint8_t le[16]) {
  int top = 15;
  while (top > 0 && le[top] == 0) top--;
  fprintf(out, "\"0x%x", le[top]);
  for (int i = top - 1; i >= 0; i--) fprintf(out, "%02x", le[i]);
  fputc('"', out);
}

static const char *vec_name(unsigned v) {
  static const char *const n[22] = { "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "MF9",
                                     "TS", "NP", "SS", "GP", "PF", "15", "MF", "AC", "MC", "XM",
                                     "VE", "CP" };
  return v < 22 ? n[v] : "?";
}

static void print_result(unsigned i) {
  const struct vtest *t = &sh->tests[i];
  const struct vresult *r = &sh->results[i];
  char err[160];
  input_line = line_no[i];
  struct jval *root = json_parse(lines[i], pool, NODE_CAP, err, sizeof err);
  if (!root) die("input line %lu: cannot re-read: %s", input_line, err);
  int syscall_event = r->status == VS_DONE && r->kind == VK_SYSCALL;
  int first = 1;
  fputc('{', out);
  for (const struct jval *m = root->child; m; m = m->next) {
#define KEY(k) (m->keylen == sizeof(k) - 1 && !memcmp(m->key, k, sizeof(k) - 1))
    if (KEY("exc") || KEY("out") || KEY("memw") || KEY("x_skipped")) continue;
    if (KEY("x_undef") && syscall_event) continue;
#undef KEY
    fprintf(out, "%s\"%.*s\":%.*s", first ? "" : ",", (int)m->keylen, m->key, (int)m->len, m->text);
    first = 0;
  }
  if (r->status == VS_DIED || r->status == VS_TIMEOUT || r->status == VS_PENDING) {
    const char *why = r->status == VS_TIMEOUT ? "timeout: the code was still running after 60 ms of CPU time"
                    : r->status == VS_DIED ? "the worker process died on this test"
                    : "not run";
    fprintf(out, ",\"x_skipped\":\"%s", why);
    if (r->status == VS_DIED && r->signo) fprintf(out, " (signal %u)", r->signo);
    fputs("\"}\n", out);
    return;
  }
  int m32 = t->mode == 32;
  uint64_t mask = m32 ? 0xffffffffull : ~0ull;
  int ngpr = m32 ? 8 : 16;
  if (syscall_event) {
    /* SYSCALL overwrites RCX (and R11 in long mode) before the kernel sees it: not comparable. */
    fputs(",\"x_undef\":[", out);
    int k = 0;
    const struct jval *xu = json_get(root, "x_undef");
    if (xu && xu->type == J_ARR)
      for (const struct jval *e = xu->child; e; e = e->next) {
        if (e->len == 5 && (!memcmp(e->text, "\"rcx\"", 5) || !memcmp(e->text, "\"r11\"", 5))) continue;
        fprintf(out, "%s%.*s", k++ ? "," : "", (int)e->len, e->text);
      }
    fprintf(out, "%s\"rcx\"%s]", k ? "," : "", m32 ? "" : ",\"r11\"");
    fputs(",\"exc\":{\"event\":\"syscall\"}", out);
  } else if (r->kind == VK_EXC) {
    fprintf(out, ",\"exc\":{\"vec\":%u,\"err\":\"0x%llx\",\"cr2\":\"0x%llx\",\"name\":\"%s\"}", r->vec,
            (unsigned long long)(r->err & mask), (unsigned long long)(r->cr2 & mask), vec_name(r->vec));
  } else {
    fputs(",\"exc\":null", out);
  }
  fprintf(out, ",\"out\":{\"rip\":\"0x%llx\",\"rflags\":\"0x%llx\"", (unsigned long long)(r->rip & mask),
          (unsigned long long)(r->rflags & 0xffffffffull));
  for (int k = 0; k < ngpr; k++) {
    if (syscall_event && (k == 1 || k == 11)) continue;
    if ((r->gpr[k] & mask) != (t->gpr[k] & mask))
      fprintf(out, ",\"%s\":\"0x%llx\"", GPR_NAME[k], (unsigned long long)(r->gpr[k] & mask));
  }
  for (int k = 0; k < ngpr; k++)
    if (memcmp(r->xmm[k], t->xmm[k], 16)) {
      fprintf(out, ",\"%s\":", XMM_NAME[k]);
      put_hex128(r->xmm[k]);
    }
  if (r->mxcsr != t->mxcsr) fprintf(out, ",\"mxcsr\":\"0x%x\"", r->mxcsr);
  fputs("},\"memw\":{", out);
  const uint8_t *p = sh->rarena + r->memw_off;
  for (uint32_t k = 0; k < r->nmemw; k++) {
    uint32_t addr, len;
    memcpy(&addr, p, 4); memcpy(&len, p + 4, 4);
    fprintf(out, "%s\"0x%x\":\"", k ? "," : "", addr);
    for (uint32_t b = 0; b < len; b++) fprintf(out, "%02x", p[8 + b]);
    fputc('"', out);
    p += (8 + len + 3) & ~3u;
  }
  fputs("}}\n", out);
}

/* ---- supervision ---------------------------------------------------------------------------- */

static volatile sig_atomic_t alarmed;
static void on_alarm(int s) { (void)s; alarmed = 1; }

/* Runs tests [0, n) of the current batch, printing each result as soon as its worker is done. */
static void run_batch(unsigned n) {
  sh->end = n;
  sh->next = 0;
  memset(sh->results, 0, n * sizeof sh->results[0]);
  while (sh->next < n) {
    unsigned start = sh->next;
    sh->rused = 0;
    fflush(out);
    pid_t pid = fork();
    if (pid < 0) die("fork failed: %s", strerror(errno));
    if (pid == 0) worker_main(sh);
    int status = 0;
    uint32_t seen = start;
    int killed = 0;
    for (;;) {
      alarmed = 0;
      alarm(WATCHDOG_SECONDS);
      pid_t w = waitpid(pid, &status, 0);
      alarm(0);
      if (w == pid) break;
      if (w < 0 && errno != EINTR) die("waitpid failed: %s", strerror(errno));
      uint32_t now = __atomic_load_n(&sh->next, __ATOMIC_ACQUIRE);
      if (now == seen) { kill(pid, SIGKILL); killed = 1; }
      seen = now;
    }
    unsigned done = __atomic_load_n(&sh->next, __ATOMIC_ACQUIRE);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 10)
      die("the test machine could not be built: %s", sh->setup_msg);
    for (unsigned i = start; i < done; i++) print_result(i);
    if (WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3) && done > start)
      continue;
    if (done >= n) break;
    /* The worker died (or hung) on test `done`: report it skipped and go on with the next one. */
    sh->results[done].status = VS_DIED;
    sh->results[done].signo = (uint8_t)(killed ? SIGKILL : WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    print_result(done);
    sh->next = done + 1;
  }
}

int main(int argc, char **argv) {
  if (argc > 1) {
    fprintf(stderr, "usage: oracle < input.jsonl > output.jsonl\n"
                    "Reads test vectors (id, mode, code, init, fmask, step) and writes them with the\n"
                    "results of running them on this CPU (exc, out, memw). See docs/test-vectors.md.\n");
    return strcmp(argv[1], "--help") && strcmp(argv[1], "-h") ? 2 : 0;
  }
  sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pool = malloc(NODE_CAP * sizeof *pool);
  lines = calloc(BATCH_MAX, sizeof *lines);
  line_no = calloc(BATCH_MAX, sizeof *line_no);
  if (sh == MAP_FAILED || !pool || !lines || !line_no) die("out of memory");
  static char obuf[1 << 20];
  out = stdout;
  setvbuf(out, obuf, _IOFBF, sizeof obuf);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;            /* no SA_RESTART: waitpid returns EINTR */
  sigaction(SIGALRM, &sa, NULL);
  signal(SIGPIPE, SIG_DFL);
  char *buf = NULL;
  size_t cap = 0;
  unsigned long lineno = 0;
  int eof = 0;
  while (!eof) {
    unsigned n = 0;
    uint32_t off = 0;
    while (n < BATCH_MAX && off < ARENA_SIZE - (CODE_SIZE + 4 * WIN_SIZE)) {
      ssize_t len = getline(&buf, &cap, stdin);
      if (len < 0) { eof = 1; break; }
      lineno++;
      while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
      if (len == 0) continue;
      input_line = lineno;
      free(lines[n]);
      lines[n] = strdup(buf);
      line_no[n] = lineno;
      load_vector(buf, &sh->tests[n], &off);
      n++;
    }
    if (n) run_batch(n);
  }
  fflush(out);
  if (ferror(out)) die("cannot write the output: %s", strerror(errno));
  return 0;
}
