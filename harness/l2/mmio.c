// SPDX-License-Identifier: GPL-2.0
/*
 * mmio FILE OFFSET [VALUE]: reads (or writes, then reads back) one 32-bit
 * register through an mmap() of a PCI resource file, e.g.
 * /sys/bus/pci/devices/0000:01:00.0/resource0. Prints the value read in hex.
 * The nested guest's way of touching a BAR exactly as a user would.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long off, page;
	volatile uint32_t *reg;
	void *map;
	int fd;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FILE OFFSET [VALUE]\n", argv[0]);
		return 2;
	}
	off = strtoul(argv[2], NULL, 0);
	page = off & ~4095UL;
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, page);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	reg = (volatile uint32_t *)((char *)map + (off - page));
	if (argc > 3)
		*reg = (uint32_t)strtoul(argv[3], NULL, 0);
	printf("0x%08x\n", *reg);
	return 0;
}
