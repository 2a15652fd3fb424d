/* cmdline.h: reading "key=value" words from the kernel command line (start_info.cmd_line,
 * xl.cfg `extra`, xen-pv-abi.md §1.6). Words are separated by spaces; a key matches only at the
 * start of a word.
 */
#ifndef CMDLINE_H
#define CMDLINE_H

#include <stdint.h>

/* "key=<decimal>": 1 and *value set if present and well formed (digits only, at most
 * 4294967295), 0 if absent, -1 if malformed (no digits, other characters, too large). */
int cmdline_u32(const char *cmd, const char *key, uint32_t *value);

#endif /* CMDLINE_H */
