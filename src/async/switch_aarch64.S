/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Context switch for aarch64, AAPCS64.
 *
 * A suspended context is a stack pointer to a 176-byte frame holding, bottom
 * up: x19-x28, x29 (fp), x30 (lr, the resume address), d8-d15 (the low halves
 * of v8-v15 are all the ABI asks a callee to keep) and FPCR. The layout must
 * match async_ctx_make() in switch_asm.c. FPCR is written only when the
 * incoming context's differs from the outgoing one's (the same state as an
 * unconditional write, without the cost of one on every switch).
 * Run under qemu-aarch64 by tests/async/switch_cross.sh (test_switch_cross.c).
 *
 * Branch protection follows the compiler's (-mbranch-protection=, ACLE
 * macros below), so linking this object keeps a program's BTI and PAC
 * marking (the linker ANDs every input's property note):
 * - PAC (return address signing): the routine stores x30 in the frame of a
 *   context that may stay parked for long, and returns through whatever it
 *   loads from another frame, so it signs x30 on entry with sp as the
 *   modifier and authenticates the loaded x30 against the incoming side's
 *   sp before ret, as a compiled non-leaf function does with its saved lr.
 *   Both sides sign at the same depth (sp + 176 over the saved frame), so
 *   the modifiers match; async_ctx_make() signs the trampoline's address the
 *   same way for the first entry.
 * - BTI: async_ctx_swap_asm is reached by bl from C, but also by blr through
 *   a pointer (test_switch_cross.c's probe) and by br x16/x17 from a linker
 *   veneer or PLT, so it starts with a call landing pad: the signing
 *   instruction where PAC is on (paciasp/pacibsp are implicit "bti c"),
 *   "bti c" where only BTI is. async_ctx_trampoline needs none: it is only
 *   ever entered by the routine's ret, which BTI does not check.
 * All of these are hint-space instructions: no-ops on CPUs without the
 * features, so one object runs everywhere.
 */
#if defined(__aarch64__)

/* ACLE: bit 0 of __ARM_FEATURE_PAC_DEFAULT asks for the A key, bit 1 for B. */
#if defined(__ARM_FEATURE_PAC_DEFAULT) && (__ARM_FEATURE_PAC_DEFAULT & 2)
#define SIO_SIGN_LR	hint #27; .cfi_negate_ra_state	/* pacibsp */
#define SIO_AUTH_LR	hint #31; .cfi_negate_ra_state	/* autibsp */
#define SIO_PROP_PAC	2
#elif defined(__ARM_FEATURE_PAC_DEFAULT)
#define SIO_SIGN_LR	hint #25; .cfi_negate_ra_state	/* paciasp */
#define SIO_AUTH_LR	hint #29; .cfi_negate_ra_state	/* autiasp */
#define SIO_PROP_PAC	2
#else
#define SIO_PROP_PAC	0
#endif

#if defined(__ARM_FEATURE_BTI_DEFAULT) && __ARM_FEATURE_BTI_DEFAULT
#define SIO_PROP_BTI	1
#else
#define SIO_PROP_BTI	0
#endif

/* A function entry reached by calls: the signing instruction doubles as the
 * landing pad; without PAC, "bti c" where BTI is on. */
#if SIO_PROP_PAC
#define SIO_CALL_ENTRY	SIO_SIGN_LR
#define SIO_RETURN_AUTH	SIO_AUTH_LR
#elif SIO_PROP_BTI
#define SIO_CALL_ENTRY	hint #34	/* bti c */
#define SIO_RETURN_AUTH
#else
#define SIO_CALL_ENTRY
#define SIO_RETURN_AUTH
#endif

#if !defined(SIO_ASYNC_FORCE_UCONTEXT)
#include "sio_config.h"
#ifndef SIO_PORTABLE_SWITCH

	.text

/* void async_ctx_swap_asm(void **save_sp [x0], void *new_sp [x1]) */
	.globl	async_ctx_swap_asm
	.hidden	async_ctx_swap_asm
	.type	async_ctx_swap_asm, %function
	.p2align 4
async_ctx_swap_asm:
	.cfi_startproc
	SIO_CALL_ENTRY
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x10, sp			/* not x9: it must still hold our FPCR below */
	str	x10, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x10, [sp, #160]
	cmp	x9, x10			/* x9: the outgoing context's FPCR */
	b.eq	1f
	msr	fpcr, x10		/* only when it differs: msr fpcr is slow */
1:	add	sp, sp, #176
	SIO_RETURN_AUTH			/* x30 against the incoming side's sp */
	ret
	.cfi_endproc
	.size	async_ctx_swap_asm, .-async_ctx_swap_asm

/*
 * First entry of a context: async_ctx_make() leaves the entry function in x19,
 * its argument in x20 and this address in x30. Never returns; brk traps if the
 * entry function does.
 */
	.globl	async_ctx_trampoline
	.hidden	async_ctx_trampoline
	.type	async_ctx_trampoline, %function
	.p2align 4
async_ctx_trampoline:
	.cfi_startproc
	.cfi_undefined x30	/* outermost frame: stop unwinders here */
	mov	x0, x20
	blr	x19
	brk	#0
	.cfi_endproc
	.size	async_ctx_trampoline, .-async_ctx_trampoline

#endif
#endif /* !SIO_ASYNC_FORCE_UCONTEXT */

/*
 * The program property note (ELF for the Arm 64-bit Architecture; the
 * generic NT_GNU_PROPERTY_TYPE_0 layout): one GNU_PROPERTY_AARCH64_FEATURE_1_AND
 * property whose bits say what this object's code is compatible with. It is
 * emitted even where the routine is compiled out above (forced ucontext):
 * an object without a note clears the bits of the whole link.
 */
#if SIO_PROP_BTI || SIO_PROP_PAC
	.pushsection .note.gnu.property, "a"
	.p2align 3			/* LP64: notes and properties 8-aligned */
	.long	4			/* n_namesz: "GNU" and its NUL */
	.long	16			/* n_descsz: the property below */
	.long	5			/* n_type: NT_GNU_PROPERTY_TYPE_0 */
	.asciz	"GNU"
	.long	0xc0000000		/* pr_type: GNU_PROPERTY_AARCH64_FEATURE_1_AND */
	.long	4			/* pr_datasz */
	.long	SIO_PROP_BTI | SIO_PROP_PAC	/* bit 0 BTI, bit 1 PAC */
	.long	0			/* pad pr_data to 8 bytes */
	.popsection
#endif

#endif /* __aarch64__ */

	.section .note.GNU-stack, "", %progbits
