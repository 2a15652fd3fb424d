/* A small JSON reader for the oracle's input lines (RFC 8259 syntax, one value per line).
 * It builds a tree of spans into the caller's text: nothing is copied, so a member can be echoed
 * exactly as it was read. Strings keep their raw (still escaped) text; the vector format only puts
 * hex digits and names in strings, and json_str_plain() rejects escapes where they would matter. */
#ifndef ORACLE_JSON_H
#define ORACLE_JSON_H
#include <stddef.h>
#include <stdint.h>

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
  enum jtype type;
  const char *text; size_t len;     /* the whole value as written (strings include the quotes) */
  const char *key; size_t keylen;   /* member name (raw, without quotes) when inside an object */
  struct jval *child, *next;        /* first element/member, next sibling */
};

/* Parses `text` (NUL-terminated) into nodes taken from pool[0..cap). Returns the root, or NULL with
 * a one-line reason in err (at most errcap bytes) naming the column. */
struct jval *json_parse(const char *text, struct jval *pool, size_t cap, char *err, size_t errcap);
/* Member `name` of object o, or NULL. */
const struct jval *json_get(const struct jval *o, const char *name);
/* The contents of a string value without its quotes; returns 0 if v is not a string or holds escapes. */
int json_str_plain(const struct jval *v, const char **s, size_t *n);
#endif
