/* workload.c: the integer workload (workload.h). One pass does what ordinary system code does a
 * lot of: quicksort of key/value records with a binary search afterwards, words hashed (FNV-1a)
 * into a chained hash table and looked up again, strings reversed, numbers printed and parsed, a
 * binary search tree built and walked with an explicit stack, a stack-machine bytecode program
 * interpreted (a switch over opcodes), gcd, integer square root and a bitwise CRC-32.
 * Only 32-bit integer operations (no 64-bit division, so no libgcc on i686) and no library calls:
 * every loop is written out (gcc is told not to turn loops into memset/memcpy), and the result
 * depends only on the data, never on addresses. Each pass starts from fresh data (the PRNG
 * reseeded, tables cleared), so passes are independent apart from the running checksum.
 */
#include "workload.h"

typedef uint32_t u32;

/* ---- a small PRNG (xorshift32) and the checksum step ------------------------------------------ */
static u32 rng;

static u32 rnd(void)
{
    u32 x = rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng = x;
    return x;
}

static u32 mix(u32 h, u32 v)
{
    h ^= v;
    h *= 0x01000193u;
    return h ^ (h >> 15);
}

/* ---- 1. records: quicksort (median of three, insertion sort below 12), then binary search ---- */
struct record {
    u32 key;
    u32 value;
};

#define NREC 256
static struct record recs[NREC];

