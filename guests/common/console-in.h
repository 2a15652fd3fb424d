/* console-in.h: keyboard input from the `in` half of the PV console ring (io/console.h,
 * xen-pv-abi.md §5.1) and a small line editor on top of it, as a terminal in cooked mode gives:
 * printable bytes are echoed, backspace (0x08 or 0x7f) erases the last one, CR or LF ends the
 * line, and ANSI escape sequences (arrow keys: ESC [ A) are skipped. The backend produces in[]
 * and advances in_prod; we consume, advance in_cons and notify it on the console event channel.
 */
#ifndef CONSOLE_IN_H
#define CONSOLE_IN_H

#include <stddef.h>

/* Takes up to max bytes that arrived, in order. Returns the count (0: nothing yet), or -1 if the
 * backend broke the ring (in_prod more than a ring's size past in_cons). Needs console_init. */
long console_read(char *buf, size_t max);

#define LINE_MAX_CHARS 200

struct line_editor {
    char text[LINE_MAX_CHARS + 1];   /* NUL-terminated once line_feed returned 1 */
    unsigned int len;
    unsigned int esc;                /* inside an escape sequence: 1 after ESC, 2 after ESC [ */
};

void line_reset(struct line_editor *e);
/* Feeds one input byte (echoing as it goes); returns 1 when it ended a line. */
int line_feed(struct line_editor *e, char c);

#endif /* CONSOLE_IN_H */
