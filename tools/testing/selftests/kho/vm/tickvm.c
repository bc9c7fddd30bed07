// SPDX-License-Identifier: GPL-2.0
/*
 * tickvm: the smallest guest that shows whether a VM was resumed or
 * restarted, and whether its RAM came through.
 *
 * A multiboot (v1) ELF that QEMU loads with -kernel, 32-bit protected mode,
 * no paging, no interrupts, no libc. At start it says "tickvm: start" on
 * the first serial port, fills PAT_SIZE bytes of RAM from PAT_BASE with a
 * pattern (the 32-bit word at address a holds a ^ PAT_MUL), then ticks
 * forever, once per second of the CMOS clock: it increments a counter kept
 * in RAM, verifies a rolling slice of the pattern (all of it every
 * PAT_SIZE / SLICE ticks) and prints "tickvm: tick N ok", or "tickvm: tick
 * N bad at ADDR" for the first word that differs.
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
#define CMOS_SECONDS	0x00

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000000
#define STACK_SIZE	16384

#define __str(x)	#x
#define str(x)		__str(x)

/*
 * The multiboot header, first in the image (see tickvm.lds), the stack, and
 * the entry: a stack of our own, then C.
 */
__asm__(".section .multiboot, \"a\"\n"
	"	.align 4\n"
	"	.long " str(MB_MAGIC) ", " str(MB_FLAGS) "\n"
	"	.long -(" str(MB_MAGIC) " + " str(MB_FLAGS) ")\n"
	".bss\n"
	"	.align 16\n"
	"tickvm_stack:\n"
	"	.skip " str(STACK_SIZE) "\n"
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	cli\n"
	"	movl $tickvm_stack + " str(STACK_SIZE) ", %esp\n"
	"	call tickvm_main\n"
	"1:	hlt\n"
	"	jmp 1b\n");

/*
 * Kept in RAM: a resumed VM finds them where it left them. Every port
 * access is a compiler barrier, so they are in memory at each tick.
 */
static unsigned long ticks;
static unsigned long bad_ticks;

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

static unsigned char cmos_seconds(void)
{
	port_write(CMOS_INDEX, CMOS_SECONDS);
	return port_read(CMOS_DATA);
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

/* Until the CMOS clock's seconds change: about a second. */
static void wait_second(void)
{
	unsigned char s = cmos_seconds();

	while (cmos_seconds() == s)
		;
}

/* Called by _start only. */
void tickvm_main(void)
{
	unsigned long slice, bad;

	ser_puts("tickvm: start\n");
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
