// What an opcode the interpreter does not implement does: the domain ends (EXIT_CRASH) with the
// message `unimplemented opcode 0F 3A at 0x<rip>` naming the prefix-free opcode bytes seen so far
// (escape bytes, opcode, and the ModRM byte for groups that select the instruction by it).
// Invariant: RIP is left on the instruction, nothing is committed, no fault is raised.
import { EXIT_CRASH } from '../layout';
import { setExitMessage, requestStop, stopRequested } from '../exit';
import { ipStart, opcodeBytes, opcodeLen, jumpTo } from './decode';

const HEX = '0123456789ABCDEF';

export function unimplemented(): void {
  if (!stopRequested) {
    let bytes = '';
    for (let i: u32 = 0; i < opcodeLen; i++) {
      const b = (opcodeBytes >> (i * 8)) & 0xff;
      if (i > 0) bytes += ' ';
      bytes += HEX.charAt(<i32>(b >> 4)) + HEX.charAt(<i32>(b & 15));
    }
    setExitMessage('unimplemented opcode ' + bytes + ' at 0x' + ipStart.toString(16));
    requestStop(EXIT_CRASH, 0);
  }
  jumpTo(ipStart);
}
