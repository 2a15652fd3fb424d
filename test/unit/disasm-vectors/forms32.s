# Hand-written 32-bit forms for test/unit/disasm.test.ts (scripts/gen-disasm-vectors.ts assembles them with as).
.intel_syntax noprefix
.code32
iret
.byte 0x66, 0xcf
mov eax, cr3
mov cr3, eax
mov eax, dr7
lgdt [eax]
push 1
push -1
push ds
pop ds
push es
pushf
pushad
popad
.byte 0x66, 0x60
mov eax, [0x1234]
mov eax, fs:[0x1234]
mov eax, cs:[eax]
mov eax, es:[ebx+4]
mov al, [0x1234]
mov [0x1234], eax
lea eax, [ebx+ecx*4+8]
inc eax
dec ecx
.byte 0x66, 0x40
add ax, -1
int 0x82
into
ljmp 0x10:0x1234
lcall 0x10:0x1234
ljmp [eax]
lret
lret 4
call eax
call dword ptr [eax]
jmp eax
jecxz 1f
sysenter
sysexit
syscall
.byte 0x0f, 0x07
aaa
daa
bound eax, [ecx]
arpl ax, bx
les eax, [ebx]
lds eax, [ebx]
rep stosd
rep movsb
.byte 0xa6
insb
outsd
mov eax, [si]
.byte 0x67, 0x8b, 0x00
.byte 0x67, 0x8b, 0x40, 0x10
movd mm0, eax
movq mm0, [eax]
pxor mm0, mm1
emms
movq xmm0, [eax]
fld st(1)
fstp st(0)
fldz
fld1
fucomip st, st(1)
fistp qword ptr [eax]
fnstsw ax
fnstenv [eax]
frstor [eax]
1:
nop
cli
sti
hlt
int 0x80
int3
cpuid
rdtsc
rdmsr
wrmsr
mov dr0, eax
mov cr4, eax
mov cr0, eax
mov eax, cr2
xchg eax, ebx
xchg [eax], ecx
lock cmpxchg [edi], esi
lock xadd [edi], eax
cmpxchg8b [edi]
lock inc dword ptr [eax]
movzx eax, byte ptr [esi]
movsx ecx, word ptr [esi+2]
lea esi, [esi*8+0x10]
push dword ptr [ebp-4]
pop dword ptr [ebx]
call 4f
jmp 4f
je 4f
4:
sete al
cmovne eax, ecx
shl dword ptr [eax], 4
sar eax, cl
imul eax, [ebx], 100
mul dword ptr [eax]
idiv ecx
test eax, eax
movaps xmm0, [eax]
movups [eax], xmm1
movdqa xmm2, xmm3
movdqu xmm4, [esi]
pxor xmm0, xmm0
movd xmm0, eax
movq [eax], xmm0
iretd
sysexit
ret 4
leave
enter 8, 0
mov eax, ss
mov ss, eax
push ss
push cs
pop es
lss esp, [eax]
lfs eax, [eax]
fxsave [eax]
ldmxcsr [eax]
