// CPU features the interpreter implements and that CPUID may therefore advertise. The lead's
// xen/cpuid.ts builds the guest's CPUID leaves from these (advertise exactly what is implemented,
// linux-guest.md). Where an instruction's behaviour depends on a feature bit, the interpreter reads
// the same constant, so CPUID and behaviour cannot disagree.

/** BMI1 TZCNT and ABM LZCNT (F3 0F BC / F3 0F BD). When false they execute as BSF / BSR, exactly like
 *  a CPU without BMI1/ABM (glibc relies on that). CPUID.7.0:EBX.BMI1[3], CPUID.80000001:ECX.ABM[5].
 *  On, as on the reference CPU of the test vectors (which has BMI1 and ABM). */
export const FEATURE_LZCNT_TZCNT: bool = true;
/** The rest of BMI1: ANDN BEXTR BLSI BLSMSK BLSR (VEX, cpu/vex.ts). Advertise BMI1 only with both on. */
export const FEATURE_BMI1: bool = true;
/** POPCNT (F3 0F B8). CPUID.1:ECX.POPCNT[23]. */
export const FEATURE_POPCNT: bool = true;
/** CLAC/STAC (SMAP, CPUID.7.0:EBX[20]). When false both are #UD. */
export const FEATURE_SMAP: bool = false;
/** RDTSCP (CPUID.80000001:EDX[27]). */
export const FEATURE_RDTSCP: bool = true;
/** CMPXCHG16B (CPUID.1:ECX[13]). */
export const FEATURE_CX16: bool = true;
/** FXSAVE/FXRSTOR (CPUID.1:EDX[24]), SSE/SSE2 state (CPUID.1:EDX[25,26]). */
export const FEATURE_FXSR: bool = true;
/** MXCSR bits FXSAVE reports as writable (MXCSR_MASK): 0xFFFF includes DAZ (bit 6). */
export const MXCSR_MASK: u32 = 0xffff;
