# Hand-written 64-bit forms for test/unit/disasm.test.ts (scripts/gen-disasm-vectors.ts assembles them with as).
.intel_syntax noprefix
.code64
iretq
iret
.byte 0x66, 0xcf
.byte 0x0f,0x07
sysretq
.byte 0xcb
.byte 0x48, 0xcb
.byte 0xca, 8, 0
mov rax, cr3
mov cr3, rax
mov cr0, rax
mov rax, dr7
mov dr7, rax
lgdt [rax]
lidt [rax]
sgdt [rax]
sidt [rax]
lldt ax
ltr ax
str eax
invlpg [rax]
swapgs
rdtscp
wbinvd
clts
fxsave [rax]
fxrstor [rax]
fxsave64 [rax]
ldmxcsr [rax]
stmxcsr [rax]
lfence
mfence
sfence
clflush [rax]
prefetcht0 [rax]
prefetchnta [rax]
pushf
popf
.byte 0x66, 0x9c
push 1
push -1
push 0x1234
push fs
pop fs
push gs
lea rax, [rip+0x10]
lea rax, [rip-0x10]
mov eax, [rbx*8]
mov eax, [0x1234]
mov eax, fs:[0x28]
mov rax, fs:[rax]
movabs rax, 0x1122334455667788
movabs al, [0x1122334455667788]
add rsp, -8
add eax, -1
add ax, -1
and eax, 0xfffffff0
mov rax, -1
mov eax, -1
mov al, -1
test al, 1
shl eax, 1
shl eax, 2
shl eax, cl
rol byte ptr [rax], 1
int 0x80
int3
.byte 0xce
.byte 0xf1
hlt
cli
sti
cpuid
rdtsc
rdmsr
wrmsr
xchg ax, ax
xchg rbx, rax
xchg [rdi], rax
lock cmpxchg [rdi], rsi
lock xadd [rdi], eax
xadd eax, ebx
cmpxchg8b [rdi]
cmpxchg16b [rdi]
lock inc dword ptr [rax]
lock or dword ptr [rsp], 0
rep stosq
rep movsb
repz cmpsb
repnz scasb
lodsb
stosd
movsq
.byte 0xf3, 0xc3
.byte 0xf2, 0xc3
pause
nop
nop dword ptr [rax]
nop dword ptr [rax+0]
nop dword ptr [rax+rax*1+0]
nop word ptr [rax+rax*1+0]
.byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0,0,0,0
.byte 0x66, 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0,0,0,0
movzx eax, byte ptr [rdi]
movzx eax, al
movzx rax, word ptr [rdi]
movsx rax, byte ptr [rdi]
movsxd rax, dword ptr [rdi]
movsxd rax, eax
cdqe
cqo
cdq
cwde
cbw
cwd
sete al
setne byte ptr [rax]
cmove eax, edx
cmovb rax, [rdi]
bt eax, 3
bts [rax], ecx
bsf eax, ebx
bsr rax, rbx
tzcnt eax, ebx
lzcnt eax, ebx
popcnt eax, ebx
bswap eax
bswap rax
imul eax, ebx, 10
imul eax, ebx, 1000
imul rax, rbx
imul ecx
mul rcx
div rcx
idiv dword ptr [rax]
neg eax
not eax
movaps xmm0, [rsi]
movups xmm1, [rsi]
movdqa xmm2, [rsi]
movdqu xmm3, [rsi]
movdqu [rsi], xmm3
movq xmm0, rax
movq rax, xmm0
movd xmm0, eax
movd eax, xmm0
movq xmm0, [rsi]
movq [rsi], xmm0
movq xmm1, xmm0
pxor xmm0, xmm0
xorps xmm0, xmm0
pcmpeqb xmm0, [rdi]
pmovmskb eax, xmm0
pshufd xmm0, xmm1, 0x1b
psrldq xmm0, 8
movss xmm0, [rax]
movsd xmm0, [rax]
movnti [rax], eax
movntdq [rax], xmm0
enter 0x10, 0
leave
ret 8
ret
call rax
call qword ptr [rax+8]
jmp qword ptr [rip+0x100]
jmp rax
call fs:[rax]
in al, dx
out dx, al
in al, 0x60
out 0x60, al
mov ds, eax
mov eax, ds
mov [rax], ds
sahf
lahf
cmc
clc
stc
cld
std
xlat
ud2
.byte 0x0f, 0x0b
sar rax, 63
shld eax, ebx, 3
shrd eax, ebx, cl
fninit
fld qword ptr [rax]
fstp dword ptr [rax]
fild dword ptr [rax]
fxch st(1)
faddp st(1), st
fnstcw [rax]
fldcw [rax]
fwait
.byte 0x0f, 0xff
.byte 0xd6
verw ax
lsl eax, ebx
lar eax, ebx
mov rax, [rip+0]
mov eax, [rsp]
mov eax, [rbp]
mov eax, [r12]
mov eax, [r13]
mov r8b, sil
mov ah, bh
mov eax, [rax+rbx*2-0x80]
mov eax, [rax+0x12345678]
mov eax, [rax-0x12345678]
mov eax, gs:[rbx*4+8]
jrcxz 1f
loop 1f
1:
jo 2f
jno 2f
jb 2f
jae 2f
je 2f
jne 2f
jbe 2f
ja 2f
js 2f
jns 2f
jp 2f
jnp 2f
jl 2f
jge 2f
jle 2f
jg 2f
2:
call 2b
jmp 2b
jne 3f
.fill 200, 1, 0x90
3:
setg cl
setle dl
cmovge r8, r9
cmovns eax, [rbx]
add byte ptr [rax], 1
sub qword ptr [rsp+8], rax
adc eax, ebx
sbb rax, 5
xor eax, eax
or r10d, 0x12345
cmp byte ptr [rdi+rcx], 0
cmp rax, [rip+0x40]
test rax, rax
test byte ptr [rdi], 0x80
inc r11
dec word ptr [rax]
movsx eax, word ptr [rsi]
movzx r8d, byte ptr [r9+r10*8+0x7f]
lea r15, [r14+r13*2]
push r12
pop r13
push qword ptr [rbx]
pop qword ptr [rbx]
xchg r8, rax
mov byte ptr [rax], 0x12
mov word ptr [rax], 0x1234
mov dword ptr [rax+4], 0x12345678
mov qword ptr [rax], -2
mov r9, 0x7fffffff
rcl eax, 1
rcr ebx, cl
ror rax, 7
sar byte ptr [rdx], cl
shr r8w, 3
imul r9, [r10], -3
mul byte ptr [rax]
div bl
rep lodsq
rep stosb
repnz scasq
movsd
cmpsq
movaps [rdi], xmm8
movups xmm15, xmm1
movdqa [rax], xmm2
movd xmm8, [rsi]
movd [rsi], xmm8
movq mm1, mm2
movq mm0, [rax]
movd mm0, eax
paddd xmm0, xmm1
psubq xmm2, [rax]
pand xmm1, xmm2
por xmm3, xmm4
pandn xmm5, xmm6
punpcklbw xmm0, xmm1
punpckhqdq xmm0, xmm1
pshufb xmm0, xmm1
pcmpeqd xmm0, xmm1
pslld xmm0, 4
psllq xmm0, xmm1
pmaxub xmm0, xmm1
movhps xmm0, [rax]
movlps [rax], xmm0
movhlps xmm0, xmm1
movlhps xmm0, xmm1
unpcklps xmm0, xmm1
shufps xmm0, xmm1, 0x44
cmpltps xmm0, xmm1
cmpps xmm0, xmm1, 9
cmpneqsd xmm0, [rax]
addss xmm0, xmm1
mulsd xmm0, [rax]
divps xmm0, xmm1
sqrtsd xmm0, xmm1
cvtsi2sd xmm0, eax
cvtsi2sd xmm0, rax
cvttsd2si eax, xmm0
cvttsd2si rax, xmm0
ucomisd xmm0, xmm1
comiss xmm0, [rax]
andpd xmm0, xmm1
maxsd xmm0, xmm1
movmskps eax, xmm0
pextrw eax, xmm0, 3
pinsrw xmm0, eax, 2
movntq [rax], mm0
maskmovdqu xmm0, xmm1
crc32 eax, byte ptr [rsi]
movbe eax, [rsi]
endbr64
rdrand rax
rdfsbase rax
xgetbv
monitor
mwait
clac
stac
rdpmc
invd
sysenter
syscall
vmcall
smsw eax
lmsw ax
sldt eax
str word ptr [rax]
prefetchw [rax]
fadd st, st(3)
fsubp st(2), st
fsubrp st(2), st
fdivp st(1), st
fdivrp st(1), st
fsub st(1), st
fsubr st(1), st
fcomi st, st(2)
fucomi st, st(1)
fcmovb st, st(1)
fcompp
fucompp
fnclex
fchs
fabs
fsqrt
fnstsw ax
fldenv [rax]
fistp word ptr [rax]
fisttp dword ptr [rax]
fld tbyte ptr [rax]
fstp tbyte ptr [rax]
fiadd word ptr [rax]
fimul dword ptr [rax]
fcom qword ptr [rax]
fdivr dword ptr [rax]
ffree st(2)
fxch