static void insertion_sort(struct record *a, int n)
{
    for (int i = 1; i < n; i++) {
        struct record r = a[i];
        int j = i - 1;
        while (j >= 0 && a[j].key > r.key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = r;
    }
}

static void swap_rec(struct record *a, struct record *b)
{
    struct record t = *a;
    *a = *b;
    *b = t;
}

static void quick_sort(struct record *a, int n)
{
    while (n > 12) {
        int mid = n / 2;
        if (a[mid].key < a[0].key)
            swap_rec(&a[mid], &a[0]);
        if (a[n - 1].key < a[0].key)
            swap_rec(&a[n - 1], &a[0]);
        if (a[n - 1].key < a[mid].key)
            swap_rec(&a[n - 1], &a[mid]);
        u32 pivot = a[mid].key;
        int i = 0, j = n - 1;
        for (;;) {
            while (a[i].key < pivot)
                i++;
            while (a[j].key > pivot)
                j--;
            if (i >= j)
                break;
            swap_rec(&a[i], &a[j]);
            i++;
            j--;
        }
        /* Recurse into the smaller side, loop on the larger one. */
        int left = j + 1;
        if (left < n - left) {
            quick_sort(a, left);
            a += left;
            n -= left;
        } else {
            quick_sort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static int find_key(const struct record *a, int n, u32 key)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        if (a[mid].key == key)
            return mid;
        if (a[mid].key < key)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static u32 pass_sort(u32 h)
{
    for (int i = 0; i < NREC; i++) {
        recs[i].key = rnd() & 0xffff;
        recs[i].value = (u32)i;
    }
    quick_sort(recs, NREC);
    u32 disorder = 0;
    for (int i = 1; i < NREC; i++)
        disorder += recs[i - 1].key > recs[i].key;
    h = mix(h, disorder);
    for (int i = 0; i < NREC; i += 16)
        h = mix(h, recs[i].key ^ (recs[i].value << 16));
    for (int i = 0; i < 32; i++) {
        u32 key = i & 1 ? recs[(i * 37) % NREC].key : rnd() & 0xffff;
        h = mix(h, (u32)(find_key(recs, NREC, key) >= 0));
    }
    return h;
}

/* ---- 2. words: FNV-1a into a chained hash table, lookups, reversal, decimal text ------------- */
#define NWORDS   96
#define NBUCKETS 64

struct hnode {
    const char *text;
    u32 len;
    u32 count;
    struct hnode *next;
};

static char words[NWORDS * 8];
static u32 word_start[NWORDS], word_len[NWORDS];
static struct hnode nodes[NWORDS];
static struct hnode *buckets[NBUCKETS];
static u32 words_used;                   /* bytes of words[] this pass wrote */

static u32 fnv1a(const char *s, u32 n)
{
    u32 h = 0x811c9dc5u;
    for (u32 i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x01000193u;
    }
    return h;
}

static int same_text(const char *a, u32 alen, const char *b, u32 blen)
{
    if (alen != blen)
        return 0;
    for (u32 i = 0; i < alen; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static struct hnode *lookup(const char *s, u32 len)
{
    for (struct hnode *n = buckets[fnv1a(s, len) & (NBUCKETS - 1)]; n; n = n->next)
        if (same_text(n->text, n->len, s, len))
            return n;
    return 0;
}

static u32 to_decimal(u32 v, char *out)
{
    char tmp[12];
    u32 n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (u32 i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static u32 from_decimal(const char *s, u32 n)
{
    u32 v = 0;
    for (u32 i = 0; i < n; i++)
        v = v * 10 + (u32)(s[i] - '0');
    return v;
}

static u32 pass_words(u32 h)
{
    u32 pos = 0, used = 0;
    for (int b = 0; b < NBUCKETS; b++)
        buckets[b] = 0;
    for (int w = 0; w < NWORDS; w++) {
        u32 len = 2 + rnd() % 4;
        word_start[w] = pos;
        word_len[w] = len;
        for (u32 i = 0; i < len; i++)
            words[pos++] = (char)('a' + rnd() % 5);
        struct hnode *n = lookup(&words[word_start[w]], len);
        if (n) {
            n->count++;
        } else {
            n = &nodes[used++];
            n->text = &words[word_start[w]];
            n->len = len;
            n->count = 1;
            u32 b = fnv1a(n->text, len) & (NBUCKETS - 1);
            n->next = buckets[b];
            buckets[b] = n;
        }
    }
    words_used = pos;
    h = mix(h, used);
    /* Look every word up reversed (a palindrome or another word, or nothing). */
    char rev[8];
    for (int w = 0; w < NWORDS; w++) {
        const char *s = &words[word_start[w]];
        u32 len = word_len[w];
        for (u32 i = 0; i < len; i++)
            rev[i] = s[len - 1 - i];
        struct hnode *n = lookup(rev, len);
        h = mix(h, n ? n->count : 0);
    }
    /* Chain lengths: the shape of the table. */
    for (int b = 0; b < NBUCKETS; b++) {
        u32 depth = 0;
        for (struct hnode *n = buckets[b]; n; n = n->next)
            depth++;
        h = mix(h, depth);
    }
    /* Numbers to text and back. */
    char digits[12];
    for (int i = 0; i < 32; i++) {
        u32 v = rnd() >> (i & 15);
        u32 n = to_decimal(v, digits);
        h = mix(h, n + (from_decimal(digits, n) == v ? 0 : 0x80000000u));
    }
    return h;
}

/* ---- 3. a binary search tree, walked in order with an explicit stack ------------------------- */
#define NTREE 128

struct tnode {
    u32 key;
    struct tnode *left, *right;
};

static struct tnode tnodes[NTREE];

static u32 pass_tree(u32 h)
{
    struct tnode *root = 0;
    u32 used = 0, depth_sum = 0;
    for (int i = 0; i < NTREE; i++) {
        u32 key = rnd() & 0xfff;
        struct tnode **link = &root;
        u32 depth = 0;
        while (*link && (*link)->key != key) {
            link = key < (*link)->key ? &(*link)->left : &(*link)->right;
            depth++;
        }
        depth_sum += depth;
        if (!*link) {
            struct tnode *n = &tnodes[used++];
            n->key = key;
            n->left = n->right = 0;
            *link = n;
        }
    }
    h = mix(h, used ^ (depth_sum << 8));
    struct tnode *stack[NTREE];
    int sp = 0;
    u32 prev = 0, ordered = 1;
    struct tnode *n = root;
    while (n || sp) {
        while (n) {
            stack[sp++] = n;
            n = n->left;
        }
        n = stack[--sp];
        ordered &= n->key >= prev;
        prev = n->key;
        h = mix(h, n->key);
        n = n->right;
    }
    return mix(h, ordered);
}

/* ---- 4. a stack-machine bytecode interpreter ------------------------------------------------- */
enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_SHR, OP_AND, OP_DUP,
       OP_JNZ, OP_HALT };

/* locals: 0 = counter, 1 = a, 2 = b, 3 = acc. Computes a Fibonacci-like recurrence mixed into
 * acc, counter times. */
static const unsigned char program[] = {
    /* 0 */ OP_LOAD, 1, OP_LOAD, 2, OP_ADD, OP_DUP, OP_LOAD, 3, OP_XOR, OP_PUSH, 3, OP_MUL,
    /* 12 */ OP_STORE, 3, OP_LOAD, 2, OP_STORE, 1, OP_PUSH, 255, OP_AND, OP_STORE, 2,
    /* 23 */ OP_LOAD, 3, OP_PUSH, 7, OP_SHR, OP_LOAD, 3, OP_ADD, OP_STORE, 3,
    /* 33 */ OP_LOAD, 0, OP_PUSH, 1, OP_SUB, OP_DUP, OP_STORE, 0, OP_JNZ, 0,
    /* 43 */ OP_HALT,
};

static u32 interpret(u32 counter, u32 a, u32 b)
{
    u32 locals[4] = { counter, a, b, 0 };
    u32 stack[16];
    int sp = 0;
    u32 pc = 0;
    for (;;) {
        unsigned char op = program[pc++];
        switch (op) {
        case OP_PUSH:  stack[sp++] = program[pc++]; break;
        case OP_LOAD:  stack[sp++] = locals[program[pc++] & 3]; break;
        case OP_STORE: locals[program[pc++] & 3] = stack[--sp]; break;
        case OP_ADD:   sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB:   sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL:   sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_XOR:   sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHR:   sp--; stack[sp - 1] >>= stack[sp] & 31; break;
        case OP_AND:   sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_DUP:   stack[sp] = stack[sp - 1]; sp++; break;
        case OP_JNZ: {
            u32 target = program[pc++];
            if (stack[--sp])
                pc = target;
            break;
        }
        default:
            return locals[3];
        }
    }
}

static u32 pass_interpreter(u32 h)
{
    for (int i = 0; i < 4; i++)
        h = mix(h, interpret(64 + (rnd() & 63), rnd(), rnd() & 0xff));
    return h;
}

/* ---- 5. arithmetic: gcd, integer square root, CRC-32 ----------------------------------------- */
static u32 gcd(u32 a, u32 b)
{
    while (b) {
        u32 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static u32 isqrt(u32 v)
{
    u32 root = 0, bit = 1u << 30;
    while (bit > v)
        bit >>= 2;
    while (bit) {
        if (v >= root + bit) {
            v -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return root;
}

static u32 crc32(const char *p, u32 n)
{
    u32 crc = 0xffffffffu;
    for (u32 i = 0; i < n; i++) {
        crc ^= (unsigned char)p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static u32 pass_arith(u32 h)
{
    for (int i = 0; i < 24; i++) {
        u32 a = rnd() | 1, b = rnd() >> 8;
        h = mix(h, gcd(a, b));
        h = mix(h, isqrt(a));
    }
    return mix(h, crc32(words, words_used));
}

/* ---- the pass and the run --------------------------------------------------------------------- */
uint32_t workload_run(uint32_t iterations, uint32_t seed)
{
    u32 h = 0x9e3779b9u;
    for (u32 it = 0; it < iterations; it++) {
        rng = (seed ^ ((it % WORKLOAD_PERIOD) * 0x9e3779b9u)) | 1;   /* xorshift must not start at 0 */
        h = pass_sort(h);
        h = pass_words(h);
        h = pass_tree(h);
        h = pass_interpreter(h);
        h = pass_arith(h);
    }
    return h;
}
