// SPDX-License-Identifier: GPL-2.0
/*
 * tickvm: the smallest guest that shows whether a VM was resumed or
 * restarted, and whether its RAM came through.
 *
 * A multiboot (v1) ELF that QEMU loads with -kernel, 32-bit protected mode,
 * no paging, no libc. At start it says "tickvm: start" on the first serial
 * port, fills PAT_SIZE bytes of RAM from PAT_BASE with a pattern (the
 * 32-bit word at address a holds a ^ PAT_MUL), then ticks forever, once per
 * second of the CMOS clock: it increments a counter kept in RAM, verifies a
 * rolling slice of the pattern (all of it every PAT_SIZE / SLICE ticks) and
 * prints "tickvm: tick N ok", or "tickvm: tick N bad at ADDR" for the first
 * word that differs.
 *
 * Between two ticks the vCPU halts until the clock's update interrupt (RTC
 * register B's UIE, IRQ 8 through the two PICs): an idle guest, as most
 * are, that leaves the host's CPUs to the VMM. (It used to spin on the
 * seconds register; under nested TCG that took a whole CPU of a 2-CPU
 * host, and QEMU's main loop, which answers the monitor, waited behind it.)
 * Any other interrupt or exception prints "tickvm: fault" and stops.
 *
 * A VM resumed (RAM and CPU state carried) goes on ticking from its last
 * number without a second "start"; one restarted begins again at tick 1.
 */

#define PAT_BASE	0x00400000UL	/* 4 MiB */
#define PAT_SIZE	0x02000000UL	/* 32 MiB */
#define PAT_MUL		0x9e3779b9UL
#define SLICE		0x00800000UL	/* bytes verified per tick */

#define COM1		0x3f8
#define COM1_LSR	(COM1 + 5)
#define LSR_THRE	0x20
#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define CMOS_REG_B	0x0b
#define CMOS_REG_C	0x0c
#define RTC_UIE		0x10	/* register B: update-ended interrupt */
#define PIC1		0x20	/* master: IRQ 0-7 at vectors 0x20-0x27 */
#define PIC2		0xa0	/* slave: IRQ 8-15 at vectors 0x28-0x2f */
#define PIC_EOI		0x20
#define VEC_RTC		0x28	/* IRQ 8 */
#define NR_VECS		0x30
#define SEL_CODE	0x08
#define SEL_DATA	0x10

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000000
#define STACK_SIZE	16384

#define __str(x)	#x
#define str(x)		__str(x)

/*
 * The multiboot header, first in the image (see tickvm.lds), a GDT of our
 * own (the loader's may not be in RAM; an interrupt reloads CS from it),
 * the stack, the entry, and the two interrupt entries: the clock's (ack
 * the RTC by reading register C, end the interrupt at both PICs, count it)
 * and the one of every other vector.
 */
__asm__(".section .multiboot, \"a\"\n"
	"	.align 4\n"
	"	.long " str(MB_MAGIC) ", " str(MB_FLAGS) "\n"
	"	.long -(" str(MB_MAGIC) " + " str(MB_FLAGS) ")\n"
	".section .rodata\n"
	"	.align 8\n"
	"tickvm_gdt:\n"
	"	.quad 0\n"
	"	.quad 0x00cf9a000000ffff\n"	/* SEL_CODE: 4 GiB, 32-bit, r-x */
	"	.quad 0x00cf92000000ffff\n"	/* SEL_DATA: 4 GiB, rw- */
	"tickvm_gdt_desc:\n"
	"	.word 3 * 8 - 1\n"
	"	.long tickvm_gdt\n"
	".bss\n"
	"	.align 16\n"
	"tickvm_stack:\n"
	"	.skip " str(STACK_SIZE) "\n"
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	cli\n"
	"	lgdt tickvm_gdt_desc\n"
	"	ljmp $" str(SEL_CODE) ", $1f\n"
	"1:	movl $" str(SEL_DATA) ", %eax\n"
	"	movl %eax, %ds\n"
	"	movl %eax, %es\n"
	"	movl %eax, %fs\n"
	"	movl %eax, %gs\n"
	"	movl %eax, %ss\n"
	"	movl $tickvm_stack + " str(STACK_SIZE) ", %esp\n"
	"	call tickvm_main\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	"tickvm_rtc_entry:\n"
	"	pushl %eax\n"
	"	movb $" str(CMOS_REG_C) ", %al\n"
	"	outb %al, $" str(CMOS_INDEX) "\n"
	"	inb $" str(CMOS_DATA) ", %al\n"
	"	movb $" str(PIC_EOI) ", %al\n"
	"	outb %al, $" str(PIC2) "\n"
	"	outb %al, $" str(PIC1) "\n"
	"	incl rtc_updates\n"
	"	popl %eax\n"
	"	iret\n"
	"tickvm_fault_entry:\n"
	"	call tickvm_fault\n");

/*
 * Kept in RAM: a resumed VM finds them where it left them. Every port
 * access is a compiler barrier, so they are in memory at each tick.
 */
static unsigned long ticks;
static unsigned long bad_ticks;
/* Counted by tickvm_rtc_entry: one a second. */
unsigned long rtc_updates;

/* 8 bytes, without packing: each field is at its natural alignment */
struct idt_gate {
	unsigned short off_lo;
	unsigned short sel;
	unsigned char zero;
	unsigned char type;
	unsigned short off_hi;
};

