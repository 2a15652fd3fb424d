// What an opcode the interpreter does not implement does: the domain ends (EXIT_CRASH) with the
// message `unimplemented opcode 0F 3A at 0x<rip>` naming the prefix-free opcode bytes (escape
// bytes, opcode, and the ModRM byte where it selects the instruction), re-read from the code bytes
// so the hot path records nothing. Invariant: RIP stays on the instruction; no fault is raised.
import { EXIT_CRASH } from '../layout';
import { setExitMessage, requestStop, stopRequested } from '../exit';
import { ipStart, jumpTo, mode64, csBase } from './decode';
import { read8 } from '../mmu/access';
import { faulted, clearFault } from './fault';

const HEX = '0123456789ABCDEF';

@inline function isPrefixByte(b: u32): bool {
  return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 ||
    b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || (mode64 && (b & 0xf0) == 0x40);
}

/** Ends the domain naming the `count` opcode bytes after the prefixes. */
export function unimplemented(count: u32): void {
  if (!stopRequested) {
    const base = mode64 ? ipStart : csBase + ipStart;
    let i: u64 = 0;
    let b = read8(base);
    while (!faulted() && i < 14 && isPrefixByte(b)) {
      i++;
      b = read8(base + i);
    }
    let bytes = '';
    for (let k: u32 = 0; k < count && !faulted(); k++) {
      if (k > 0) bytes += ' ';
      bytes += HEX.charAt(<i32>(b >> 4)) + HEX.charAt(<i32>(b & 15));
      b = read8(base + i + <u64>k + 1);
    }
    if (faulted()) clearFault(); // the bytes were fetched once already; a re-read cannot add a fault
    setExitMessage('unimplemented opcode ' + bytes + ' at 0x' + ipStart.toString(16));
    requestStop(EXIT_CRASH, 0);
  }
  jumpTo(ipStart);
}
