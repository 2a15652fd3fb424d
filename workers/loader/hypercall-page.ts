// The hypercall page Xen writes for a PV kernel that names one (XEN_ELFNOTE_HYPERCALL_PAGE;
// xen-pv-abi.md 2.1): 128 stubs of 32 bytes, stub n at n * 32, the rest of each slot int3 (0xcc),
// as Xen fills the page with int3 before writing stubs. PV64 stubs issue `syscall`, PV32 stubs
// `int $0x82`; stub 23 (iret) does not return: it pushes the registers Xen pops and traps.

export const HYPERCALL_STUBS = 128;
export const HYPERCALL_STUB_SIZE = 32;
export const HYPERVISOR_IRET = 23;
const HYPERCALL_VECTOR = 0x82;

function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** The bytes of stub `n` for the guest type. */
export function hypercallStub(guestType: 'pv32' | 'pv64', n: number): number[] {
  if (guestType === 'pv64') {
    if (n === HYPERVISOR_IRET) {
      // push %rcx; push %r11; push %rax; mov $23,%eax; syscall
      return [0x51, 0x41, 0x53, 0x50, 0xb8, ...le32(n), 0x0f, 0x05];
    }
    // push %rcx; push %r11; mov $n,%eax; syscall; pop %r11; pop %rcx; ret
    return [0x51, 0x41, 0x53, 0xb8, ...le32(n), 0x0f, 0x05, 0x41, 0x5b, 0x59, 0xc3];
  }
  if (n === HYPERVISOR_IRET) {
    // push %eax; mov $23,%eax; int $0x82
    return [0x50, 0xb8, ...le32(n), 0xcd, HYPERCALL_VECTOR];
  }
  // mov $n,%eax; int $0x82; ret
  return [0xb8, ...le32(n), 0xcd, HYPERCALL_VECTOR, 0xc3];
}

/** Fills a 4096-byte page with the stubs. */
export function writeHypercallPage(page: Uint8Array, guestType: 'pv32' | 'pv64'): void {
  page.fill(0xcc, 0, HYPERCALL_STUBS * HYPERCALL_STUB_SIZE);
  for (let n = 0; n < HYPERCALL_STUBS; n++) page.set(hypercallStub(guestType, n), n * HYPERCALL_STUB_SIZE);
}