#define GATE_INTR32	0x8e	/* present, ring 0, 32-bit interrupt gate */

static struct idt_gate idt[NR_VECS];

/* The address of a label of the assembly above. */
#define entry_addr(label) ({					\
	unsigned long __addr;					\
	__asm__("movl $" #label ", %0" : "=r"(__addr));		\
	__addr;							\
})

static inline void port_write(unsigned short port, unsigned char val)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(val), "Nd"(port) : "memory");
}

static inline unsigned char port_read(unsigned short port)
{
	unsigned char val;

	__asm__ __volatile__("inb %1, %0" : "=a"(val) : "Nd"(port) : "memory");
	return val;
}

static void ser_putc(char c)
{
	int spin = 100000;

	while (!(port_read(COM1_LSR) & LSR_THRE) && --spin)
		;
	port_write(COM1, c);
}

static void ser_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			ser_putc('\r');
		ser_putc(*s++);
	}
}

static void ser_putdec(unsigned long v)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		ser_putc(buf[--i]);
}

static void ser_puthex(unsigned long v)
{
	int shift;

	ser_puts("0x");
	for (shift = 28; shift >= 0; shift -= 4)
		ser_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

static unsigned char cmos_read(unsigned char reg)
{
	port_write(CMOS_INDEX, reg);
	return port_read(CMOS_DATA);
}

static void cmos_write(unsigned char reg, unsigned char val)
{
	port_write(CMOS_INDEX, reg);
	port_write(CMOS_DATA, val);
}

/* Called by tickvm_fault_entry only, with interrupts off: the end. */
void tickvm_fault(void)
{
	ser_puts("tickvm: fault\n");
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

static void idt_set(int vec, unsigned long off)
{
	idt[vec].off_lo = off & 0xffff;
	idt[vec].off_hi = off >> 16;
	idt[vec].sel = SEL_CODE;
	idt[vec].zero = 0;
	idt[vec].type = GATE_INTR32;
}

/*
 * The PICs remapped above the exceptions, IRQ 8 alone unmasked (with 2, the
 * cascade); the RTC interrupts once a second, at the update of its time.
 */
static void clock_irq_init(void)
{
	/* LIDT's operand: the limit, then the base, in 16-bit halves */
	unsigned short desc[3] = {
		sizeof(idt) - 1,
		(unsigned long)idt & 0xffff,
		(unsigned long)idt >> 16,
	};
	int vec;

	for (vec = 0; vec < NR_VECS; vec++)
		idt_set(vec, vec == VEC_RTC ? entry_addr(tickvm_rtc_entry) :
					      entry_addr(tickvm_fault_entry));
	__asm__ __volatile__("lidt %0" : : "m"(desc) : "memory");

	port_write(PIC1, 0x11);		/* ICW1: edge, cascade, ICW4 */
	port_write(PIC2, 0x11);
	port_write(PIC1 + 1, 0x20);	/* ICW2: vector base */
	port_write(PIC2 + 1, VEC_RTC);
	port_write(PIC1 + 1, 0x04);	/* ICW3: slave on IRQ 2 */
	port_write(PIC2 + 1, 0x02);
	port_write(PIC1 + 1, 0x01);	/* ICW4: 8086 mode */
	port_write(PIC2 + 1, 0x01);
	port_write(PIC1 + 1, 0xfb);	/* masks: all but IRQ 2 ... */
	port_write(PIC2 + 1, 0xfe);	/* ... and IRQ 8 */

	cmos_write(CMOS_REG_B, cmos_read(CMOS_REG_B) | RTC_UIE);
	cmos_read(CMOS_REG_C);		/* drops what was pending */
}

static void fill(void)
{
	unsigned long *p = (unsigned long *)PAT_BASE;
	unsigned long a;

	for (a = PAT_BASE; a < PAT_BASE + PAT_SIZE; a += 4)
		*p++ = a ^ PAT_MUL;
}

/* The first address of [start, start + len) off the pattern, or 0. */
static unsigned long verify(unsigned long start, unsigned long len)
{
	unsigned long *p = (unsigned long *)start;
	unsigned long a;

	for (a = start; a < start + len; a += 4, p++)
		if (*p != (a ^ PAT_MUL))
			return a;
	return 0;
}

/*
 * Until the clock's next update interrupt: about a second. STI's shadow
 * keeps the interrupt from slipping in between it and HLT; the clobber
 * makes the compiler read rtc_updates again after each wake.
 */
static void wait_second(void)
{
	unsigned long n = rtc_updates;

	while (rtc_updates == n)
		__asm__ __volatile__("sti; hlt; cli" : : : "memory");
}

/* Called by _start only. */
void tickvm_main(void)
{
	unsigned long slice, bad;

	ser_puts("tickvm: start\n");
	clock_irq_init();
	fill();
	ser_puts("tickvm: filled ");
	ser_putdec(PAT_SIZE >> 20);
	ser_puts(" MiB at ");
	ser_puthex(PAT_BASE);
	ser_puts("\n");
	for (;;) {
		wait_second();
		ticks++;
		slice = PAT_BASE + (ticks % (PAT_SIZE / SLICE)) * SLICE;
		bad = verify(slice, SLICE);
		ser_puts("tickvm: tick ");
		ser_putdec(ticks);
		if (bad) {
			bad_ticks++;
			ser_puts(" bad at ");
			ser_puthex(bad);
		} else {
			ser_puts(" ok");
		}
		ser_puts("\n");
	}
}
