/* privilege-lab.h: the system-call numbers shared by the privilege lab's kernel (privilege-lab.c)
 * and its user programs (privilege-user.S). Arguments: PV64 RDI, RSI (SYSCALL); PV32 EBX, ECX
 * (int $0x80); result in EAX/RAX. Included from C and assembly.
 */
#ifndef PRIVILEGE_LAB_H
#define PRIVILEGE_LAB_H

#define SYS_WRITE   1    /* (text, length): the kernel prints the text */
#define SYS_EXIT    2    /* (code): the process ends; the kernel carries on */
#define SYS_REPORT  3    /* (value): the kernel records a value the program computed */

#endif /* PRIVILEGE_LAB_H */
