/* cmdline.c: command-line words (cmdline.h), parsed by hand: a typo must never read as zero. */
#include "cmdline.h"
#include "libc.h"

int cmdline_u32(const char *cmd, const char *key, uint32_t *value)
{
    size_t klen = strlen(key);
    for (const char *p = cmd; *p; p++) {
        if ((p != cmd && p[-1] != ' ') || strncmp(p, key, klen) != 0 || p[klen] != '=')
            continue;
        p += klen + 1;
        uint32_t v = 0;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            uint32_t d = (uint32_t)(*p - '0');
            if (v > (0xffffffffu - d) / 10)
                return -1;
            v = v * 10 + d;
        }
        if (!digits || (*p && *p != ' '))
            return -1;
        *value = v;
        return 1;
    }
    return 0;
}
