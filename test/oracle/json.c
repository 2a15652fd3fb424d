/* A small JSON reader (RFC 8259): recursive descent over one line, nodes from a caller's pool.
 * Invariants: every node's text/len span covers exactly its value in the input; depth is bounded
 * (JSON_MAX_DEPTH) so a hostile line cannot exhaust the stack. */
#include "json.h"
#include <stdio.h>
#include <string.h>

#define JSON_MAX_DEPTH 32

struct jp {
  const char *s, *p;
  struct jval *pool; size_t cap, used;
  char *err; size_t errcap;
  int failed;
};

static void fail(struct jp *j, const char *why) {
  if (j->failed) return;
  j->failed = 1;
  snprintf(j->err, j->errcap, "%s at column %zu", why, (size_t)(j->p - j->s) + 1);
}

static void ws(struct jp *j) {
  while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r') j->p++;
}

static struct jval *node(struct jp *j) {
  if (j->used >= j->cap) { fail(j, "too many JSON values on one line"); return NULL; }
  struct jval *v = &j->pool[j->used++];
  memset(v, 0, sizeof *v);
  return v;
}

static int hexd(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Scans a string starting at the opening quote; leaves p after the closing quote. */
static int scan_string(struct jp *j) {
  if (*j->p != '"') { fail(j, "expected '\"'"); return 0; }
  j->p++;
  for (;;) {
    unsigned char c = (unsigned char)*j->p;
    if (c == 0) { fail(j, "unterminated string"); return 0; }
    if (c < 0x20) { fail(j, "control character in string"); return 0; }
    if (c == '"') { j->p++; return 1; }
    if (c == '\\') {
      j->p++;
      char e = *j->p;
      if (e == 'u') {
        for (int i = 1; i <= 4; i++)
          if (!hexd(j->p[i])) { fail(j, "bad \\u escape"); return 0; }
        j->p += 5;
        continue;
      }
      if (!strchr("\"\\/bfnrt", e) || e == 0) { fail(j, "bad escape in string"); return 0; }
    }
    j->p++;
  }
}

static struct jval *value(struct jp *j, int depth);

static struct jval *container(struct jp *j, int depth, int obj) {
  struct jval *v = node(j);
  if (!v) return NULL;
  v->type = obj ? J_OBJ : J_ARR;
  v->text = j->p;
  j->p++; /* { or [ */
  ws(j);
  struct jval **tail = &v->child;
  char close = obj ? '}' : ']';
  if (*j->p == close) { j->p++; v->len = (size_t)(j->p - v->text); return v; }
  for (;;) {
    const char *key = NULL; size_t keylen = 0;
    if (obj) {
      const char *k0 = j->p;
      if (!scan_string(j)) return NULL;
      key = k0 + 1; keylen = (size_t)(j->p - k0) - 2;
      ws(j);
      if (*j->p != ':') { fail(j, "expected ':' after member name"); return NULL; }
      j->p++;
      ws(j);
    }
    struct jval *m = value(j, depth + 1);
    if (!m) return NULL;
    m->key = key; m->keylen = keylen;
    *tail = m; tail = &m->next;
    ws(j);
    if (*j->p == ',') { j->p++; ws(j); continue; }
    if (*j->p == close) { j->p++; break; }
    fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    return NULL;
  }
  v->len = (size_t)(j->p - v->text);
  return v;
}

static struct jval *value(struct jp *j, int depth) {
  if (depth > JSON_MAX_DEPTH) { fail(j, "JSON nested too deeply"); return NULL; }
  ws(j);
  char c = *j->p;
  if (c == '{' || c == '[') return container(j, depth, c == '{');
  struct jval *v = node(j);
  if (!v) return NULL;
  v->text = j->p;
  if (c == '"') {
    if (!scan_string(j)) return NULL;
    v->type = J_STR;
  } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4)) {
    v->type = c == 't' ? J_BOOL : J_NULL; j->p += 4;
  } else if (!strncmp(j->p, "false", 5)) {
    v->type = J_BOOL; j->p += 5;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    v->type = J_NUM;
    if (*j->p == '-') j->p++;
    if (!(*j->p >= '0' && *j->p <= '9')) { fail(j, "bad number"); return NULL; }
    while (*j->p >= '0' && *j->p <= '9') j->p++;
    if (*j->p == '.') { j->p++; if (!(*j->p >= '0' && *j->p <= '9')) { fail(j, "bad number"); return NULL; }
      while (*j->p >= '0' && *j->p <= '9') j->p++; }
    if (*j->p == 'e' || *j->p == 'E') {
      j->p++;
      if (*j->p == '+' || *j->p == '-') j->p++;
      if (!(*j->p >= '0' && *j->p <= '9')) { fail(j, "bad number"); return NULL; }
      while (*j->p >= '0' && *j->p <= '9') j->p++;
    }
  } else {
    fail(j, c ? "unexpected character" : "unexpected end of line");
    return NULL;
  }
  v->len = (size_t)(j->p - v->text);
  return v;
}

struct jval *json_parse(const char *text, struct jval *pool, size_t cap, char *err, size_t errcap) {
  struct jp j = { text, text, pool, cap, 0, err, errcap, 0 };
  struct jval *root = value(&j, 0);
  if (!root) return NULL;
  ws(&j);
  if (*j.p) { fail(&j, "text after the JSON value"); return NULL; }
  return root;
}

const struct jval *json_get(const struct jval *o, const char *name) {
  if (!o || o->type != J_OBJ) return NULL;
  size_t n = strlen(name);
  for (const struct jval *m = o->child; m; m = m->next)
    if (m->keylen == n && !memcmp(m->key, name, n)) return m;
  return NULL;
}

int json_str_plain(const struct jval *v, const char **s, size_t *n) {
  if (!v || v->type != J_STR) return 0;
  *s = v->text + 1;
  *n = v->len - 2;
  return memchr(*s, '\\', *n) == NULL;
}
